"""Comments on a turn of a conversation (docs/assignments.md, "Reviewing and commenting"): a manager reviewing a
learner's rep or call says something about one line; the learner sees it beside that line.

Rules: whoever may see a conversation in full (``services.access.conversation_access``) reads its comments;
a manager or admin who may see it in full, and is not its owner, may comment (a manager of another team sees
nothing of it, so cannot). The owner gets a notification for each comment, and the audit log a
``comment.added`` (the conversation, turn, owner and length; not the text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.inputs import InputError, clean_text, is_db_id
from sparring.services import audit
from sparring.services.access import Access, Viewer, get_visible_conversation
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.notifications import notify
from sparring.store.coaching_models import TurnCommentRow
from sparring.store.models import Rep, TurnRow, User, utcnow

MAX_COMMENT = 2000


@dataclass(frozen=True)
class CommentView:
    id: int
    turn_index: int
    author: str
    text: str
    created_at: datetime


def _link(db: Session, conversation_id: int, turn_index: int) -> str:
    rep_id = db.scalar(select(Rep.id).where(Rep.conversation_id == conversation_id))
    return f"/reps/{rep_id}/scorecard#turn-{turn_index}" if rep_id is not None else ""


def add_comment(db: Session, viewer: Viewer, conversation_id: int, turn_index: int, text: str,
                via: str = "web") -> CommentView:
    """Comment on turn ``turn_index`` of a conversation; NotFound when the viewer may not comment on it (or it
    does not exist: the same answer), InvalidInput for an empty text or a turn it does not have."""
    found = get_visible_conversation(db, viewer, conversation_id)
    if found is None or found[1] is not Access.FULL or not viewer.is_manager or found[0].user_id == viewer.id:
        raise NotFound("no such conversation to comment on")
    conversation = found[0]
    try:
        body = clean_text(text, "comment", max_chars=MAX_COMMENT, multiline=True, required=True).strip()
    except InputError as exc:
        raise InvalidInput(str(exc)) from None
    if not body:
        raise InvalidInput("comment: write what you want to say about this turn")
    if not isinstance(turn_index, int) or turn_index < 0 or db.scalar(
            select(TurnRow.id).where(TurnRow.conversation_id == conversation.id,
                                     TurnRow.turn_index == turn_index)) is None:
        raise InvalidInput(f"turn: the conversation has no turn {turn_index}")
    row = TurnCommentRow(conversation_id=conversation.id, turn_index=turn_index, author_id=viewer.id, text=body,
                         created_at=utcnow())
    db.add(row)
    db.flush()
    notify(db, conversation.user_id, "comment",
           f"{viewer.name} commented on turn {turn_index} of {conversation.title or 'your rep'}: {body[:120]}",
           _link(db, conversation.id, turn_index))
    owner = db.get(User, conversation.user_id)
    audit.record(db, viewer, "comment.added", "conversation", conversation.id,
                 {"turn": turn_index, "owner": owner.email if owner else conversation.user_id, "comment_id": row.id,
                  "chars": len(body)}, via)
    return CommentView(row.id, turn_index, viewer.name, body, row.created_at)


def comments_for(db: Session, viewer: Viewer, conversation_id: int) -> dict[int, list[CommentView]]:
    """The comments on a conversation the viewer may see in full, by turn index, oldest first ({} otherwise)."""
    if not is_db_id(conversation_id):
        return {}
    found = get_visible_conversation(db, viewer, conversation_id)
    if found is None or found[1] is not Access.FULL:
        return {}
    out: dict[int, list[CommentView]] = {}
    for row, name, email in db.execute(
        select(TurnCommentRow, User.name, User.email).outerjoin(User, User.id == TurnCommentRow.author_id)
        .where(TurnCommentRow.conversation_id == conversation_id)
        .order_by(TurnCommentRow.turn_index, TurnCommentRow.created_at, TurnCommentRow.id)
    ):
        created = row.created_at.replace(tzinfo=UTC) if row.created_at.tzinfo is None else row.created_at
        out.setdefault(row.turn_index, []).append(
            CommentView(row.id, row.turn_index, name or email or "a former user", row.text, created))
    return out


def comment_count(db: Session, conversation_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(TurnCommentRow)
                         .where(TurnCommentRow.conversation_id == conversation_id)) or 0)


def may_comment(viewer: Viewer, owner_id: int, access: Access) -> bool:
    """Whether the viewer may comment on a conversation they see with ``access`` (the rule of ``add_comment``)."""
    return access is Access.FULL and viewer.is_manager and owner_id != viewer.id
