"""The review-to-practice loop on the call pages (sparring.web.routes.call_loops; docs/drills.md, docs/loops.md): a
manager makes a drill from a moment of a rep's call (published, assigned, a coaching loop opened), the call's page
shows the open loop, the rep's next call closes it and both pages show the verdict with its numbers. Who may: a
manager of the rep's team or an admin of the organisation; a learner never sees the form; another organisation's
manager gets 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sparring.jobs import InProcessRunner
from sparring.store.coaching_models import AssignmentRow, CoachingLoopRow, NotificationRow
from sparring.testing.web import World, csrf_of, login
from sparring.web.app import job_queue

LOOPS = Path(__file__).resolve().parents[1] / "fixtures" / "loops"
RUBRIC = "sales-objection-handling"
DUE = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()


def _upload(world: World, name: str) -> int:
    c = login(world.app, "manager_a")
    r = c.post("/api/calls", data={"rep": str(world.users["learner_a1"]), "rep_name": "Priya Shah", "rubric": RUBRIC},
               files=[("files", (name, (LOOPS / name).read_bytes(), "text/plain"))])
    assert r.status_code == 202, r.text
    job = r.json()["jobs"][0]["job_id"]
    InProcessRunner(job_queue(world.app), worker_id="test-call-loops").run_until_idle()
    status = c.get(f"/api/calls/uploads/{job}").json()
    assert status["status"] == "done" and status["ok"] == 1, status
    return int(status["results"][0]["conversation_id"])


@pytest.fixture(scope="module")
def first(world: World) -> tuple[int, int]:
    """The rep's first call (a price objection defended, not explored) and the start turn of its price moment."""
    call = _upload(world, "first-call-missed.txt")
    doc = login(world.app, "manager_a").get(f"/api/calls/{call}").json()
    turn = next(m["start_turn"] for m in doc["moments"] if m["kind"].startswith("objection"))
    return call, turn


def _drill(world: World, who: str, call: int, turn: int, **fields: str) -> tuple[object, str]:
    c = login(world.app, who)
    page = c.get(f"/calls/{call}")
    token = csrf_of((page if page.status_code == 200 else c.get("/calls")).text)
    r = c.post(f"/calls/{call}/moments/{turn}/drill",
               data={"csrf_token": token, "assign": "on", "reps": "2", "due": DUE, **fields})
    return r, page.text


def test_only_managers_and_admins_see_the_drill_form(world: World, first: tuple[int, int]) -> None:
    call, turn = first
    manager = login(world.app, "manager_a").get(f"/calls/{call}").text
    assert f'action="/calls/{call}/moments/{turn}/drill"' in manager and "Make a drill from this moment" in manager
    assert "Assign it to" in manager and f'value="{DUE}"' not in manager  # a week ahead by default, not ten days
    learner = login(world.app, "learner_a1").get(f"/calls/{call}").text
    assert "Make a drill from this moment" not in learner and "/drill" not in learner
    assert 'id="loops"' not in manager  # no loop yet: no panel


def test_who_may_make_a_drill(world: World, first: tuple[int, int]) -> None:
    call, turn = first
    r, _ = _drill(world, "learner_a1", call, turn)
    assert r.status_code == 403  # type: ignore[attr-defined]
    r, _ = _drill(world, "manager_b", call, turn)  # another organisation: the call does not exist for them
    assert r.status_code == 404  # type: ignore[attr-defined]
    r, _ = _drill(world, "manager_a", call, 999)
    assert r.status_code == 303 and "error" in r.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    r, _ = _drill(world, "manager_a", call, turn, due="2020-01-01")  # a due day in the past: said, nothing kept
    assert r.status_code == 303  # type: ignore[attr-defined]
    with world.database.read() as s:
        assert s.query(CoachingLoopRow).count() == 0 and s.query(AssignmentRow).count() == 0


def test_a_drill_from_a_moment_opens_the_loop_and_the_next_call_closes_it(world: World,
                                                                          first: tuple[int, int]) -> None:
    call, turn = first
    r, _ = _drill(world, "manager_a", call, turn)
    assert r.status_code == 303 and r.headers["location"] == f"/calls/{call}#loops"  # type: ignore[attr-defined]
    with world.database.read() as s:
        [loop] = s.query(CoachingLoopRow).all()
        assignment = s.get(AssignmentRow, loop.assignment_id)
        assert assignment is not None and assignment.scenario_id == loop.drill_scenario_id == f"drill-{call}-t{turn}"
        assert (assignment.reps_required, assignment.submit_best, loop.status) == (2, True, "open")
    manager = login(world.app, "manager_a")
    page = manager.get(f"/calls/{call}").text
    assert 'id="loops"' in page and "Waiting for" in page and f"/team/assignments/{loop.assignment_id}" in page
    inbox = login(world.app, "learner_a1").get("/assignments").text
    assert f"drill-{call}-t{turn}" in inbox or "A drill from a moment of your call" in inbox

    nxt = _upload(world, "next-call-improved.txt")
    with world.database.read() as s:
        closed = s.get(CoachingLoopRow, loop.id)
        assert closed is not None and closed.status == "closed" and closed.next_call_conversation_id == nxt
        verdict = closed.verdict
        [told] = s.query(NotificationRow).filter(NotificationRow.kind == "loop_closed").all()
        assert told.user_id == world.users["manager_a"] and told.link == f"/calls/{nxt}#loops"
    assert verdict in ("improved", "not_improved", "not_enough_evidence")
    later = manager.get(f"/calls/{nxt}").text
    assert "Closed by this call." in later and (verdict or "").replace("_", " ") in later
    assert "first call" in later and "next call" in later and "Next step:" in later
    original = manager.get(f"/calls/{call}").text
    assert re.search(rf'Closed by <a href="/calls/{nxt}">', original)
    assert 'id="loops"' not in login(world.app, "manager_b").get("/calls").text
