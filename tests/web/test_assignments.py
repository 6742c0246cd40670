"""Assignment pages (sparring.web.routes.assignments) on TestClient: a manager assigns to their team, the learner
sees the inbox, practises and submits their best rep, the manager opens it, comments on a turn and marks it
reviewed, the learner sees the comment and the notifications. Role rules: a learner never sees someone else's
assignment, a manager of another team can neither assign to nor comment on this one, forms need the CSRF token."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparring.services import assignments
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.store.coaching_models import AssignmentRow
from sparring.store.models import Rep, User
from sparring.testing.web import LINES, SCENARIO, World, login

DUE = (date.today() + timedelta(days=4)).isoformat()


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {k: login(world.app, k) for k in ("learner_a1", "learner_a2", "manager_a", "manager_b", "admin_a")}


def _flash(response: object) -> str:
    cookie = response.cookies.get("sparring_flash", "")  # type: ignore[attr-defined]
    return unquote(cookie)


def _viewer(world: World, key: str) -> Viewer:
    with world.database.read() as s:
        user = s.get(User, world.users[key])
        assert user is not None
        return Viewer.of(user)


def _play(world: World, key: str) -> int:
    svc = world.practice
    rep = svc.start_rep(Accounts(world.database).get_user(world.users[key]), SCENARIO, "easy")
    for line in LINES:
        if svc.submit_turn(rep.id, line).ended:
            break
    svc.end_rep(rep.id)
    svc.score_rep(rep.id)
    return rep.id


def test_the_whole_loop_assign_practise_submit_comment_review(world: World, clients: dict[str, TestClient]) -> None:
    manager, lee = clients["manager_a"], clients["learner_a1"]
    page = manager.get("/team/assignments")
    assert page.status_code == 200 and 'action="/team/assignments"' in page.text and "team:East" in page.text
    assert 'value="learner_a1@acme.test"' in page.text and "learner_a3@acme.test" not in page.text  # East only
    r = manager.post("/team/assignments", data={"scenario": SCENARIO, "to": "team:East", "reps": "1", "due": DUE,
                                                "difficulty": "easy", "submit_best": "on",
                                                "note": "Open with a question."})
    assert r.status_code == 303 and re.fullmatch(r"ok\|Assigned .+ to 2 learners\.", _flash(r)), _flash(r)
    with world.database.read() as s:
        assignment_id = s.scalar(select(AssignmentRow.id).order_by(AssignmentRow.id.desc()))
    assert assignment_id is not None

    inbox = lee.get("/assignments")
    assert inbox.status_code == 200 and "Not started" in inbox.text and "Open with a question." in inbox.text
    assert 'name="scenario" value="cs-renewal-discount"' in inbox.text and "Start practising" in inbox.text
    assert re.search(r'class="nav-count">\s*1\s*<', inbox.text), "the unread count is in the navigation"

    rep_id = _play(world, "learner_a1")
    [mine] = [v for v in _inbox(world, "learner_a1") if v.id == assignment_id]
    assignee = mine.learners[0].assignee_id
    inbox = lee.get("/assignments")
    assert "Submit as my best" in inbox.text and "1 of 1" in inbox.text and "In progress" in inbox.text

    # another learner cannot submit on Lee's row, nor submit Lee's rep on their own
    assert clients["learner_a2"].post(f"/assignments/{assignee}/submit", data={"rep": str(rep_id)}).status_code == 404
    r = lee.post(f"/assignments/{assignee}/submit", data={"rep": str(rep_id)})
    assert r.status_code == 303 and r.headers["location"] == "/assignments" and _flash(r).startswith("ok|"), _flash(r)
    assert "Submitted" in lee.get("/assignments").text

    detail = manager.get(f"/team/assignments/{assignment_id}")
    assert detail.status_code == 200 and f'href="/reps/{rep_id}/scorecard"' in detail.text
    assert "Mark reviewed" in detail.text and "Submitted" in detail.text
    notices = manager.get("/notifications")
    assert "submitted their best rep" in notices.text

    card = manager.get(f"/reps/{rep_id}/scorecard")
    assert "Comment on this turn" in card.text
    with world.database.read() as s:
        conversation = s.scalar(select(Rep.conversation_id).where(Rep.id == rep_id))
    r = manager.post(f"/conversations/{conversation}/comments",
                     data={"turn": "1", "rep": str(rep_id), "text": "Good open question, keep it."})
    assert r.status_code == 303 and r.headers["location"] == f"/reps/{rep_id}/scorecard#turn-1", r.text
    own_card = lee.get(f"/reps/{rep_id}/scorecard")
    assert "Good open question, keep it." in own_card.text and "Comment on this turn" not in own_card.text

    r = manager.post(f"/team/assignments/{assignment_id}/review", data={"assignee": str(assignee)})
    assert r.status_code == 303 and _flash(r).startswith("ok|Marked reviewed"), _flash(r)
    assert "reviewed" in manager.get(f"/team/assignments/{assignment_id}").text

    notes = lee.get("/notifications")
    assert notes.status_code == 200
    for text in ("assigned you", "commented on turn 1", "reviewed your rep"):
        assert text in notes.text, text
    ids = re.findall(r'action="/notifications/(\d+)/open"', notes.text)
    assert ids
    r = lee.post(f"/notifications/{ids[0]}/open")
    assert r.status_code == 303 and r.headers["location"].startswith("/")
    assert clients["learner_a2"].post(f"/notifications/{ids[0]}/open").status_code == 404
    r = lee.post("/notifications/read")
    assert r.status_code == 303
    assert 'class="nav-count"' not in lee.get("/assignments").text


def _inbox(world: World, key: str) -> list[assignments.AssignmentView]:
    with world.database.read() as s:
        return assignments.inbox(s, _viewer(world, key))


def test_a_learner_sees_only_their_own_assignments(world: World, clients: dict[str, TestClient]) -> None:
    r = clients["admin_a"].post("/team/assignments", data={"scenario": SCENARIO, "to": "learner_a3@acme.test",
                                                          "reps": "2", "due": DUE, "difficulty": "medium",
                                                          "note": "Only for the West learner"})
    assert _flash(r).startswith("ok|"), _flash(r)
    assert "Only for the West learner" not in clients["learner_a1"].get("/assignments").text
    assert "Only for the West learner" not in clients["learner_a2"].get("/assignments").text
    # learners have no manager pages
    assert clients["learner_a1"].get("/team/assignments").status_code == 403
    with world.database.read() as s:
        west = s.scalar(select(AssignmentRow.id).where(AssignmentRow.note == "Only for the West learner"))
    assert clients["learner_a1"].get(f"/team/assignments/{west}").status_code == 403
    # manager_a manages East, not West: the assignment is not there for them
    assert clients["manager_a"].get(f"/team/assignments/{west}").status_code == 404
    assert "Only for the West learner" not in clients["manager_a"].get("/team/assignments").text
    assert clients["admin_a"].get(f"/team/assignments/{west}").status_code == 200


def test_a_manager_of_another_team_or_organisation_cannot_assign_or_comment(
        world: World, clients: dict[str, TestClient]) -> None:
    before = _count(world)
    for client, to in ((clients["manager_b"], "learner_a1@acme.test"), (clients["manager_b"], "team:East"),
                       (clients["manager_a"], "learner_a3@acme.test"), (clients["manager_a"], "team:West")):
        r = client.post("/team/assignments", data={"scenario": SCENARIO, "to": to, "reps": "1", "due": DUE,
                                                   "difficulty": "easy"})
        assert r.status_code == 303 and _flash(r).startswith("error|to: unknown"), (to, _flash(r))
    assert _count(world) == before
    rep_id = world.reps["a1_public"]
    with world.database.read() as s:
        conversation = s.scalar(select(Rep.conversation_id).where(Rep.id == rep_id))
    for key in ("manager_b", "learner_a2", "learner_a1"):
        r = clients[key].post(f"/conversations/{conversation}/comments",
                              data={"turn": "1", "rep": str(rep_id), "text": "Not mine to say"})
        assert r.status_code == 404, key
    assert "Not mine to say" not in clients["learner_a1"].get(f"/reps/{rep_id}/scorecard").text
    # a private rep shows no comment form to the manager
    assert "Comment on this turn" not in clients["manager_a"].get(f"/reps/{world.reps['a1_private']}/scorecard").text


def test_bad_forms_flash_the_field_and_forms_need_the_csrf_token(world: World,
                                                                 clients: dict[str, TestClient]) -> None:
    manager = clients["manager_a"]
    for data, start in (({"reps": "0"}, "error|reps:"),
                        ({"due": "2020-01-01"}, "error|due: 2020-01-01 is in the past"),
                        ({"due": "soon"}, "error|due: give a date"), ({"scenario": "nope"}, "error|scenario: unknown"),
                        ({"reps": "x"}, "error|reps: give a whole number")):
        form = {"scenario": SCENARIO, "to": "team:East", "reps": "1", "due": DUE, "difficulty": "easy", **data}
        assert _flash(manager.post("/team/assignments", data=form)).startswith(start), data
    bare = TestClient(world.app, follow_redirects=False)
    bare.cookies.update(manager.cookies)
    r = bare.post("/team/assignments", data={"scenario": SCENARIO, "to": "team:East", "reps": "1", "due": DUE})
    assert r.status_code == 403


def _count(world: World) -> int:
    with world.database.read() as s:
        return len(list(s.scalars(select(AssignmentRow.id))))
