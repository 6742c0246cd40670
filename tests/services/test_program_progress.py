"""Program progress (sparring.services.program_progress) on SQLite and PostgreSQL: which stored reps count (the
dates, the scenarios, ended reps, the pass bar on the newest score), pace per learner, a manager seeing only their
learners, and the learner's own "this week" view."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
import sparring_test_support as support
from sqlalchemy import select, update

from sparring.coaching.programs import tally
from sparring.services import programs
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.errors import NotFound
from sparring.services.practice import PracticeService
from sparring.services.program_progress import _reps_of, _tallies, my_week, program_progress
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Rep
from sparring.testing.fakes import FakePersona

SCENARIO = support.TEST_SCENARIO
START = date(2026, 3, 2)
END = date(2026, 3, 29)  # four weeks
NOON = datetime(2026, 3, 16, 12, tzinfo=UTC)  # day 15: 14 days over, 5 of 10 reps expected


def viewer(u: UserRecord) -> Viewer:
    return Viewer(id=u.id, org_id=u.org_id, role=u.role, name=u.name or u.email, email=u.email)


def _rep(db: Database, practice: PracticeService, user: UserRecord, when: datetime, line: str = "Why?") -> int:
    rep_id = support.scored_rep(practice, user, line)
    with db.session() as s:
        s.execute(update(Rep).where(Rep.id == rep_id).values(created_at=when))
    return rep_id


@pytest.fixture
def setup(db: Database, practice: PracticeService, learner: UserRecord) -> tuple[int, dict[str, UserRecord]]:
    acc = Accounts(db)
    people = {"lee": learner,
              "kim": acc.create_user("Acme", "kim@acme.test", None, role="learner", team="East", name="Kim"),
              "ola": acc.create_user("Acme", "ola@acme.test", None, role="learner", team="West", name="Ola"),
              "max": acc.create_user("Acme", "max@acme.test", None, role="manager", team="East", name="Max")}
    with db.session() as s:
        view = programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=learner.org_id,
            name="Sprint", start_on=START, end_on=END, target_min=10, pass_bar=50.0,
            scenarios=[ScenarioChoice(SCENARIO, 1), ScenarioChoice("cs-renewal-discount", 2)],
            teams=["East"], users=["ola@acme.test"])
    return view.id, people


def test_progress_counts_the_reps_between_the_dates_and_the_pass_bar(
        db: Database, practice: PracticeService, setup: tuple[int, dict[str, UserRecord]]) -> None:
    program_id, p = setup
    lee, kim = p["lee"], p["kim"]
    for day in range(5):  # five passing reps in week 1: on track on day 15
        _rep(db, practice, lee, datetime(2026, 3, 2 + day, 9, tzinfo=UTC))
    _rep(db, practice, lee, datetime(2026, 3, 8, 23, 59, tzinfo=UTC), line="Fine.")  # counts, does not pass
    _rep(db, practice, lee, datetime(2026, 3, 1, 23, 59, tzinfo=UTC))  # the day before: does not count
    _rep(db, practice, kim, datetime(2026, 3, 10, 9, tzinfo=UTC))
    unended = practice.start_rep(kim, SCENARIO)  # still in progress: does not count
    with db.session() as s:
        s.execute(update(Rep).where(Rep.id == unended.id).values(created_at=datetime(2026, 3, 11, tzinfo=UTC)))
    with db.read() as s:
        progress = program_progress(s, None, program_id, now=NOON)
    assert progress.expected == 5
    rows = {r.email: r for r in progress.learners}
    assert list(rows) == ["kim@acme.test", "lee@acme.test", "ola@acme.test"]  # by name
    assert (rows["lee@acme.test"].reps, rows["lee@acme.test"].passed, rows["lee@acme.test"].pace) == (6, 5, "on_track")
    assert rows["lee@acme.test"].last_rep_at == datetime(2026, 3, 8, 23, 59, tzinfo=UTC)
    assert rows["lee@acme.test"].percent == 60
    assert (rows["kim@acme.test"].reps, rows["kim@acme.test"].pace) == (1, "behind")
    assert (rows["ola@acme.test"].reps, rows["ola@acme.test"].last_rep_at, rows["ola@acme.test"].pace) == (
        0, None, "behind")
    assert progress.total_reps == 7
    assert progress.count("behind") == 2
    assert [r.email for r in progress.behind] == ["kim@acme.test", "ola@acme.test"]
    assert progress.completion == pytest.approx((0.6 + 0.1 + 0) / 3)
    doc = progress.as_json()
    assert doc["expected_by_now"] == 5 and doc["learners"][1]["per_scenario"] == {  # type: ignore[index]
        SCENARIO: 6, "cs-renewal-discount": 0}
    with db.read() as s:  # after the end: whoever is short of the target missed it
        after = program_progress(s, None, program_id, now=datetime(2026, 4, 2, tzinfo=UTC))
    assert {r.email: r.pace for r in after.learners}["lee@acme.test"] == "missed"


def test_the_grouped_count_equals_the_rules_applied_rep_by_rep(
        db: Database, practice: PracticeService, setup: tuple[int, dict[str, UserRecord]]) -> None:
    """``progress_of`` counts in the database (``_tallies``); ``coaching.programs.tally`` over every rep is the
    reference, with the program's pass bar and without one, on reps inside, outside and at the edges of the dates,
    ended or not, re-scored."""
    program_id, p = setup
    lee, kim = p["lee"], p["kim"]
    for when, line in ((datetime(2026, 3, 2, 0, 0, tzinfo=UTC), "Why?"), (datetime(2026, 3, 29, 23, 59, tzinfo=UTC),
                       "Fine."), (datetime(2026, 3, 30, 0, 0, tzinfo=UTC), "Why?"),
                       (datetime(2026, 3, 5, 9, tzinfo=UTC), "Fine.")):
        _rep(db, practice, lee, when, line)
    rescored = _rep(db, practice, kim, datetime(2026, 3, 10, 9, tzinfo=UTC), "Fine.")
    PracticeService(db, persona=FakePersona(), scorer=support.LineScorer(),
                    content=practice.content).score_rep(rescored)  # the newest overall is now 0
    _rep(db, practice, kim, datetime(2026, 3, 11, 9, tzinfo=UTC))
    unended = practice.start_rep(kim, SCENARIO)
    with db.session() as s:
        s.execute(update(Rep).where(Rep.id == unended.id).values(created_at=datetime(2026, 3, 12, tzinfo=UTC)))
    ids = [u.id for u in p.values()]
    with db.read() as s:
        plan = programs.get_program(s, None, program_id).plan
        for bar in (plan.pass_bar, None, 100.0):
            variant = dataclasses.replace(plan, pass_bar=bar)
            by_rep = {uid: tally(variant, reps) for uid, reps in _reps_of(s, variant, ids).items()}
            grouped = _tallies(s, variant, ids)
            assert grouped == {uid: t for uid, t in by_rep.items() if t.reps}, bar
            assert [list(t.per_scenario) for t in grouped.values()] == [list(t.per_scenario) for t in (
                by_rep[uid] for uid in grouped)]
    assert grouped[lee.id].reps == 3 and grouped[kim.id].reps == 2


def test_a_manager_sees_only_their_learners_a_learner_no_program(
        db: Database, practice: PracticeService, setup: tuple[int, dict[str, UserRecord]]) -> None:
    program_id, p = setup
    with db.read() as s:
        assert [r.email for r in program_progress(s, viewer(p["max"]), program_id, now=NOON).learners] == [
            "kim@acme.test", "lee@acme.test"]
        with pytest.raises(NotFound):
            program_progress(s, viewer(p["lee"]), program_id, now=NOON)


def test_the_learners_week_says_what_to_do_next(
        db: Database, practice: PracticeService, setup: tuple[int, dict[str, UserRecord]]) -> None:
    _, p = setup
    lee = p["lee"]
    _rep(db, practice, lee, datetime(2026, 3, 3, 9, tzinfo=UTC))
    with db.read() as s:
        week1 = my_week(s, viewer(lee), now=datetime(2026, 3, 4, 9, tzinfo=UTC))
        week2 = my_week(s, viewer(lee), now=datetime(2026, 3, 10, 9, tzinfo=UTC))
        over = my_week(s, viewer(lee), now=datetime(2026, 3, 30, 9, tzinfo=UTC))
        managers = my_week(s, viewer(p["max"]), now=datetime(2026, 3, 4, 9, tzinfo=UTC))
    assert len(week1) == 1
    w = week1[0]
    assert (w.reps, w.advice.week, w.advice.reps_left, w.advice.reps_this_week) == (1, 1, 9, 1)
    assert w.advice.next is not None and w.advice.next.scenario_id == SCENARIO
    assert week2[0].advice.next is not None and week2[0].advice.next.scenario_id == "cs-renewal-discount"
    assert over == []  # ended programs are not this week's
    assert managers == []  # a team's manager is not enrolled with the team


def test_changing_the_program_keeps_the_reps_and_recounts_them(
        db: Database, practice: PracticeService, setup: tuple[int, dict[str, UserRecord]]) -> None:
    program_id, p = setup
    lee = p["lee"]
    for day in (3, 10, 20):
        _rep(db, practice, lee, datetime(2026, 3, day, 9, tzinfo=UTC))
    _rep(db, practice, lee, datetime(2026, 3, 12, 9, tzinfo=UTC), line="Fine.")  # below the bar

    def lee_now() -> tuple[int, int]:
        with db.read() as s:
            row = {r.email: r for r in program_progress(s, None, program_id, now=NOON).learners}["lee@acme.test"]
        return row.reps, row.passed

    def change(**kw: object) -> None:
        with db.session() as s:
            programs.edit_program(s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), program_id,
                                  programs.ProgramChanges(**kw))  # type: ignore[arg-type]

    assert lee_now() == (4, 3)
    change(end_on=date(2026, 3, 11))  # the rep of the 12th and the 20th fall out
    assert lee_now() == (2, 2)
    change(end_on=END, pass_bar=None)  # back in: nothing was deleted; without a bar every counting rep passes
    assert lee_now() == (4, 4)
    change(scenarios=[ScenarioChoice("cs-renewal-discount")])  # none of Lee's reps is of the new plan
    assert lee_now() == (0, 0)
    with db.read() as s:
        assert len(s.scalars(select(Rep.id).where(Rep.user_id == lee.id)).all()) == 4
