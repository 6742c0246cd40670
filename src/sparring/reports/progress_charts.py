"""The progress charts the learner's progress page, a manager's learner drill-down and the team page show, built
from ``reports.progress`` and ``services.dashboards`` data with ``reports.charts`` (one chart library for web and
reports; the web layer only places the result).

Rules (issue 15, item 3): the x-axis names reps by date (the tooltips and the table add the scenario), the
weakest skill is always drawn, many skills become small multiples rather than one chart of tangled lines, and
every chart has its numbers as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from sparring.reports.charts import Series, bar_chart, data_table, line_chart, small_multiples
from sparring.reports.progress import Progress, RepPoint

#: more skills than this are drawn as small multiples (one panel each) instead of lines on one chart
MAX_LINES = 4
#: the team page's bar chart of weakest criteria shows this many
MAX_BARS = 10


@dataclass(frozen=True)
class ProgressCharts:
    overall: Markup
    skills: Markup
    skill_bars: Markup


def _day(when: datetime) -> str:
    return f"{when.day} {when:%b}"


def _two_sizes(wide: Markup, narrow: Markup, table: Markup) -> Markup:
    """A full-width chart drawn twice: for a desktop and, with larger type in a narrower viewBox, for a phone (the
    page's CSS shows one, app.css ``.only-wide``/``.only-narrow``); its table once, below both."""
    return Markup(f'<div class="only-wide">{wide}</div><div class="only-narrow">{narrow}</div>{table}')


def rep_axis(reps: Sequence[RepPoint], titles: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Short x labels (the day of each rep: "3 Nov") and the full text of each position ("3 Nov 2026 · Renewal
    discount") for the tooltips and the table."""
    labels = [_day(r.when) for r in reps]
    details = [f"{_day(r.when)} {r.when:%Y} · {titles.get(r.scenario_id) or r.scenario_id}" for r in reps]
    return labels, details


def skill_chart(title: str, labels: Sequence[str], details: Sequence[str], trend: Mapping[str, Sequence[float | None]],
                weakest: str | None, name: Callable[[str], str]) -> Markup:
    """Every skill over ``labels``: lines on one chart when there are few (the weakest among them), otherwise one
    small chart per skill with the weakest first."""
    series = [Series(name(k), list(v)) for k, v in trend.items()]
    if len(series) <= MAX_LINES:
        return _two_sizes(
            line_chart(title, labels, series, width=900, height=280, x_details=details, table=False),
            line_chart(title, labels, series, width=400, height=260, x_details=details, table=False, font=13),
            data_table(title, list(details), [(x.name, x.points) for x in series], "Skill"))
    return small_multiples(title, labels, series, x_details=details,
                           highlight=name(weakest) if weakest else None, x_name="Skill")


def learner_charts(data: Progress, titles: Mapping[str, str], name: Callable[[str], str]) -> ProgressCharts:
    """The overall score per rep, every skill over the reps, and the recent average per skill."""
    labels, details = rep_axis(data.reps, titles)
    # narrow viewBoxes with large type: these sit in half a desktop page and fill a phone's width
    overall = line_chart("Overall score per rep", labels, [Series("Overall", [r.overall for r in data.reps])],
                         x_details=details, width=420, height=230, font=13)
    skills = skill_chart("Score per skill over reps", labels, details, data.skills, data.weakest_skill, name)
    bars = bar_chart("Recent average per skill (last 5 reps)",
                     [(name(k), v) for k, v in data.skill_averages.items()], value_name="average", width=440,
                     label_width=170, font=14)
    return ProgressCharts(overall=overall, skills=skills, skill_bars=bars)


def weakest_of(trend: Mapping[str, Sequence[float | None]], window: int = 4) -> str | None:
    """The skill with the lowest average over the last ``window`` positions that have data (ties by name)."""
    recent: dict[str, float] = {}
    for skill, values in trend.items():
        seen = [v for v in values[-window:] if v is not None]
        if seen:
            recent[skill] = sum(seen) / len(seen)
    return min(recent, key=lambda s: (recent[s], s)) if recent else None


def team_charts(weeks: Sequence[str], skill_trend: Mapping[str, Sequence[float | None]],
                criterion_averages: Sequence[tuple[str, float]], criterion_names: Mapping[str, str],
                name: Callable[[str], str]) -> tuple[Markup, Markup, str | None]:
    """The team's score per skill by week (weakest skill of the last four weeks highlighted) and its weakest
    criteria as bars; also returns that weakest skill."""
    weakest = weakest_of(skill_trend)
    details = [f"week of {w}" for w in weeks]
    trend = skill_chart("Team score per skill by week", weeks, details, skill_trend, weakest, name)
    title, shown = "Weakest criteria, average score", [(criterion_names.get(k, k), v)
                                                         for k, v in criterion_averages[:MAX_BARS]]
    bars = _two_sizes(bar_chart(title, shown, width=900, label_width=380, table=False),
                      bar_chart(title, shown, width=400, label_width=160, font=14, table=False),
                      data_table(title, ["average"], [(label, [v]) for label, v in shown]))
    return trend, bars, weakest
