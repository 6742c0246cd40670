"""The audit log (issue 16 item 6; docs/data-ownership.md, "Audit log"; ``sparring.services.audit``): who viewed or
changed what in an organisation — a manager opening someone's rep, an admin changing a role, publishing content,
creating an API token, erasing a person, downloading an export.

One row per event. ``actor_id`` points at the account that did it and is set to nothing when that account is
erased or deleted; ``actor_label`` keeps the e-mail it had at the time (or ``(cli)``/``(system)`` when no account
acted), so the log still says who did what after the account is gone. ``target_id`` is a string (a rep id, a
content id such as ``discovery``, a token id). ``detail`` is a small JSON document (a role change's old and new
role, an erased person's e-mail). Rows die with their organisation (``ON DELETE CASCADE``), not before.

Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end. Migration
``0025_audit_log``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, JsonDoc, _in, utcnow

#: how the event came in: a browser page, the JSON API (session or token), the command line
AUDIT_VIA = ("web", "api", "cli")


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(_in("via", AUDIT_VIA), name="via"),
        Index("ix_audit_log_org_at", "org_id", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    actor_label: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    via: Mapped[str] = mapped_column(String(8), default="web")
