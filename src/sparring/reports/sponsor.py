"""The sponsor report of one program (docs/programs.md, "The sponsor report"; issue 14 item 5).

For the person who paid for a practice program: the reps done (in total and their spread over the learners), the
improvement per behaviour (each criterion and skill: the learners' first reps against their latest, with a 95 %
interval and the number of learners each number rests on), the remaining gaps, the practice-to-call transfer where
calls were imported, and the method in plain words. The numbers come from ``reports.analytics`` (the same code as
the team's Insights page) and the charts from ``reports.charts``; the HTML is a Jinja template of this package with
its CSS inline (nothing is fetched); the PDF is weasyprint's rendering of the same HTML (the ``[reports]`` extra).

This module takes a ``Cohort`` and the program's facts; ``services.sponsor_report`` finds them (access rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from sparring.reports import analytics
from sparring.reports.analytics import Comparison, Summary, Transfer
from sparring.reports.charts import bar_chart
from sparring.store.cohorts import Cohort, rep_windows

#: a number resting on fewer learners than this is shown as "not enough data" (a cohort of one: fewer reps/calls)
MIN_N = 3
#: a criterion or skill whose latest mean is below this (0-100) is a remaining gap
GAP_BELOW = 60.0
FORMATS = (".html", ".pdf")


class ReportError(ValueError):
    """The report cannot be written as asked (an unknown suffix, weasyprint missing for a PDF)."""


@dataclass(frozen=True)
class Behaviour:
    """One criterion or skill: the comparison, and whether it rests on enough learners (``MIN_N``) to be shown as a
    number (a program of one or two learners shows "not enough data", however many reps they did)."""

    key: str
    kind: str  # "criterion" | "skill"
    comparison: Comparison

    @property
    def enough(self) -> bool:
        return self.comparison.learners >= MIN_N and self.comparison.change.low is not None

    @property
    def gap(self) -> bool:
        latest = self.comparison.after.mean
        return latest is not None and latest < GAP_BELOW


@dataclass
class SponsorReport:
    """Everything the report shows, as plain numbers (the tests check them; the template only formats them)."""

    program: str
    description: str
    start_on: date
    end_on: date
    target: str
    generated_at: datetime
    learners: int
    reps: int
    reps_per_learner: Summary
    reps_by_learner: list[tuple[str, int]]
    reached_target: int
    target_min: int
    window: int
    in_trends: int
    too_few: int
    behaviours: list[Behaviour] = field(default_factory=list)
    transfer: Transfer = field(default_factory=Transfer)
    min_n: int = MIN_N
    gap_below: float = GAP_BELOW

    @property
    def gaps(self) -> list[Behaviour]:
        return [b for b in self.behaviours if b.gap]

    def as_json(self) -> dict[str, object]:
        return {
            "program": self.program, "start": self.start_on.isoformat(), "end": self.end_on.isoformat(),
            "learners": self.learners, "reps": self.reps, "reps_per_learner": self.reps_per_learner.as_json(),
            "reached_target": self.reached_target, "in_trends": self.in_trends, "too_few": self.too_few,
            "behaviours": [{"kind": b.kind, "enough": b.enough, "gap": b.gap, **b.comparison.as_json()}
                           for b in self.behaviours],
            "transfer": {"calls_before": self.transfer.calls_before, "calls_after": self.transfer.calls_after,
                         "learners_with_calls": self.transfer.learners_with_calls,
                         "by_criterion": [c.as_json() for c in self.transfer.by_criterion.values()]},
        }


def build(s: Session, cohort: Cohort, *, program: str, description: str, start_on: date, end_on: date,
          target_min: int, target: str, reps_by_learner: Mapping[str, int], generated_at: datetime,
          window: int = analytics.WINDOW) -> SponsorReport:
    """The report's numbers. ``reps_by_learner`` (name → reps counted by the program) gives the practice done;
    the trends and the transfer read the cohort's scored reps and calls."""
    counts = list(reps_by_learner.values())
    shared = rep_windows(s, cohort, first=window, latest=window)
    found = analytics.trends(s, cohort, window=window, reps=shared)
    behaviours = [Behaviour(k, "skill", c) for k, c in found.by_skill.items()]
    behaviours += [Behaviour(k, "criterion", c) for k, c in found.by_criterion.items()]
    return SponsorReport(
        program=program, description=description, start_on=start_on, end_on=end_on, target=target,
        generated_at=generated_at, learners=len(counts), reps=sum(counts),
        reps_per_learner=Summary.of([float(n) for n in counts]),
        reps_by_learner=sorted(reps_by_learner.items(), key=lambda kv: (-kv[1], kv[0])),
        reached_target=sum(1 for n in counts if n >= target_min), target_min=target_min, window=window,
        in_trends=found.learners, too_few=found.too_few, behaviours=behaviours,
        transfer=analytics.transfer(s, cohort, reps=shared))


def _num(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:+.1f}" if signed else f"{v:.1f}"


def _charts(report: SponsorReport) -> dict[str, Markup]:
    charts: dict[str, Markup] = {}
    if report.reps_by_learner:
        top = max(max(n for _, n in report.reps_by_learner), report.target_min, 1)
        charts["reps"] = bar_chart("Reps per learner", [(name, float(n)) for name, n in report.reps_by_learner],
                                   max_value=float(top), marker=(float(report.target_min), "target"),
                                   bands=(float(report.target_min), report.target_min / 2), table=False)
    skills = [b for b in report.behaviours if b.kind == "skill" and b.comparison.after.mean is not None]
    if skills:
        bars: list[tuple[str, float]] = []
        for b in skills:
            bars.append((f"{b.key}: first reps", b.comparison.before.mean or 0.0))
            bars.append((f"{b.key}: latest reps", b.comparison.after.mean or 0.0))
        charts["skills"] = bar_chart("Score per skill, first reps and latest (0-100)", bars, table=False)
    return charts


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("sparring.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env


def render_html(report: SponsorReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG; no link to anything outside it)."""
    return _environment().get_template("sponsor.html").render(r=report, charts=_charts(report))


def render_pdf(html: str) -> bytes:
    """The HTML as a PDF with weasyprint (the ``[reports]`` extra); ReportError when it is not installed."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise ReportError("a PDF needs weasyprint: pip install 'sparring[reports]' (or write --out FILE.html)") \
            from exc

    def no_fetch(url: str) -> dict[str, object]:
        raise ValueError(f"the sponsor report fetches nothing: {url}")

    return bytes(HTML(string=html, url_fetcher=no_fetch).write_pdf())


def check_suffix(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"{out}: the report is written as .html or .pdf, not {suffix or 'a file without suffix'}")
    return suffix


def write(report: SponsorReport, out: Path) -> Path:
    """Write the report to ``out``; its suffix (.html or .pdf) picks the format. Written whole or not at all."""
    suffix = check_suffix(out)
    html = render_html(report)
    data = html.encode() if suffix == ".html" else render_pdf(html)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out

