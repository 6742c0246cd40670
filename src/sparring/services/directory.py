"""People and teams as a viewer may list them (the read API's ``/api/users`` and ``/api/teams``; docs/api.md).

The rules are the pages' (``sparring.services.access``): an admin sees everyone and every team of their
organisation; a manager sees the teams they belong to and those teams' members (and themselves); a learner only
themselves and no team list. Nobody ever sees another organisation's people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.services.access import Viewer, managed_team_ids, visible_user_ids_query
from sparring.store.models import Team, TeamMember, User


@dataclass(frozen=True)
class TeamRef:
    id: int
    name: str


@dataclass(frozen=True)
class PersonView:
    id: int
    email: str
    name: str
    role: str
    active: bool
    teams: list[TeamRef] = field(default_factory=list)


@dataclass(frozen=True)
class TeamView:
    id: int
    name: str
    members: int
    member_ids: list[int] = field(default_factory=list)


def _teams_of(db: Session, org_id: int, user_ids: list[int]) -> dict[int, list[TeamRef]]:
    out: dict[int, list[TeamRef]] = {}
    if not user_ids:
        return out
    for uid, tid, name in db.execute(
        select(TeamMember.user_id, Team.id, Team.name).join(Team, Team.id == TeamMember.team_id)
        .where(Team.org_id == org_id, TeamMember.user_id.in_(user_ids)).order_by(Team.name)
    ):
        out.setdefault(uid, []).append(TeamRef(tid, name))
    return out


def visible_people(db: Session, viewer: Viewer, *, team_id: int | None = None, role: str | None = None,
                   limit: int = 50, offset: int = 0) -> list[PersonView]:
    """The people the viewer may see, by e-mail; ``team_id`` and ``role`` narrow the list. Fetches at most
    ``limit`` rows from ``offset`` (ask for one more to learn whether another page follows)."""
    q = select(User).where(User.org_id == viewer.org_id, User.id.in_(visible_user_ids_query(viewer)))
    if team_id is not None:
        q = q.where(User.id.in_(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))
    if role is not None:
        q = q.where(User.role == role)
    users = list(db.scalars(q.order_by(User.email, User.id).offset(offset).limit(limit)))
    teams = _teams_of(db, viewer.org_id, [u.id for u in users])
    return [PersonView(u.id, u.email, u.name or u.email, u.role, u.is_active, teams.get(u.id, [])) for u in users]


def visible_person(db: Session, viewer: Viewer, user_id: int) -> PersonView | None:
    """One person, if the viewer may see them (None otherwise: the caller answers 404 either way)."""
    if not is_db_id(user_id):
        return None
    user = db.get(User, user_id)
    if user is None or user.org_id != viewer.org_id:
        return None
    visible = set(db.scalars(select(User.id).where(User.id == user_id, User.id.in_(visible_user_ids_query(viewer)))))
    if user_id not in visible:
        return None
    teams = _teams_of(db, viewer.org_id, [user.id])
    return PersonView(user.id, user.email, user.name or user.email, user.role, user.is_active, teams.get(user.id, []))


def visible_teams(db: Session, viewer: Viewer) -> list[TeamView]:
    """The teams the viewer may see (a manager's own, every team for an admin; none for a learner), by name,
    with their member counts."""
    ids = managed_team_ids(db, viewer)
    if not ids:
        return []
    counts: dict[int, int] = {tid: int(n) for tid, n in db.execute(
        select(TeamMember.team_id, func.count()).where(TeamMember.team_id.in_(ids)).group_by(TeamMember.team_id))}
    rows = db.execute(select(Team.id, Team.name).where(Team.id.in_(ids)).order_by(Team.name, Team.id)).all()
    return [TeamView(tid, name, int(counts.get(tid, 0))) for tid, name in rows]


def visible_team(db: Session, viewer: Viewer, team_id: int) -> TeamView | None:
    """One team with its members' ids, if the viewer may see it."""
    if not is_db_id(team_id) or team_id not in managed_team_ids(db, viewer):
        return None
    team = db.get(Team, team_id)
    if team is None:
        return None
    members = list(db.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id)
                              .order_by(TeamMember.user_id)))
    return TeamView(team.id, team.name, len(members), members)
