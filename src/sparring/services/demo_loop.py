"""The demo's real calls and coaching loops (docs/user-guide.md, "What you see in the demo"): ``sparring demo`` imports
four calls written for the demo (``services/demo_calls/``: a Teams WebVTT discovery call, an SRT renewal with a
discount push, a plain-text objection-heavy call and a Zoom WebVTT follow-up), and runs the review-to-practice loop
through the real services, as a manager and the reps would:

1. Ben Okafor's objection-heavy call is imported; the manager makes a drill from its pivotal moment (a price
   objection Ben argued with) and assigns it to Ben (2 reps, submit your best), which opens a coaching loop;
2. Ben plays the drill twice against the embedded persona, both reps are scored, and he submits the better one;
3. Ben's next call is imported and closes the loop with a verdict and its numbers;
4. Chloe Martin's renewal call, where she conceded a discount, gets a drill assigned too: that loop stays open
   until her next call comes in.

Everything runs in-process on the embedded engines (offline, the same on every machine), and the rows are then
dated over the last two weeks, in the order they happened. Called by ``services.demo.seed_demo`` only when it
creates the organisation, so it runs once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from sparring.services import assignments, call_reviews
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.calls import CallImporter
from sparring.services.drills import DrillAssignment, DrillCreated, create_drill, review_stored_call
from sparring.services.errors import ServiceError
from sparring.services.practice import PracticeService
from sparring.store.coaching_models import AssigneeRow, AssignmentRow, CoachingLoopRow
from sparring.store.db import Database
from sparring.store.models import ConversationRow, CriterionResultRow, ScorecardRow, User

if TYPE_CHECKING:
    from sparring.scoring.base import Scorer

#: the folder of the demo's call transcripts, inside this package
CALLS_DIR = "demo_calls"
MANAGER = "manager@northwind.example"


@dataclass(frozen=True)
class DemoCall:
    file: str
    email: str
    rep: str
    #: when the call happened, in days before the demo was seeded
    days_ago: float


AVA_DISCOVERY = DemoCall("lumen-health-discovery.vtt", "ava@northwind.example", "Ava Patel", 6)
CHLOE_RENEWAL = DemoCall("northgate-renewal.srt", "chloe@northwind.example", "Chloe Martin", 4)
BEN_FIRST = DemoCall("brightwave-follow-up.txt", "ben@northwind.example", "Ben Okafor", 12)
BEN_NEXT = DemoCall("castello-foods-follow-up.vtt", "ben@northwind.example", "Ben Okafor", 2)
DEMO_CALLS = (BEN_FIRST, AVA_DISCOVERY, CHLOE_RENEWAL, BEN_NEXT)

#: Ben in the drill: he now explores the price pushback instead of defending the number, then asks for a next step
DRILL_LINES = (
    "That's a fair concern, and I'd rather understand it than argue. What are you comparing the price with?",
    "When you say it is more than you pay today, is that the licence alone or the whole cost of running it?",
    "So the worry is paying for parts you will not use yet. What would have to be true for it to be worth it?",
    "Could we look at the first six months together with your finance lead, say thirty minutes on Thursday?",
    "Let's agree the next step: I send a one-page summary by Friday and we meet on Thursday at ten.",
)


@dataclass(frozen=True)
class DemoLoops:
    calls: int
    closed_loop: int
    open_loop: int
    drill_reps: int


def read_call(name: str) -> bytes:
    """A demo call transcript, from the package (works from a wheel too)."""
    return resources.files("sparring.services").joinpath(CALLS_DIR, name).read_bytes()


def _viewer(database: Database, email: str) -> Viewer:
    with database.read() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None, email
        return Viewer.of(user)


def _import(importer: CallImporter, call: DemoCall, user_id: int) -> int:
    result = importer.import_one(read_call(call.file), call.file, user_id, rep=call.rep)
    if not result.ok or result.conversation_id is None:
        raise ServiceError(f"demo call {call.file} was not imported: {result.error}")
    return result.conversation_id


def _drill(database: Database, manager: Viewer, call_id: int, email: str, reps: int, today: date) -> DrillCreated:
    """The drill of the call's pivotal moment (as the manager clicks it on the call page), assigned to the rep."""
    reviewed = review_stored_call(database, manager, call_id)
    pivotal = reviewed.summary.pivotal or (reviewed.summary.moments[0] if reviewed.summary.moments else None)
    if pivotal is None:
        raise ServiceError(f"demo call {call_id} has no moment to make a drill from")
    return create_drill(database, manager, call_id, pivotal.start_turn,
                        assign=DrillAssignment(email, due_on=today + timedelta(days=7), reps=reps))


def _play_drill(practice: PracticeService, user_id: int, scenario_id: str, lines: tuple[str, ...]) -> int:
    user = Accounts(practice.db).get_user(user_id)
    rep = practice.start_rep(user, scenario_id, "medium")
    for line in lines:
        try:
            if practice.submit_turn(rep.id, line).ended:
                break
        except ServiceError:
            break
    if not practice.get_rep(rep.id).ended:
        practice.end_rep(rep.id, "ended by the learner")
    practice.score_rep(rep.id)
    return rep.id


def _submit_best(database: Database, practice: PracticeService, viewer: Viewer, assignment_id: int,
                 rep_ids: list[int]) -> int:
    best = max(rep_ids, key=lambda r: practice.get_rep(r).overall or 0.0)
    with database.session() as s:
        assignee = s.scalar(select(AssigneeRow.id).where(AssigneeRow.assignment_id == assignment_id,
                                                         AssigneeRow.user_id == viewer.id))
        assert assignee is not None
        assignments.submit(s, viewer, assignee, best)
    return best


def seed_calls_and_loops(database: Database, practice: PracticeService, scorer: Callable[[], Scorer],
                         backdate_rep: Callable[[Database, int, datetime], None],
                         now: datetime | None = None) -> DemoLoops:
    """Import the demo calls and run one coaching loop to its verdict and one to an open assignment (module
    docstring). ``scorer`` builds the call scorer; ``backdate_rep`` dates a practice rep (``services.demo``)."""
    now = now or datetime.now(UTC)
    today = now.date()
    importer = CallImporter(database, cache(scorer))
    manager = _viewer(database, MANAGER)
    reps_of = {c.email: _viewer(database, c.email) for c in DEMO_CALLS}
    calls: dict[DemoCall, int] = {}

    def at(days_ago: float) -> datetime:
        return now - timedelta(days=days_ago)

    # 1. Ben's first call, and a drill from its pivotal moment: the loop opens, the drill is assigned
    ben = reps_of[BEN_FIRST.email]
    calls[BEN_FIRST] = _import(importer, BEN_FIRST, ben.id)
    ben_drill = _drill(database, manager, calls[BEN_FIRST], ben.email, 2, today)
    # the other calls of the fortnight
    for call in (AVA_DISCOVERY, CHLOE_RENEWAL):
        calls[call] = _import(importer, call, reps_of[call.email].id)
    # 2. two drill reps against the embedded persona, the better one submitted
    reps = [_play_drill(practice, ben.id, ben_drill.scenario_id, DRILL_LINES[k:]) for k in range(2)]
    _submit_best(database, practice, ben, _assignment(ben_drill), reps)
    # 3. Ben's next call closes the loop with a verdict
    calls[BEN_NEXT] = _import(importer, BEN_NEXT, ben.id)
    # 4. Chloe's drill: assigned, not practised yet, so her loop stays open
    chloe_drill = _drill(database, manager, calls[CHLOE_RENEWAL], CHLOE_RENEWAL.email, 3, today)

    # dated over the last two weeks, in the order it happened
    _date_calls(database, {cid: at(call.days_ago) for call, cid in calls.items()})
    for k, rep_id in enumerate(reps):
        backdate_rep(database, rep_id, at(9 - 3 * k))
    _date_loop(database, ben_drill, at(11), closed=at(BEN_NEXT.days_ago), submitted=at(6))
    _date_loop(database, chloe_drill, at(3))
    for cid in calls.values():  # the moments, kept as the import job keeps them: the calls list shows each pivotal
        call_reviews.summary_of(database, cid)
    assert ben_drill.loop_id is not None and chloe_drill.loop_id is not None
    return DemoLoops(len(calls), ben_drill.loop_id, chloe_drill.loop_id, len(reps))


def _assignment(drill: DrillCreated) -> int:
    assert drill.assignment_id is not None
    return drill.assignment_id


def _date_calls(database: Database, when: dict[int, datetime]) -> None:
    with database.session() as s:
        for cid, at in when.items():
            s.execute(update(ConversationRow).where(ConversationRow.id == cid)
                      .values(created_at=at, started_at=at, ended_at=at))
            s.execute(update(ScorecardRow).where(ScorecardRow.conversation_id == cid).values(created_at=at))
            s.execute(update(CriterionResultRow).where(CriterionResultRow.conversation_id == cid)
                      .values(created_at=at))


def _date_loop(database: Database, drill: DrillCreated, opened: datetime, *, closed: datetime | None = None,
               submitted: datetime | None = None) -> None:
    with database.session() as s:
        s.execute(update(CoachingLoopRow).where(CoachingLoopRow.id == drill.loop_id)
                  .values(created_at=opened, **({"closed_at": closed} if closed else {})))
        s.execute(update(AssignmentRow).where(AssignmentRow.id == drill.assignment_id).values(created_at=opened))
        values: dict[str, datetime] = {"created_at": opened}
        if submitted is not None:
            values["submitted_at"] = submitted
        s.execute(update(AssigneeRow).where(AssigneeRow.assignment_id == drill.assignment_id).values(**values))
