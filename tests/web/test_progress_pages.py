"""The progress page, a manager's drill-down, the team page and history as the server renders them: reps by date
and scenario (not #1, #2 …), the weakest skill drawn, the numbers behind each chart as a table, whole-number scores,
and the learner's own turns counted (as the brief's turn limit counts them), not both speakers'."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sparring.testing.web import World, login


def _today() -> str:
    now = datetime.now(UTC)
    return f"{now.day} {now:%b}"


def test_progress_names_reps_by_date_and_scenario_and_draws_the_weakest_skill(world: World) -> None:
    c = login(world.app, "learner_a1")
    html = c.get("/progress").text
    assert not re.search(r">#\d+<", html) and f"</title>{_today()}</text>" in html
    assert re.search(r'<th scope="col" class="num">\d+ \w{3} \d{4} · [^<]+</th>', html)  # the table: date · scenario
    weakest = re.search(r'<strong>([^<]+)</strong>, is (?:first|among)', html)
    assert weakest is not None, "the page names the weakest skill"
    chart = html[html.index('id="h-skills"'):]
    assert f"<th scope=\"row\">{weakest.group(1)}</th>" in chart  # drawn and in the table
    assert "<details class=\"chart-table\">" in html and html.count("<details class=\"chart-table\">") == 3
    assert not re.search(r">\d+\.\d</text>", html)  # whole numbers only


def test_history_counts_the_learners_turns(world: World) -> None:
    c = login(world.app, "learner_a1")
    rep = next(r for r in c.get("/api/reps").json() if r["id"] == world.reps["a1_public"])
    assert 0 < rep["learner_turns"] < rep["turn_count"]  # the counterpart's turns are not the learner's
    row = re.search(rf'<tr>(?:(?!</tr>).)*href="/reps/{rep["id"]}/scorecard"', c.get("/history").text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(\d+)</td>', row.group(0))
    assert cells == [str(rep["learner_turns"])]
    assert "Your turns" in c.get("/history").text
    m = login(world.app, "manager_a")
    assert "Learner turns" in m.get("/team").text


def test_team_and_drill_down_charts_have_their_tables(world: World) -> None:
    m = login(world.app, "manager_a")
    team = m.get("/team").text
    assert "Skills over time" in team and "<svg" in team and "chart-table" in team
    assert "the numbers</summary>" in team
    drill = m.get(f"/team/learners/{world.users['learner_a1']}").text
    assert not re.search(r">#\d+<", drill) and drill.count("<details class=\"chart-table\">") == 3
