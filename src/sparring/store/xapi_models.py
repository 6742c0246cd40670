"""The xAPI outbox (docs/integrations.md, "xAPI"; ``services.xapi_delivery``): which scored attempts were handed to
the learning record store, in which batch, and how each batch fared.

- ``xapi_batches``: one delivery of one organisation's attempts: ``queued`` (a job sends it), ``sent`` (the LRS
  accepted every statement), ``dead`` (the job used up its attempts: the admin page shows it with its last error
  and a Retry button). ``retries`` counts the admin's retries (each gets a job of its own).
- ``xapi_outbox``: one row per scorecard put in a batch (the scorecard's id is the key, so a scorecard is handed
  over once; a re-score is a new scorecard and goes out as a new attempt).

Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end. Migration:
``0024_xapi_outbox``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, _in, utcnow

XAPI_BATCH_STATUSES = ("queued", "sent", "dead")


class XapiBatchRow(Base):
    __tablename__ = "xapi_batches"
    __table_args__ = (
        CheckConstraint(_in("status", XAPI_BATCH_STATUSES), name="status"),
        Index("ix_xapi_batches_org_status", "org_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(8), default="queued")
    attempts_count: Mapped[int] = mapped_column(Integer, default=0)
    statements: Mapped[int] = mapped_column(Integer, default=0)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class XapiOutboxRow(Base):
    __tablename__ = "xapi_outbox"

    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("xapi_batches.id", ondelete="CASCADE"), index=True)
