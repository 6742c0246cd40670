"""The demo organisation: seeded idempotently so ``sparring demo`` shows a lived-in product.

An admin, a manager of two teams, learners in each team (one who has never practised), and completed, scored
reps played through the real engines by scripted learners of different skill, spread over the last weeks so
the dashboards have trends; and real calls of the reps with a coaching loop closed and one open
(``services.demo_loop``); and a 30-day practice sprint half-way through (``services.demo_program``). Running it
again changes nothing once the organisation exists, except that a demo organisation made before the demo had calls
or a program gets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from sparring.coaching.winning_lines import save_line
from sparring.content.scenario import Scenario
from sparring.services import demo_loop, demo_program
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import ServiceError
from sparring.services.practice import PracticeService
from sparring.store import rep_rollup
from sparring.store.db import Database
from sparring.store.models import ConversationRow, CriterionResultRow, Organisation, Rep, ScorecardRow, TurnRow, User
from sparring.store.program_models import ProgramRow

DEMO_ORG = "Northwind Demo"
DEMO_PASSWORD = "demo-harbour-lantern"
DEMO_RUBRICS = ("sales-objection-handling", "renewal-value", "discovery")


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    teams: tuple[str, ...]
    #: 0 = never practised; otherwise how many reps to seed, and how skilled the scripted learner is
    reps: int = 0
    skill: float = 0.5
    #: reps done so far in the demo's practice sprint (``services.demo_program``; a learner enrolled through their
    #: team with 0 has done none)
    program_reps: int = 0


DEMO_USERS = (
    DemoUser("admin@northwind.example", "Alex Admin", "admin", ()),
    DemoUser("manager@northwind.example", "Morgan Lee", "manager", ("Enterprise", "Mid-market")),
    DemoUser("ava@northwind.example", "Ava Patel", "learner", ("Enterprise",), reps=5, skill=0.85, program_reps=10),
    DemoUser("ben@northwind.example", "Ben Okafor", "learner", ("Enterprise",), reps=4, skill=0.45, program_reps=6),
    DemoUser("chloe@northwind.example", "Chloe Martin", "learner", ("Mid-market",), reps=4, skill=0.65,
             program_reps=8),
    DemoUser("dev@northwind.example", "Dev Sharma", "learner", ("Mid-market",), reps=0),
)

# Lines of a learner who probes, acknowledges, gives value, trades and asks for a next step ...
SKILLED = (
    "Thanks for making the time. Before I say anything about price, what would a good outcome look like for you?",
    "That makes sense. It sounds like you are under real pressure to show the numbers to your leadership.",
    "What is driving that concern most right now, budget, timing, or something else?",
    "Since you started, the team has saved about twenty hours a week; that is the value we are protecting here.",
    "If you can commit to a two-year term, we can add a review point after year one so you are never stuck.",
    "How would your team cope if that part of the workflow went away?",
    "Could we book thirty minutes next week with your leadership to walk through the numbers together?",
    "Let's agree the next step: I send a one-page summary by Friday and we meet together on Tuesday.",
)
# ... and of one who discounts at once, pushes, and never asks.
POOR = (
    "I can give you a fifteen percent discount right now if you sign today.",
    "Honestly our product is the best on the market and everyone loves it, you really should just renew.",
    "Look, I can go to twenty percent off, that is my final offer, can you sign this week?",
    "You need to decide now, the price goes up next month.",
    "Fine, I will throw in the premium support for free as well.",
)


def _lines(skill: float, seed: int) -> list[str]:
    """A mix of skilled and poor lines: the higher the skill, the more skilled lines, in a stable order."""
    out: list[str] = []
    for i in range(14):
        good = ((i * 7 + seed * 3) % 10) / 10 < skill
        pool = SKILLED if good else POOR
        out.append(pool[(i + seed) % len(pool)])
    return out


@dataclass(frozen=True)
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]]  # (role, email, password)
    reps: int
    #: real calls imported, and the coaching loops seeded (services.demo_loop)
    calls: int = 0
    loops: int = 0
    #: the practice sprint seeded (services.demo_program) and the reps played in it
    program_id: int | None = None
    program_reps: int = 0


def _play(practice: PracticeService, user_id: int, scenario: Scenario, skill: float, seed: int) -> int:
    user = Accounts(practice.db).get_user(user_id)
    rep = practice.start_rep(user, scenario.id, "medium")
    for line in _lines(skill, seed):
        try:
            result = practice.submit_turn(rep.id, line)
        except ServiceError:
            break
        if result.ended:
            break
    record = practice.get_rep(rep.id)
    if not record.ended:
        practice.end_rep(rep.id, "ended by the learner")
    practice.score_rep(rep.id)
    return rep.id


def _backdate(database: Database, rep_id: int, when: datetime) -> None:
    with database.session() as s:
        s.execute(update(Rep).where(Rep.id == rep_id).values(created_at=when, updated_at=when))
        cid = s.scalar(select(Rep.conversation_id).where(Rep.id == rep_id))
        s.execute(update(ConversationRow).where(ConversationRow.id == cid)
                  .values(created_at=when, started_at=when, ended_at=when))
        s.execute(update(ScorecardRow).where(ScorecardRow.conversation_id == cid).values(created_at=when))
        s.execute(update(CriterionResultRow).where(CriterionResultRow.conversation_id == cid).values(created_at=when))
        rep_rollup.refresh(s, [cid] if cid is not None else [])  # its length changed


def seed_demo(database: Database, practice: PracticeService | None = None,
              users: tuple[DemoUser, ...] = DEMO_USERS, with_calls: bool | None = None,
              with_program: bool | None = None) -> DemoResult:
    """Create the demo organisation if it does not exist. Safe to run any number of times. ``with_calls``: also
    import the demo calls and seed the coaching loops (``services.demo_loop``); by default when ``users`` has the
    manager and the reps of those calls. ``with_program``: also run the practice sprint (``services.demo_program``);
    by default when a learner of ``users`` has reps in it."""
    logins = [(u.role, u.email, DEMO_PASSWORD) for u in users]
    if with_program is None:
        with_program = any(u.program_reps for u in users)
    with database.read() as s:
        org_id = s.scalar(select(Organisation.id).where(Organisation.name == DEMO_ORG))
    if org_id is not None:
        calls, loops = _calls_for_older_demo(database, org_id, practice, with_calls)
        program = _program_for_older_demo(database, org_id, practice, users) if with_program else None
        return DemoResult(False, logins, 0, calls, loops, *_program_counts(program))
    accounts = Accounts(database)
    ids: dict[str, int] = {}
    for u in users:
        record = accounts.create_user(DEMO_ORG, u.email, DEMO_PASSWORD, role=u.role,
                                      team=u.teams[0] if u.teams else None, name=u.name)
        for team in u.teams[1:]:
            accounts.add_to_team(record.id, team)
        ids[u.email] = record.id
    if practice is None:  # the demo's scores come from the embedded engines: the same on every machine
        practice = _embedded_practice(database)
    # the scripted lines are a seller's at a pricing or renewal conversation, so the demo plays the scenarios
    # scored with those rubrics, as the demo organisation sees them
    content = practice.content_for(accounts.org_id(DEMO_ORG))
    scenarios = [sc for sc in content.list_scenarios() if sc.rubric in DEMO_RUBRICS]
    scenarios = scenarios or content.list_scenarios()
    now = datetime.now(UTC)
    count = 0
    for n, u in enumerate(users):
        for k in range(u.reps):
            scenario = scenarios[(n + k) % len(scenarios)]
            # skill grows a little with practice, so the trend charts show learning
            rep_id = _play(practice, ids[u.email], scenario, min(0.95, u.skill + 0.06 * k), seed=n * 10 + k)
            _backdate(database, rep_id, now - timedelta(days=7 * (u.reps - k) - n, hours=3 * k))
            count += 1
            if u.skill >= 0.8 and k < 2:
                _save_lines(database, ids[u.email], rep_id)
    if with_calls is None:
        with_calls = set(ids) >= _CALL_USERS
    calls, loops = _seed_calls(database, practice, now) if with_calls else (0, 0)
    program = _seed_program(database, practice, users, now) if with_program else None
    return DemoResult(True, logins, count, calls, loops, *_program_counts(program))


def _seed_program(database: Database, practice: PracticeService, users: tuple[DemoUser, ...],
                  now: datetime) -> demo_program.DemoProgram | None:
    """The practice sprint for the teams of the demo's learners, led by the demo's manager if there is one."""
    learners = [u for u in users if u.role == "learner"]
    manager = next((u.email for u in users if u.role == "manager"), None)
    return demo_program.seed_program(
        database, practice, _play, _backdate, org=DEMO_ORG, manager=manager,
        teams=sorted({t for u in learners for t in u.teams}),
        learners=[demo_program.SprintLearner(u.email, u.program_reps, u.skill) for u in learners if u.program_reps],
        now=now)


def _program_for_older_demo(database: Database, org_id: int, practice: PracticeService | None,
                            users: tuple[DemoUser, ...]) -> demo_program.DemoProgram | None:
    """A demo organisation made before the demo had a program (no program at all, every account of it there)
    gets the sprint; otherwise nothing changes."""
    with database.read() as s:
        has_program = s.scalar(select(ProgramRow.id).where(ProgramRow.org_id == org_id).limit(1))
        emails = set(s.scalars(select(User.email).where(User.org_id == org_id)))
    if has_program is not None or not emails >= {u.email for u in users}:
        return None
    return _seed_program(database, practice or _embedded_practice(database), users, datetime.now(UTC))


def _program_counts(program: demo_program.DemoProgram | None) -> tuple[int | None, int]:
    return (program.program_id, program.reps) if program is not None else (None, 0)


#: the accounts the demo calls and loops need
_CALL_USERS = {demo_loop.MANAGER, *(c.email for c in demo_loop.DEMO_CALLS)}


def _embedded_practice(database: Database) -> PracticeService:
    from sparring.persona.embedded import EmbeddedPersonaEngine
    from sparring.scoring.embedded import EmbeddedScorer

    return PracticeService(database, persona=EmbeddedPersonaEngine, scorer=EmbeddedScorer)


def _seed_calls(database: Database, practice: PracticeService, now: datetime) -> tuple[int, int]:
    from sparring.scoring.embedded import EmbeddedScorer

    seeded = demo_loop.seed_calls_and_loops(database, practice, EmbeddedScorer, _backdate, now=now)
    return seeded.calls, 2


def _calls_for_older_demo(database: Database, org_id: int, practice: PracticeService | None,
                          with_calls: bool | None) -> tuple[int, int]:
    """A demo organisation made before the demo had calls (no call at all, every account of the calls there) gets
    them; otherwise nothing changes."""
    if with_calls is False:
        return 0, 0
    with database.read() as s:
        has_calls = s.scalar(select(ConversationRow.id).where(ConversationRow.org_id == org_id,
                                                              ConversationRow.source == "call").limit(1))
        emails = set(s.scalars(select(User.email).where(User.org_id == org_id)))
    if has_calls is not None or not emails >= _CALL_USERS:
        return 0, 0
    return _seed_calls(database, practice or _embedded_practice(database), datetime.now(UTC))


def _save_lines(database: Database, user_id: int, rep_id: int) -> None:
    """A strong learner keeps their opening question and their value line as winning lines."""
    tags = {SKILLED[0]: "opening a tough conversation", SKILLED[3]: "quantifying value"}
    with database.session() as s:
        user = s.get(User, user_id)
        assert user is not None
        viewer = Viewer.of(user)
        turns = select(TurnRow).join(Rep, Rep.conversation_id == TurnRow.conversation_id)
        for turn in s.scalars(turns.where(Rep.id == rep_id, TurnRow.role == "learner")):
            if turn.text in tags:
                save_line(s, viewer, rep_id, turn.turn_index, tags[turn.text])


