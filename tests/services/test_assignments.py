"""Assignments as use cases (sparring.services.assignments) on SQLite and PostgreSQL: who may assign to whom, a
team expanding to its learners at assignment time, the errors, the learner's inbox, submitting the best rep,
reviewing it, and the notifications each step writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.content.scenario import Scenario
from sparring.services import assignments
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.audit_models import AuditRow
from sparring.store.coaching_models import AssigneeRow, NotificationRow
from sparring.store.db import Database

SCENARIO = support.TEST_SCENARIO
DUE = date.today() + timedelta(days=7)

viewer = support.viewer_of
People = support.People


@pytest.fixture
def people(db: Database, learner: UserRecord) -> People:
    return support.make_people(db, learner)


def _lookup(db: Database):  # type: ignore[no-untyped-def]
    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return ContentService(db, org_id).get_scenario(scenario_id)

    return scenario_for


def _assign(db: Database, actor: UserRecord | None, to: str, **kw: object) -> assignments.AssignmentView:
    options: dict[str, object] = {"reps": 2, "due_on": DUE, **kw}
    with db.session() as s:
        return assignments.assign(s, viewer(actor) if actor else None, _lookup(db), SCENARIO, to,
                                  **options)  # type: ignore[arg-type]


def _notes(db: Database, user: UserRecord) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(n.kind, n.text) for n in s.scalars(select(NotificationRow).where(NotificationRow.user_id == user.id)
                                                    .order_by(NotificationRow.id))]


def test_a_manager_assigns_to_a_learner_of_their_team(db: Database, content: ContentService, people: People) -> None:
    view = _assign(db, people.max, "LEE@acme.test", difficulty="hard", note="Focus on the first question.")
    assert (view.scenario_id, view.reps_required, view.difficulty, view.due_on) == (SCENARIO, 2, "hard", DUE)
    assert [(row.email, row.status, row.reps_done) for row in view.learners] == [("lee@acme.test", "not_started", 0)]
    assert view.assigned_by == "Max" and view.team is None and view.title == "A guarded buyer (test)"
    [(kind, text)] = _notes(db, people.lee)
    assert kind == "assigned" and text.startswith("Max assigned you A guarded buyer (test): 2 reps at hard by ")


def test_a_team_expands_to_its_active_learners_at_assignment_time(db: Database, content: ContentService,
                                                                   people: People) -> None:
    Accounts(db).set_active(people.kim.id, False)
    view = _assign(db, people.max, "team:East")
    assert view.team == "East"
    assert [row.email for row in view.learners] == ["lee@acme.test"]  # not Kim (inactive), not Max (a manager)
    Accounts(db).add_to_team(people.ola.id, "East")  # joins later: not an assignee of this assignment
    with db.read() as s:
        assert [row.email for row in assignments.managed_assignment(s, viewer(people.max), view.id).learners] == [
            "lee@acme.test"]


@pytest.mark.parametrize(("actor", "to", "error"), [
    ("max", "ola@acme.test", "to: unknown user ola@acme.test"),        # West is not Max's team
    ("max", "team:West", "to: unknown team 'West'"),
    ("max", "bob@globex.test", "to: unknown user bob@globex.test"),    # another organisation
    ("wes", "lee@acme.test", "to: unknown user lee@acme.test"),
    ("max", "nobody@acme.test", "to: unknown user nobody@acme.test"),
    ("max", "team:Nowhere", "to: unknown team 'Nowhere'"),
    ("max", "max@acme.test", "to: unknown user max@acme.test"),        # not to themselves
    ("lee", "kim@acme.test", "only managers and admins assign practice"),
])
def test_assigning_outside_what_the_actor_manages_is_refused(db: Database, content: ContentService, people: People,
                                                              actor: str, to: str, error: str) -> None:
    with pytest.raises(NotFound) as caught:
        _assign(db, getattr(people, actor), to)
    assert str(caught.value) == error
    with db.read() as s:
        assert s.scalar(select(AssigneeRow.id)) is None


def test_admins_assign_anyone_of_their_organisation_and_the_operator_anyone(db: Database, content: ContentService,
                                                                              people: People) -> None:
    assert [r.email for r in _assign(db, people.ada, "team:West").learners] == ["ola@acme.test"]
    with pytest.raises(NotFound):
        _assign(db, people.ada, "bob@globex.test")
    view = _assign(db, None, "bob@globex.test")
    assert view.assigned_by == "operator" and [r.email for r in view.learners] == ["bob@globex.test"]
    with pytest.raises(InvalidInput, match="exists in several organisations"):  # East is in Acme and Globex
        _assign(db, None, "team:East")


@pytest.mark.parametrize(("kw", "error"), [
    ({"reps": 0}, "reps: give a number of reps from 1 to 50"),
    ({"due_on": date.today() - timedelta(days=1)}, "is in the past"),
    ({"difficulty": "extreme"}, "difficulty: use one of easy, medium, hard"),
])
def test_bad_requests_name_the_field(db: Database, content: ContentService, people: People, kw: dict[str, object],
                                     error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        _assign(db, people.max, "lee@acme.test", **kw)


def test_an_unknown_scenario_is_not_found(db: Database, content: ContentService, people: People) -> None:
    with pytest.raises(NotFound, match="scenario: unknown scenario"), db.session() as s:
        assignments.assign(s, viewer(people.max), _lookup(db), "no-such-scenario", "lee@acme.test", reps=1,
                           due_on=DUE)


def test_due_today_is_allowed_and_parse_due_names_the_field() -> None:
    assignments.check_due(datetime.now(UTC).date(), datetime.now(UTC))
    assert assignments.parse_due(" 2026-12-24 ") == date(2026, 12, 24)
    with pytest.raises(InvalidInput, match="due: give a date as YYYY-MM-DD"):
        assignments.parse_due("24/12/2026")


def test_the_learner_practises_submits_their_best_and_the_manager_reviews(
        db: Database, practice: PracticeService, people: People) -> None:
    view = _assign(db, people.max, "team:East")
    lee = people.lee
    first = support.scored_rep(practice, lee, "What matters most?")
    with db.read() as s:
        [mine] = assignments.inbox(s, viewer(lee))
        row = mine.learners[0]
        assert (row.status, row.reps_done) == ("in_progress", 1)
    with pytest.raises(InvalidInput, match=r"do 1 more rep first \(1 of 2 done\)"), db.session() as s:
        assignments.submit(s, viewer(lee), row.assignee_id, first)
    second = support.scored_rep(practice, lee, "No question here.")
    with pytest.raises(NotFound), db.session() as s:  # someone else's assignment row
        assignments.submit(s, viewer(people.kim), row.assignee_id, first)
    with db.session() as s:
        assert assignments.submit(s, viewer(lee), row.assignee_id, first) == view.id
    assert _notes(db, people.max)[-1] == (
        "submitted", "lee@acme.test submitted their best rep of A guarded buyer (test)")
    with db.read() as s:
        [mine] = assignments.inbox(s, viewer(lee))
        assert (mine.learners[0].status, mine.learners[0].submitted_rep_id, mine.learners[0].reps_done) == (
            "submitted", first, 2)
        assert [r.id for r in mine.learners[0].reps] == [first, second]
    with pytest.raises(NotFound), db.session() as s:  # the manager of another team sees nothing of it
        assignments.review(s, viewer(people.wes), row.assignee_id)
    with db.session() as s:
        assert assignments.review(s, viewer(people.max), row.assignee_id) == view.id
    assert _notes(db, lee)[-1] == ("reviewed", "Max reviewed your rep of A guarded buyer (test)")
    with db.session() as s:  # reviewing again changes nothing and logs nothing
        assignments.review(s, viewer(people.max), row.assignee_id)
    with db.read() as s:
        [reviewed] = s.scalars(select(AuditRow).where(AuditRow.action == "assignment.reviewed")).all()
        assert (reviewed.actor_id, reviewed.target_id, reviewed.via) == (people.max.id, str(view.id), "web")
        assert reviewed.detail == {"learner": "lee@acme.test", "rep_id": first, "title": view.title}
    with pytest.raises(InvalidInput, match="reviewed already"), db.session() as s:
        assignments.submit(s, viewer(lee), row.assignee_id, second)


def test_a_rep_from_before_the_assignment_or_another_scenario_cannot_be_submitted(
        db: Database, practice: PracticeService, people: People) -> None:
    old = support.scored_rep(practice, people.lee, "Before?")
    view = _assign(db, people.max, "lee@acme.test", reps=1)
    with pytest.raises(InvalidInput, match="submit one of your own reps"), db.session() as s:
        assignments.submit(s, viewer(people.lee), view.learners[0].assignee_id, old)
    with pytest.raises(InvalidInput, match="nothing was submitted yet"), db.session() as s:
        assignments.review(s, viewer(people.max), view.learners[0].assignee_id)


def test_who_sees_which_assignment(db: Database, content: ContentService, people: People) -> None:
    east = _assign(db, people.max, "team:East")
    west = _assign(db, people.wes, "team:West")
    by_admin = _assign(db, people.ada, "lee@acme.test")
    with db.read() as s:
        assert [v.id for v in assignments.managed_assignments(s, viewer(people.max))] == [by_admin.id, east.id]
        assert [v.id for v in assignments.managed_assignments(s, viewer(people.wes))] == [west.id]
        assert [v.id for v in assignments.managed_assignments(s, viewer(people.ada))] == [by_admin.id, west.id,
                                                                                          east.id]
        assert assignments.managed_assignments(s, viewer(people.lee)) == []
        with pytest.raises(NotFound):
            assignments.managed_assignment(s, viewer(people.wes), east.id)
        with pytest.raises(NotFound):
            assignments.managed_assignment(s, viewer(people.lee), east.id)
        assert [v.id for v in assignments.inbox(s, viewer(people.lee))] == [east.id, by_admin.id]
        assert assignments.inbox(s, viewer(people.ola))[0].id == west.id
        assert assignments.inbox(s, viewer(people.bob)) == []
        assert [v.id for v in assignments.list_for_user(s, people.ola.id)] == [west.id]
        assert len(assignments.list_for_user(s, None)) == 3
