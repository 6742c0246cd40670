"""Program progress (issue 14 item 1; docs/programs.md): per learner, the reps that count so far, the passed ones,
the last rep, and whether they are behind or on track; and a learner's "this week" view (what to do next, how many
reps are left). The rules are ``coaching.programs``; who sees what is ``services.programs``.

``program_progress`` returns a plain dataclass, so the progress page, the CLI, the reminder job and (later) the
sponsor report all read the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import Session

from sparring.coaching.programs import (
    LearnerTally,
    Pace,
    Plan,
    RepFact,
    WeekAdvice,
    expected_by,
    pace,
    tally,
    this_week,
)
from sparring.services.access import Viewer
from sparring.services.programs import (
    ProgramView,
    enrolled_ids_query,
    enrolled_users,
    program_view,
    visible_learner_ids,
    visible_program_row,
)
from sparring.store.models import Rep, Team, TeamMember, User, utcnow
from sparring.store.program_models import ProgramEnrolmentRow, ProgramRow


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class LearnerProgress:
    """One learner's standing in a program."""

    user_id: int
    name: str
    email: str
    reps: int
    passed: int
    last_rep_at: datetime | None
    completion: float
    pace: Pace
    per_scenario: dict[str, int]

    @property
    def percent(self) -> int:
        return round(self.completion * 100)


@dataclass(frozen=True)
class ProgramProgress:
    """A program's progress on ``today``: the program, the reps expected by now, and each learner's row."""

    program: ProgramView
    today: date
    expected: int
    learners: list[LearnerProgress] = field(default_factory=list)

    def count(self, p: str) -> int:
        return sum(1 for row in self.learners if row.pace == p)

    @property
    def total_reps(self) -> int:
        return sum(row.reps for row in self.learners)

    @property
    def completion(self) -> float:
        """The cohort's average completion, 0 to 1 (0 with no learners)."""
        return sum(r.completion for r in self.learners) / len(self.learners) if self.learners else 0.0

    @property
    def behind(self) -> list[LearnerProgress]:
        return [r for r in self.learners if r.pace in ("behind", "missed")]

    def as_json(self) -> dict[str, object]:
        return {
            **self.program.as_json(), "today": self.today.isoformat(), "expected_by_now": self.expected,
            "reps": self.total_reps, "completion": round(self.completion, 4),
            "learners": [{"email": r.email, "name": r.name, "reps": r.reps, "passed": r.passed,
                          "last_rep_at": r.last_rep_at.isoformat() if r.last_rep_at else None,
                          "completion": round(r.completion, 4), "pace": r.pace, "per_scenario": r.per_scenario}
                         for r in self.learners],
        }


def counting_reps(plan: Plan, user_ids: Iterable[int] | Select[int]
                  ) -> Select[int, int, str, datetime, str, int]:
    """The query of the reps of ``user_ids`` (ids, or a query of ids) that count towards the plan
    (``coaching.programs.counts`` in SQL: ended, one of its scenarios, started on one of its UTC days), oldest first.
    The one query behind the progress numbers and the program filter of the CSV export."""
    since = datetime.combine(plan.start_on, time(0), tzinfo=UTC)
    until = datetime.combine(plan.end_on + timedelta(days=1), time(0), tzinfo=UTC)
    users = user_ids if isinstance(user_ids, Select) else list(user_ids)
    return (select(Rep.id, Rep.user_id, Rep.scenario_id, Rep.created_at, Rep.outcome, Rep.conversation_id)
            .where(Rep.user_id.in_(users), Rep.scenario_id.in_(sorted(plan.scenario_ids())),
                   Rep.outcome != "in_progress", Rep.created_at >= since, Rep.created_at < until)
            .order_by(Rep.created_at, Rep.id))


def counting_conversation_ids(db: Session, viewer: Viewer | None, program_id: int) -> Select[int]:
    """The conversation ids of the reps that count towards the program for its learners now (the progress
    page's rows, before the viewer's own restriction to their learners, which an export applies with its scope).
    NotFound (``no such program N``) when the viewer may not see the program."""
    row = visible_program_row(db, viewer, program_id)
    return counting_reps(program_view(db, row).plan, enrolled_ids_query(row.id)).with_only_columns(
        Rep.conversation_id).order_by(None)


def _reps_of(db: Session, plan: Plan, user_ids: Iterable[int]) -> dict[int, list[RepFact]]:
    """The counting reps of ``user_ids`` (``counting_reps``), with their newest overall (the roll-up's copy,
    ``store.rep_rollup``: one read of the covering index ``ix_reps_cohort``)."""
    ids = list(user_ids)
    if not ids or not plan.scenarios:
        return {}
    rows = db.execute(counting_reps(plan, ids).add_columns(Rep.overall)).all()
    out: dict[int, list[RepFact]] = defaultdict(list)
    for r in rows:
        out[r.user_id].append(RepFact(r.id, r.scenario_id, _utc(r.created_at), r.outcome, r.overall))
    return out


def _tallies(db: Session, plan: Plan, user_ids: Iterable[int]) -> dict[int, LearnerTally]:
    """Each learner's ``tally`` counted by the database: the reps that count (``coaching.programs.counts``: ended, a
    plan scenario, started within the dates) grouped by learner and scenario, how many of them passed the bar
    (``passed``, on the roll-up's newest overall) and the latest start — one grouped read of the covering index
    ``ix_reps_cohort`` instead of every rep in Python (a 250-learner program has 25,000). Learners without a
    counting rep are absent."""
    ids = list(user_ids)
    if not ids or not plan.scenarios:
        return {}
    since = datetime.combine(plan.start_on, time(0), tzinfo=UTC)
    until = datetime.combine(plan.end_on + timedelta(days=1), time(0), tzinfo=UTC)
    passing = literal(1) if plan.pass_bar is None else case((Rep.overall >= plan.pass_bar, 1), else_=0)
    rows = db.execute(select(Rep.user_id, Rep.scenario_id, func.count(), func.sum(passing), func.max(Rep.created_at))
                      .where(Rep.user_id.in_(ids), Rep.scenario_id.in_(plan.scenario_ids()),
                             Rep.created_at >= since, Rep.created_at < until, Rep.outcome != "in_progress")
                      .group_by(Rep.user_id, Rep.scenario_id)).all()
    grouped: dict[int, list[tuple[str, int, int, datetime]]] = defaultdict(list)
    for uid, scenario, n, passed_n, last in rows:
        grouped[uid].append((scenario, int(n), int(passed_n or 0), _utc(last)))
    out: dict[int, LearnerTally] = {}
    for uid, groups in grouped.items():
        per: dict[str, int] = {s.scenario_id: 0 for s in plan.scenarios}
        for scenario, n, _passed, _last in groups:
            per[scenario] = per.get(scenario, 0) + n
        out[uid] = LearnerTally(sum(g[1] for g in groups), sum(g[2] for g in groups), max(g[3] for g in groups), per)
    return out


def _today(now: datetime | None) -> date:
    return _utc(now or utcnow()).date()


def progress_of(db: Session, program: ProgramView, users: list[User], today: date) -> ProgramProgress:
    """The progress of ``users`` in ``program`` on ``today`` (no access check: the caller chose the users)."""
    plan = program.plan
    tallies = _tallies(db, plan, (u.id for u in users))
    rows = []
    for u in users:
        t = tallies.get(u.id) or tally(plan, [])
        rows.append(LearnerProgress(u.id, u.name or u.email, u.email, t.reps, t.passed, t.last_rep_at,
                                    t.completion(plan), pace(plan, t.reps, today), t.per_scenario))
    return ProgramProgress(program, today, expected_by(plan, today), rows)


def program_progress(db: Session, viewer: Viewer | None, program_id: int,
                     now: datetime | None = None) -> ProgramProgress:
    """Progress per learner as ``viewer`` (None: the operator) may see it: a manager only their teams' learners.
    NotFound when the viewer may not see the program."""
    row = visible_program_row(db, viewer, program_id)
    visible = visible_learner_ids(db, viewer)
    users = [u for u in enrolled_users(db, row.id) if visible is None or u.id in visible]
    return progress_of(db, program_view(db, row), users, _today(now))


@dataclass(frozen=True)
class LearnerWeek:
    """One program in a learner's "this week" card."""

    program: ProgramView
    reps: int
    passed: int
    advice: WeekAdvice


def learner_programs(db: Session, user_id: int, org_id: int, today: date) -> list[ProgramRow]:
    """The active programs ``user_id`` is enrolled in (directly, or as a learner of an enrolled team) that have
    not ended by ``today``, soonest end first."""
    user = db.get(User, user_id)
    if user is None:
        return []
    teams = list(db.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id)))
    direct = ProgramEnrolmentRow.user_id == user_id
    cond = direct | ProgramEnrolmentRow.team_id.in_(teams) if teams and user.role == "learner" else direct
    ids = set(db.scalars(select(ProgramEnrolmentRow.program_id).where(cond)))
    if not ids:
        return []
    return list(db.scalars(select(ProgramRow).where(ProgramRow.id.in_(ids), ProgramRow.org_id == org_id,
                                                    ProgramRow.status == "active", ProgramRow.end_on >= today)
                           .order_by(ProgramRow.end_on, ProgramRow.id)))


def my_week(db: Session, viewer: Viewer, now: datetime | None = None) -> list[LearnerWeek]:
    """The viewer's own programs this week: for each, the next scenario to do, reps this week and reps left."""
    today = _today(now)
    out = []
    for row in learner_programs(db, viewer.id, viewer.org_id, today):
        view = program_view(db, row)
        t = tally(view.plan, _reps_of(db, view.plan, [viewer.id]).get(viewer.id, []))
        out.append(LearnerWeek(view, t.reps, t.passed, this_week(view.plan, t, today)))
    return out


def team_names(db: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's teams, comma-separated (for the progress table)."""
    names: dict[int, list[str]] = defaultdict(list)
    ids = list(user_ids)
    if ids:
        for uid, name in db.execute(select(TeamMember.user_id, Team.name).join(Team, Team.id == TeamMember.team_id)
                                    .where(TeamMember.user_id.in_(ids)).order_by(Team.name)):
            names[uid].append(name)
    return {uid: ", ".join(v) for uid, v in names.items()}


def publish_completions(db: Session, user_id: int, org_id: int, now: datetime | None = None) -> list[str]:
    """Publish ``program.completed`` (``sparring.integrations.events``) for each running program of ``user_id``
    whose target their counting reps have reached — once per learner and program, however many reps follow.
    Called when a rep of theirs is scored; returns the ids of the events published now."""
    from sparring.integrations import events
    from sparring.services import event_data

    published = []
    for row in learner_programs(db, user_id, org_id, _today(now)):
        plan = program_view(db, row).plan
        t = _tallies(db, plan, [user_id]).get(user_id)
        if t is None or t.reps < plan.target_min:
            continue
        data = event_data.program_completed(db, row.id, row.name, user_id, t.reps, plan.target_min, t.passed)
        event_id = events.publish(db, org_id, events.PROGRAM_COMPLETED, data,
                                  dedupe_key=f"{events.PROGRAM_COMPLETED}:{row.id}:{user_id}")
        if event_id is not None:
            published.append(event_id)
    return published
