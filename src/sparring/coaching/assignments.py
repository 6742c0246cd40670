"""Assignment rules (issue 13 item 5; docs/assignments.md): which of a learner's reps count towards an assignment,
the status those reps give, when an assignment is due, and which reminders are due.

- **Reps that count**: the learner's practice reps of the assigned scenario (any version) started at or after the
  assignment was created, at the assigned difficulty or a harder one. A rep *counts as done* once it has ended
  (success, failure or incomplete); one still in progress makes the assignment *in progress*.
- **Status** (``status_of``): ``submitted`` once the learner submitted a rep (or, for an assignment without
  "submit your best", once the required reps are done); else ``overdue`` after the due day (UTC); else
  ``in_progress`` when at least one counting rep exists; else ``not_started``.
- **Due**: an assignment due on day D is due until the end of D in UTC; ``overdue`` from 00:00 UTC on D + 1.
- **Reminders** (``reminders_due``): ``due_soon`` on the day before the due day (UTC), ``overdue`` once overdue;
  only while the learner has not submitted. Each is sent once per assignee (the job layer keys them).

The functions are pure apart from ``counting_reps``, which reads the stored reps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.store.models import DIFFICULTIES, Rep, ScorecardRow

Status = Literal["not_started", "in_progress", "submitted", "overdue"]
Reminder = Literal["due_soon", "overdue"]
STATUS_LABELS: dict[str, str] = {"not_started": "Not started", "in_progress": "In progress",
                                 "submitted": "Submitted", "overdue": "Overdue"}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def deadline(due_on: date) -> datetime:
    """The moment an assignment due on ``due_on`` becomes overdue: the next midnight, UTC."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=UTC)


def is_overdue(due_on: date, now: datetime) -> bool:
    return _utc(now) >= deadline(due_on)


def counts_at(difficulty: str, assigned: str) -> bool:
    """Whether a rep at ``difficulty`` counts for an assignment at ``assigned`` (the same or harder)."""
    if difficulty not in DIFFICULTIES or assigned not in DIFFICULTIES:
        return False
    return DIFFICULTIES.index(difficulty) >= DIFFICULTIES.index(assigned)


@dataclass(frozen=True)
class CountedRep:
    """A rep that counts towards an assignment, with its newest overall score when scored."""

    id: int
    conversation_id: int
    difficulty: str
    outcome: str
    created_at: datetime
    overall: float | None

    @property
    def done(self) -> bool:
        return self.outcome != "in_progress"


@dataclass(frozen=True)
class Progress:
    """A learner's counting reps for one assignment, oldest first."""

    reps: tuple[CountedRep, ...]

    @property
    def done(self) -> int:
        return sum(r.done for r in self.reps)

    @property
    def started(self) -> int:
        return len(self.reps)

    def best(self) -> CountedRep | None:
        """The best-scoring ended rep (ties: the later one), or None when none is scored."""
        scored = [r for r in self.reps if r.done and r.overall is not None]
        return max(scored, key=lambda r: (r.overall or 0.0, r.created_at, r.id)) if scored else None

    def get(self, rep_id: int) -> CountedRep | None:
        return next((r for r in self.reps if r.id == rep_id), None)


def counting_reps(db: Session, user_id: int, scenario_id: str, difficulty: str, since: datetime) -> Progress:
    """The reps of ``user_id`` that count towards an assignment of ``scenario_id`` at ``difficulty`` created at
    ``since`` (see the module's docstring), with their newest scores."""
    harder = DIFFICULTIES[DIFFICULTIES.index(difficulty):] if difficulty in DIFFICULTIES else ()
    rows = list(db.scalars(
        select(Rep).where(Rep.user_id == user_id, Rep.scenario_id == scenario_id, Rep.created_at >= since,
                          Rep.difficulty.in_(harder))
        .order_by(Rep.created_at, Rep.id)
    ))
    overall = _newest_overall(db, [r.conversation_id for r in rows])
    return Progress(tuple(CountedRep(r.id, r.conversation_id, r.difficulty, r.outcome, _utc(r.created_at),
                                     overall.get(r.conversation_id)) for r in rows))


def _newest_overall(db: Session, conversation_ids: Sequence[int]) -> dict[int, float]:
    if not conversation_ids:
        return {}
    newest: dict[int, tuple[int, float]] = {}
    for cid, sid, overall in db.execute(
        select(ScorecardRow.conversation_id, ScorecardRow.id, ScorecardRow.overall)
        .where(ScorecardRow.conversation_id.in_(list(conversation_ids)))
    ):
        if cid not in newest or sid > newest[cid][0]:
            newest[cid] = (sid, overall)
    return {cid: value for cid, (_, value) in newest.items()}


def status_of(progress: Progress, *, reps_required: int, submit_best: bool, submitted: bool, due_on: date,
              now: datetime) -> Status:
    """The status the learner's reps and submission give (the module's docstring has the rule)."""
    if submitted or (not submit_best and progress.done >= reps_required):
        return "submitted"
    if is_overdue(due_on, now):
        return "overdue"
    return "in_progress" if progress.started else "not_started"


def submit_problem(progress: Progress, rep_id: int, reps_required: int) -> str | None:
    """Why ``rep_id`` cannot be submitted for this assignment, or None when it can: it must be one of the counting
    reps, ended, and the required number of reps must be done."""
    rep = progress.get(rep_id)
    if rep is None:
        return "rep: submit one of your own reps of this scenario made since it was assigned"
    if not rep.done:
        return "rep: finish this rep before you submit it"
    if progress.done < reps_required:
        left = reps_required - progress.done
        return f"rep: do {left} more rep{'' if left == 1 else 's'} first ({progress.done} of {reps_required} done)"
    return None


def reminders_due(status: Status, due_on: date, now: datetime) -> list[Reminder]:
    """The reminders an assignee should have by ``now``: ``due_soon`` from the start of the day before the due
    day (UTC) while not overdue, ``overdue`` once overdue; none once submitted."""
    if status == "submitted":
        return []
    if status == "overdue" or is_overdue(due_on, now):
        return ["overdue"]
    if _utc(now).date() >= due_on - timedelta(days=1):
        return ["due_soon"]
    return []
