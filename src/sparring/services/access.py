"""Who may see what: every read of conversations (practice reps, calls, drills), scorecards and people is scoped
here, by organisation and role.

Rules (issue 5; docs/web.md, "Who sees what"; docs/data-model.md), decided for one conversation by
``conversation_access`` and for a list by ``visible_conversations`` (the same rule as a query; a test checks
that both agree):
- a learner sees their own conversations, in full;
- a manager sees the conversations of learners in the teams they belong to; one its owner marked *private*
  shows only that it happened and its score (no transcript, no criterion detail);
- an admin sees every conversation of their organisation, with the same private limit for other people's;
- nobody ever sees another organisation's data.
Web pages, the JSON API and the CLI all call these functions, so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import CompoundSelect, Select, exists, select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.store.models import ConversationRow, Rep, Team, TeamMember, User


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


def visible_conversations(viewer: Viewer) -> Select[ConversationRow]:
    """A query of every conversation the viewer may see (at least in summary), newest first: the rule of
    ``conversation_access`` as SQL."""
    return (
        select(ConversationRow)
        .where(ConversationRow.org_id == viewer.org_id, ConversationRow.user_id.in_(visible_user_ids_query(viewer)))
        .order_by(ConversationRow.created_at.desc(), ConversationRow.id.desc())
    )


def can_see_user(db: Session, viewer: Viewer, user_id: int) -> bool:
    if user_id == viewer.id:
        return True
    if not is_db_id(user_id):
        return False
    q = visible_user_ids_query(viewer).subquery()
    return bool(db.scalar(select(exists().where(q.c.id == user_id))))


def conversation_access(db: Session, viewer: Viewer, conversation: ConversationRow | None,
                        listed: bool = False) -> Access:
    """How much of this conversation the viewer may see: the one access rule (see the module's docstring).
    ``listed``: the row came from ``visible_conversations(viewer)``, so the viewer may see it at least in summary
    (no query is needed to know it)."""
    if conversation is None or conversation.org_id != viewer.org_id:
        return Access.NONE
    if conversation.user_id == viewer.id:
        return Access.FULL
    if not listed and (viewer.role == "learner" or not can_see_user(db, viewer, conversation.user_id)):
        return Access.NONE
    return Access.SUMMARY if conversation.private else Access.FULL


def get_visible_conversation(
    db: Session, viewer: Viewer, conversation_id: int
) -> tuple[ConversationRow, Access] | None:
    """The conversation and the viewer's access to it, or None when it does not exist *or* may not be seen
    (callers answer 404 either way, so existence never leaks)."""
    if not is_db_id(conversation_id):  # no row has it; SQLite could not even compare it
        return None
    conversation = db.get(ConversationRow, conversation_id)
    access = conversation_access(db, viewer, conversation)
    if conversation is None or access is Access.NONE:
        return None
    return conversation, access


def get_visible_rep(db: Session, viewer: Viewer, rep_id: int) -> tuple[Rep, Access] | None:
    """A practice rep and the viewer's access to its conversation, or None (unknown or not to be seen)."""
    if not is_db_id(rep_id):
        return None
    rep = db.get(Rep, rep_id)
    if rep is None:
        return None
    found = get_visible_conversation(db, viewer, rep.conversation_id)
    return (rep, found[1]) if found else None


def get_own_rep(db: Session, viewer: Viewer, rep_id: int) -> Rep | None:
    """A rep the viewer practised themselves (only its owner may continue, branch, or mark it private)."""
    if not is_db_id(rep_id):
        return None
    rep = db.get(Rep, rep_id)
    if rep is None:
        return None
    conversation = db.get(ConversationRow, rep.conversation_id)
    if conversation is None or conversation.user_id != viewer.id or conversation.org_id != viewer.org_id:
        return None
    return rep
