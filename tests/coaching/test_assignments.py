"""Assignment rules (sparring.coaching.assignments): which reps count, the status they give, the due moment, the
reminders due, and what may be submitted. The pure rules on their own; ``counting_reps`` on SQLite and PostgreSQL
with reps played through the practice service (fake engines)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sparring_test_support as support

from sparring.coaching.assignments import (
    CountedRep,
    Progress,
    counting_reps,
    counts_at,
    deadline,
    is_overdue,
    reminders_due,
    status_of,
    submit_problem,
)
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.store.db import Database

DUE = date(2026, 12, 10)
BEFORE = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


def _rep(i: int, outcome: str = "success", overall: float | None = 50.0) -> CountedRep:
    return CountedRep(i, 100 + i, "medium", outcome, BEFORE + timedelta(minutes=i), overall)


def _status(reps: tuple[CountedRep, ...], now: datetime, *, submitted: bool = False, submit_best: bool = True,
            required: int = 2) -> str:
    return status_of(Progress(reps), reps_required=required, submit_best=submit_best, submitted=submitted,
                     due_on=DUE, now=now)


def test_due_until_the_end_of_the_due_day_in_utc() -> None:
    assert deadline(DUE) == datetime(2026, 12, 11, tzinfo=UTC)
    assert not is_overdue(DUE, datetime(2026, 12, 10, 23, 59, 59, tzinfo=UTC))
    assert is_overdue(DUE, datetime(2026, 12, 11, 0, 0, tzinfo=UTC))
    # a time in another zone is the same instant: 00:30 on the 11th in Paris is still the 10th in UTC
    paris = ZoneInfo("Europe/Paris")
    assert not is_overdue(DUE, datetime(2026, 12, 11, 0, 30, tzinfo=paris))
    assert is_overdue(DUE, datetime(2026, 12, 11, 1, 0, tzinfo=paris))


def test_status_moves_from_not_started_to_in_progress_to_submitted_or_overdue() -> None:
    late = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    assert _status((), BEFORE) == "not_started"
    assert _status((_rep(1, "in_progress", None),), BEFORE) == "in_progress"
    assert _status((_rep(1), _rep(2)), BEFORE) == "in_progress"  # enough reps, nothing submitted yet
    assert _status((_rep(1), _rep(2)), BEFORE, submitted=True) == "submitted"
    assert _status((), late) == "overdue"
    assert _status((_rep(1),), late) == "overdue"
    assert _status((_rep(1), _rep(2)), late, submitted=True) == "submitted"  # a late submission is submitted
    # without "submit your best", the required reps done complete it
    assert _status((_rep(1), _rep(2)), late, submit_best=False) == "submitted"
    assert _status((_rep(1), _rep(2, "in_progress", None)), BEFORE, submit_best=False) == "in_progress"


def test_the_same_or_a_harder_difficulty_counts() -> None:
    assert counts_at("medium", "medium") and counts_at("hard", "medium") and counts_at("hard", "easy")
    assert not counts_at("easy", "medium") and not counts_at("medium", "hard")
    assert not counts_at("extreme", "easy")


def test_reminders_due_the_day_before_on_the_day_and_once_overdue() -> None:
    assert reminders_due("not_started", DUE, datetime(2026, 12, 8, 23, 0, tzinfo=UTC)) == []
    assert reminders_due("not_started", DUE, datetime(2026, 12, 9, 0, 0, tzinfo=UTC)) == ["due_soon"]
    assert reminders_due("in_progress", DUE, datetime(2026, 12, 10, 18, 0, tzinfo=UTC)) == ["due_soon"]
    assert reminders_due("in_progress", DUE, datetime(2026, 12, 11, 0, 0, tzinfo=UTC)) == ["overdue"]
    assert reminders_due("submitted", DUE, datetime(2026, 12, 12, tzinfo=UTC)) == []


def test_what_may_be_submitted() -> None:
    reps = Progress((_rep(1, overall=40.0), _rep(2, overall=90.0), _rep(3, "in_progress", None)))
    assert submit_problem(reps, 2, 2) is None
    assert submit_problem(reps, 99, 2) == "rep: submit one of your own reps of this scenario made since it was assigned"
    assert submit_problem(reps, 3, 2) == "rep: finish this rep before you submit it"
    assert submit_problem(reps, 1, 3) == "rep: do 1 more rep first (2 of 3 done)"
    assert reps.best() == reps.get(2)
    assert Progress((_rep(1, overall=None),)).best() is None


def test_counting_reps_are_the_learners_own_on_the_scenario_since_the_assignment(
        db: Database, practice: PracticeService) -> None:
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East")
    before = support.scored_rep(practice, lee, "Too early?")
    since = datetime.now(UTC)
    asked = support.scored_rep(practice, lee, "What matters most to you?")
    silent = support.scored_rep(practice, lee, "We are the best.")
    easy = practice.start_rep(lee, support.TEST_SCENARIO, "easy")
    open_hard = practice.start_rep(lee, support.TEST_SCENARIO, "hard")
    support.scored_rep(practice, kim, "Someone else's?")
    with db.read() as s:
        progress = counting_reps(s, lee.id, support.TEST_SCENARIO, "medium", since)
        assert [r.id for r in progress.reps] == [asked, silent, open_hard.id]
        assert before not in [r.id for r in progress.reps] and easy.id not in [r.id for r in progress.reps]
        assert (progress.started, progress.done) == (3, 2)
        assert progress.get(asked).overall == 100.0 and progress.get(silent).overall == 0.0  # type: ignore[union-attr]
        assert progress.best().id == asked  # type: ignore[union-attr]
        assert counting_reps(s, lee.id, "another-scenario", "medium", since).reps == ()
        assert counting_reps(s, lee.id, support.TEST_SCENARIO, "hard", since).started == 1


@pytest.mark.parametrize("difficulty", ["nonsense", ""])
def test_an_unknown_difficulty_counts_nothing(db: Database, practice: PracticeService, difficulty: str) -> None:
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    support.scored_rep(practice, lee, "Why?")
    with db.read() as s:
        assert counting_reps(s, lee.id, support.TEST_SCENARIO, difficulty, datetime(2000, 1, 1, tzinfo=UTC)).reps == ()
