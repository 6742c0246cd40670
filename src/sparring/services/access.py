"""Who may see what: every read of reps, scorecards and people is scoped here, by organisation and role.

Rules (issue 5; docs/web.md, "Who sees what"):
- a learner sees their own reps, in full;
- a manager sees the reps of learners in the teams they belong to; a rep its learner marked *private*
  shows only that it happened and its score (no transcript, no criterion detail);
- an admin sees every rep of their organisation, with the same private-rep limit for other people's reps;
- nobody ever sees another organisation's data.
Web pages, the JSON API and the CLI all call these functions, so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import CompoundSelect, Select, exists, select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.store.models import Rep, Team, TeamMember, User


class Access(Enum):
    NONE = "none"
    SUMMARY = "summary"  # that it happened and its score (private reps of other people)
    FULL = "full"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the access rules need them."""

    id: int
    org_id: int
    role: str
    name: str
    email: str

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(id=user.id, org_id=user.org_id, role=user.role, name=user.name or user.email, email=user.email)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin")


def managed_team_ids(db: Session, viewer: Viewer) -> list[int]:
    """Teams whose members the viewer may see: their own teams for a manager, every team for an admin."""
    if viewer.role == "admin":
        return list(db.scalars(select(Team.id).where(Team.org_id == viewer.org_id).order_by(Team.name)))
    if viewer.role == "manager":
        return list(
            db.scalars(
                select(Team.id)
                .join(TeamMember, TeamMember.team_id == Team.id)
                .where(TeamMember.user_id == viewer.id, Team.org_id == viewer.org_id)
                .order_by(Team.name)
            )
        )
    return []


def visible_user_ids_query(viewer: Viewer) -> Select[int] | CompoundSelect[int]:
    """Ids of users whose reps the viewer may see (at least in summary)."""
    if viewer.role == "admin":
        return select(User.id).where(User.org_id == viewer.org_id)
    if viewer.role == "manager":
        my_teams = select(TeamMember.team_id).where(TeamMember.user_id == viewer.id)
        return (
            select(User.id)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(User.org_id == viewer.org_id, TeamMember.team_id.in_(my_teams))
            .union(select(User.id).where(User.id == viewer.id))
        )
    return select(User.id).where(User.id == viewer.id)


def visible_reps(viewer: Viewer) -> Select[Rep]:
    """A query of every rep the viewer may see (at least in summary), newest first."""
    return (
        select(Rep)
        .where(Rep.org_id == viewer.org_id, Rep.user_id.in_(visible_user_ids_query(viewer)))
        .order_by(Rep.created_at.desc(), Rep.id.desc())
    )


def can_see_user(db: Session, viewer: Viewer, user_id: int) -> bool:
    if user_id == viewer.id:
        return True
    if not is_db_id(user_id):
        return False
    q = visible_user_ids_query(viewer).subquery()
    return bool(db.scalar(select(exists().where(q.c.id == user_id))))


def rep_access(db: Session, viewer: Viewer, rep: Rep | None) -> Access:
    """How much of this rep the viewer may see."""
    if rep is None or rep.org_id != viewer.org_id:
        return Access.NONE
    if rep.user_id == viewer.id:
        return Access.FULL
    if viewer.role == "learner" or not can_see_user(db, viewer, rep.user_id):
        return Access.NONE
    return Access.SUMMARY if rep.private else Access.FULL


def get_visible_rep(db: Session, viewer: Viewer, rep_id: int) -> tuple[Rep, Access] | None:
    """The rep and the viewer's access to it, or None when it does not exist *or* may not be seen
    (callers answer 404 either way, so existence never leaks)."""
    if not is_db_id(rep_id):  # no row has it; SQLite could not even compare it
        return None
    rep = db.get(Rep, rep_id)
    access = rep_access(db, viewer, rep)
    if rep is None or access is Access.NONE:
        return None
    return rep, access


def get_own_rep(db: Session, viewer: Viewer, rep_id: int) -> Rep | None:
    """A rep the viewer practised themselves (only its owner may continue, branch, or mark it private)."""
    if not is_db_id(rep_id):
        return None
    rep = db.get(Rep, rep_id)
    if rep is None or rep.user_id != viewer.id or rep.org_id != viewer.org_id:
        return None
    return rep
