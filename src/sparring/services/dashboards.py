"""The manager's team dashboard and learner drill-down, computed from the indexed rep and criterion rows.

Private reps count (a manager sees that they happened and their score) but their criterion detail is left
out of the criterion and skill charts, so nothing private leaks through an aggregate of one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.reports.progress import learner_progress
from sparring.services.access import Viewer, managed_team_ids
from sparring.store.models import ConversationRow, CriterionResultRow, Rep, Team, TeamMember, User

#: a learner with no rep in this many days is listed as "has not practised"
IDLE_DAYS = 14


@dataclass
class LearnerRow:
    id: int
    name: str
    email: str
    teams: list[str]
    reps: int = 0
    reps_recent: int = 0
    average: float | None = None
    last_rep: datetime | None = None
    weakest_skill: str | None = None

    @property
    def idle(self) -> bool:
        if self.last_rep is None:
            return True
        last = self.last_rep if self.last_rep.tzinfo else self.last_rep.replace(tzinfo=UTC)
        return last < datetime.now(UTC) - timedelta(days=IDLE_DAYS)


@dataclass
class TeamDashboard:
    teams: list[Team]
    selected_team: Team | None
    learners: list[LearnerRow] = field(default_factory=list)
    reps_completed: int = 0
    reps_recent: int = 0
    average: float | None = None
    weeks: list[str] = field(default_factory=list)
    skill_trend: dict[str, list[float | None]] = field(default_factory=dict)
    criterion_trend: dict[str, list[float | None]] = field(default_factory=dict)
    criterion_averages: list[tuple[str, float]] = field(default_factory=list)

    @property
    def idle(self) -> list[LearnerRow]:
        return [r for r in self.learners if r.idle]


def _week_start(when: datetime) -> datetime:
    day = when.date() - timedelta(days=when.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def team_dashboard(db: Session, viewer: Viewer, team_id: int | None = None, weeks: int = 8,
                   recent_days: int = 30) -> TeamDashboard:
    """Everything the team page shows, for the teams the viewer manages (admins: every team)."""
    allowed = managed_team_ids(db, viewer)
    teams = list(db.scalars(select(Team).where(Team.id.in_(allowed)).order_by(Team.name))) if allowed else []
    if team_id is not None and team_id not in allowed:
        raise PermissionError("team: not one of your teams")
    team_ids = [team_id] if team_id is not None else allowed
    dash = TeamDashboard(teams=teams, selected_team=next((t for t in teams if t.id == team_id), None))
    if not team_ids:
        return dash
    members = db.execute(
        select(User.id, User.name, User.email, Team.name)
        .join(TeamMember, TeamMember.user_id == User.id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.team_id.in_(team_ids), User.org_id == viewer.org_id, User.role == "learner",
               User.is_active.is_(True))
        .order_by(User.name)
    ).all()
    rows: dict[int, LearnerRow] = {}
    for uid, name, email, team_name in members:
        row = rows.setdefault(uid, LearnerRow(uid, name or email, email, []))
        row.teams.append(team_name)
    learner_ids = list(rows)
    if not learner_ids:
        return dash
    since = datetime.now(UTC) - timedelta(days=recent_days)
    stats = db.execute(
        select(Rep.user_id, func.count(Rep.id), func.max(Rep.created_at),
               func.sum(func.cast(Rep.created_at >= since, type_=func.count().type)))
        .where(Rep.user_id.in_(learner_ids), Rep.org_id == viewer.org_id, Rep.outcome != "in_progress")
        .group_by(Rep.user_id)
    ).all()
    for uid, n, last, recent in stats:
        rows[uid].reps, rows[uid].last_rep, rows[uid].reps_recent = n, last, int(recent or 0)
    # the reps' roll-up (store.rep_rollup) holds each rep's current scorecard and its overall score: no grouping of
    # scorecards per conversation here
    scored = (Rep.user_id.in_(learner_ids), Rep.scorecard_id.is_not(None))
    current = select(Rep.scorecard_id).where(*scored)
    for uid, avg in db.execute(
        select(Rep.user_id, func.avg(Rep.overall)).where(*scored).group_by(Rep.user_id)
    ).all():
        rows[uid].average = float(avg) if avg is not None else None
    for uid in learner_ids:
        rows[uid].weakest_skill = learner_progress(db, uid, viewer.org_id, last=10,
                                                   include_private=False).weakest_skill
    dash.learners = sorted(rows.values(), key=lambda r: r.name.lower())
    dash.reps_completed = sum(r.reps for r in dash.learners)
    dash.reps_recent = sum(r.reps_recent for r in dash.learners)
    overall = db.scalar(select(func.avg(Rep.overall)).where(*scored))
    dash.average = float(overall) if overall is not None else None

    # skill trend by week and criterion averages: only reps that are not private
    first_week = _week_start(datetime.now(UTC)) - timedelta(weeks=weeks - 1)
    week_keys = [first_week + timedelta(weeks=i) for i in range(weeks)]
    dash.weeks = [w.strftime("%d %b") for w in week_keys]
    results = db.execute(
        select(CriterionResultRow.skill, CriterionResultRow.criterion_id, CriterionResultRow.score,
               CriterionResultRow.max, CriterionResultRow.created_at)
        .join(ConversationRow, ConversationRow.id == CriterionResultRow.conversation_id)
        .where(CriterionResultRow.user_id.in_(learner_ids), CriterionResultRow.org_id == viewer.org_id,
               CriterionResultRow.scorecard_id.in_(current), ConversationRow.private.is_(False),
               CriterionResultRow.kind != "blocker", CriterionResultRow.verdict != "n/a",
               CriterionResultRow.created_at >= first_week)
    ).all()
    by_skill_week: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_criterion: dict[str, list[float]] = defaultdict(list)
    by_criterion_week: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for skill, cid, score, maximum, created in results:
        if not maximum:
            continue
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        value = 100.0 * score / maximum
        week = min(max((created - first_week).days // 7, 0), weeks - 1)
        by_skill_week[skill or cid][week].append(value)
        by_criterion[cid].append(value)
        by_criterion_week[cid][week].append(value)
    dash.skill_trend = {
        skill: [sum(v) / len(v) if (v := buckets.get(i)) else None for i in range(weeks)]
        for skill, buckets in sorted(by_skill_week.items())
    }
    dash.criterion_trend = {
        cid: [sum(v) / len(v) if (v := buckets.get(i)) else None for i in range(weeks)]
        for cid, buckets in sorted(by_criterion_week.items())
    }
    dash.criterion_averages = sorted(
        ((cid, sum(v) / len(v)) for cid, v in by_criterion.items()), key=lambda kv: kv[1]
    )
    return dash


def may_view_learner(db: Session, viewer: Viewer, user_id: int) -> User | None:
    """The learner if the viewer manages one of their teams (admins: anyone in the organisation)."""
    if not is_db_id(user_id):
        return None
    user = db.get(User, user_id)
    if user is None or user.org_id != viewer.org_id:
        return None
    if viewer.role == "admin" or user.id == viewer.id:
        return user
    if viewer.role != "manager":
        return None
    allowed = set(managed_team_ids(db, viewer))
    theirs = set(db.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id)))
    return user if allowed & theirs else None
