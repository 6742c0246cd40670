"""In-app notifications (docs/assignments.md, "Notifications"): written by the assignment and comment use cases and
the reminder task, read on the notifications page and counted in the navigation bar.

A user only ever reads and marks their own notifications. ``notify(..., key=K)`` writes a notification once: a
second call with the same key (a repeated job) writes nothing (the key is unique in the database too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.store.coaching_models import NOTIFICATION_KINDS, NotificationRow
from sparring.store.models import utcnow

MAX_TEXT = 500
MAX_LINK = 300


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    text: str
    link: str
    created_at: datetime
    read: bool


def notify(db: Session, user_id: int, kind: str, text: str, link: str = "", *, key: str | None = None,
           now: datetime | None = None) -> bool:
    """Add a notification for ``user_id`` in the caller's transaction; False when ``key`` was used before."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not link.startswith("/") or link.startswith("//"):
        link = ""  # only paths inside the app are ever linked
    if key is not None and db.scalar(select(NotificationRow.id).where(NotificationRow.key == key)) is not None:
        return False
    db.add(NotificationRow(user_id=user_id, kind=kind, text=text[:MAX_TEXT], link=link[:MAX_LINK], key=key,
                           created_at=now or utcnow()))
    db.flush()
    return True


def unread_count(db: Session, user_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(NotificationRow)
                         .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))) or 0)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def list_notifications(db: Session, user_id: int, limit: int = 100) -> list[NotificationView]:
    """The user's notifications, newest first."""
    rows = db.scalars(select(NotificationRow).where(NotificationRow.user_id == user_id)
                      .order_by(NotificationRow.created_at.desc(), NotificationRow.id.desc())
                      .limit(max(1, min(limit, 500))))
    return [NotificationView(r.id, r.kind, r.text, r.link, _utc(r.created_at), r.read_at is not None) for r in rows]


def open_notification(db: Session, user_id: int, notification_id: int) -> str | None:
    """Mark one of the user's notifications read; its link ("/" when it has none), or None when it is not theirs."""
    if not is_db_id(notification_id):
        return None
    row = db.get(NotificationRow, notification_id)
    if row is None or row.user_id != user_id:
        return None
    if row.read_at is None:
        row.read_at = utcnow()
    return row.link or "/notifications"


def mark_all_read(db: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; how many were."""
    result = db.execute(update(NotificationRow)
                        .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
                        .values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
