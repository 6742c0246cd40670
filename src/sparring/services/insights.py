"""Team insights for managers (docs/analytics.md, "The insights page"): the cohort of a team's learners, its trends
per skill, the score per skill by rep number, outcomes, time practised, practice-to-call transfer and the early
coaching needs — the same ``reports.analytics`` and ``coaching.coaching_needs`` a program or the sponsor report
calls, with the access rules of the team dashboard: a manager sees the teams they belong to, an admin every team
of the organisation, and private reps count but their criterion detail stays out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.coaching.coaching_needs import EARLY_REPS, NeedsReport, assess
from sparring.reports.analytics import (
    CURVE_POSITIONS,
    WINDOW,
    Curve,
    Practice,
    Transfer,
    Trends,
    practice,
    skill_curve,
    transfer,
    trends,
)
from sparring.services.access import Viewer, managed_team_ids
from sparring.store.cohorts import Cohort, rep_windows
from sparring.store.models import Team, TeamMember, User

#: the periods the page offers (days back from today; None = everything)
PERIODS = (30, 90, 365, None)


@dataclass
class TeamInsights:
    teams: list[Team]
    selected_team: Team | None
    days: int | None
    learners: dict[int, str] = field(default_factory=dict)
    trends: Trends | None = None
    curve: Curve | None = None
    practice: Practice | None = None
    transfer: Transfer | None = None
    needs: NeedsReport | None = None


def team_cohort(db: Session, viewer: Viewer, team_id: int | None = None, days: int | None = None,
                now: datetime | None = None) -> tuple[list[Team], Cohort | None, dict[int, str]]:
    """The viewer's teams, the cohort of the active learners of ``team_id`` (every team they manage when None) over
    the last ``days`` days, and the learners' names. PermissionError when the team is not one of theirs."""
    allowed = managed_team_ids(db, viewer)
    if team_id is not None and team_id not in allowed:
        raise PermissionError("team: not one of your teams")
    if days is not None and days not in PERIODS:
        raise ValueError(f"days: one of {', '.join(str(p) for p in PERIODS if p)} or every rep")
    teams = list(db.scalars(select(Team).where(Team.id.in_(allowed)).order_by(Team.name))) if allowed else []
    team_ids = [team_id] if team_id is not None else allowed
    if not team_ids:
        return teams, None, {}
    names = {uid: name or email for uid, name, email in db.execute(
        select(User.id, User.name, User.email).join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id.in_(team_ids), User.org_id == viewer.org_id, User.role == "learner",
               User.is_active.is_(True)).distinct())}
    if not names:
        return teams, None, {}
    start = None if days is None else (now or datetime.now(UTC)) - timedelta(days=days)
    return teams, Cohort.of(viewer.org_id, list(names), start=start), names


def team_insights(db: Session, viewer: Viewer, team_id: int | None = None, days: int | None = 90) -> TeamInsights:
    """Everything the insights page shows."""
    teams, cohort, names = team_cohort(db, viewer, team_id, days)
    found = TeamInsights(teams, next((t for t in teams if t.id == team_id), None), days, names)
    if cohort is None:
        return found
    # one read of the reps every number needs: the first CURVE_POSITIONS (⊇ the first WINDOW and EARLY_REPS) and
    # the latest WINDOW of each learner
    reps = rep_windows(db, cohort, first=max(CURVE_POSITIONS, WINDOW, EARLY_REPS), latest=WINDOW)
    found.trends = trends(db, cohort, reps=reps)
    found.curve = skill_curve(db, cohort, reps=reps)
    found.practice = practice(db, cohort)
    found.transfer = transfer(db, cohort, reps=reps)
    found.needs = assess(db, cohort, reps=reps)
    return found
