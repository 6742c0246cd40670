"""The progress charts of the learner, drill-down and team pages: dates and scenarios on the x-axis, the weakest
skill always drawn (first, in red, when there are many), small multiples past four skills, every chart with a
table."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sparring.reports.progress import Progress, RepPoint
from sparring.reports.progress_charts import MAX_LINES, learner_charts, rep_axis, team_charts, weakest_of


def _progress(skills: dict[str, list[float | None]], weakest: str) -> Progress:
    reps = [RepPoint(i + 1, "cs-renewal-discount" if i % 2 else "pricing-pushback",
                     datetime(2026, 11, 3 + i, 9, tzinfo=UTC), 60.0 + i, True) for i in range(3)]
    return Progress(reps=reps, skills=skills, weakest_skill=weakest,
                    skill_averages={k: sum(v for v in vals if v is not None) / 3 for k, vals in skills.items()})


TITLES = {"cs-renewal-discount": "Renewal discount", "pricing-pushback": "Pricing push-back"}


def test_the_x_axis_names_days_and_the_details_name_the_scenario() -> None:
    labels, details = rep_axis(_progress({}, "").reps, TITLES)
    assert labels == ["3 Nov", "4 Nov", "5 Nov"]
    assert details == ["3 Nov 2026 · Pricing push-back", "4 Nov 2026 · Renewal discount",
                       "5 Nov 2026 · Pricing push-back"]
    charts = learner_charts(_progress({"discovery": [50, 60, 70]}, "discovery"), TITLES, str.upper)
    overall = str(charts.overall)
    assert "#1" not in overall and "</title>3 Nov</text>" in overall and "</title>5 Nov</text>" in overall
    assert "<title>Overall: 61 (4 Nov 2026 · Renewal discount)</title>" in overall
    assert '<th scope="col" class="num">5 Nov 2026 · Pricing push-back</th>' in overall


def test_few_skills_are_lines_on_one_chart_with_the_weakest_among_them() -> None:
    skills = {f"skill-{i}": [50.0 + i, 60.0, None] for i in range(MAX_LINES - 1)}
    skills["listening"] = [10.0, 20.0, 15.0]
    charts = learner_charts(_progress(skills, "listening"), TITLES, str.upper)
    html = str(charts.skills)
    # one chart, drawn for a desktop and a phone (the page shows one), and one table
    wide = html[html.index('class="only-wide"'):html.index('class="only-narrow"')]
    assert wide.count("<svg") == 1 and wide.count("<polyline") == MAX_LINES and "LISTENING" in wide
    assert html.count("<svg") == 2 and 'viewBox="0 0 400 260"' in html and html.count("<details") == 1


def test_many_skills_become_small_multiples_and_none_is_dropped() -> None:
    # the weakest skill has the fewest reps: the old chart (six busiest skills) left it out
    skills: dict[str, list[float | None]] = {f"busy-{i}": [70.0, 75.0, 80.0] for i in range(7)}
    skills["asks-for-commitment"] = [None, None, 12.0]
    html = str(learner_charts(_progress(skills, "asks-for-commitment"), TITLES, str.upper).skills)
    names = re.findall(r'<span class="name">([^<]*)</span>', html)
    assert len(names) == 8 and names[0] == "ASKS-FOR-COMMITMENT"
    assert html.count("<svg") == 8 and 'class="multiple weakest"' in html
    assert html.count('<th scope="row">') == 8


def test_team_charts_find_the_weakest_skill_of_the_last_weeks() -> None:
    trend: dict[str, list[float | None]] = {"a": [10.0, 80.0, 80.0, 80.0, 80.0], "b": [90.0, 50.0, None, 55.0, 60.0]}
    assert weakest_of(trend) == "b" and weakest_of({}) is None
    chart, bars, weakest = team_charts(["27 Oct", "3 Nov", "10 Nov", "17 Nov", "24 Nov"], trend,
                                       [("c1", 30.0), ("c2", 66.6)], {"c1": "Names the next step"}, str.upper)
    assert weakest == "b"
    assert "<title>B: 60 (week of 24 Nov)</title>" in str(chart)
    assert "Names the next step" in str(bars) and ">67</text>" in str(bars) and "c2" in str(bars)
    assert str(bars).count("<svg") == 2 and str(bars).count("<details") == 1
