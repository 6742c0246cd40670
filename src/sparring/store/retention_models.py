"""An organisation's own retention (docs/data-ownership.md, "Retention"; ``sparring.services.org_retention``):
how long it keeps imported calls, practice reps and audio, and whether recordings of spoken turns are kept at all.

- ``org_retention``: one row per organisation that has set something (no row: it follows the installation). Each
  ``*_days`` column is the organisation's own period (NULL: none of its own). The installation's settings
  (``SPARRING_RETENTION_*_DAYS``) are the operator's ceiling and default: the period applied is the shorter of the
  two. ``keep_audio`` false: the organisation's spoken-turn recordings are never written, and those already kept are
  deleted by the next sweep; true (the default): recordings are kept when the installation keeps them
  (``SPARRING_VOICE_KEEP_AUDIO``).

A table of its own rather than columns on ``organisations``: the organisation row stays the envelope of an export
(slug, name), the settings travel as one exported row, and "no row" says plainly that the organisation never chose.
Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end. Migration
``0030_org_retention``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, utcnow

#: the longest period that may be set, in days (as the installation settings: a hundred years)
MAX_DAYS = 36_500
#: the organisation's periods, by column
DAY_COLUMNS = ("call_days", "practice_days", "audio_days")


def _days_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} >= 1 AND {column} <= {MAX_DAYS})", name=column)


class OrgRetentionRow(Base):
    __tablename__ = "org_retention"
    __table_args__ = tuple(_days_check(c) for c in DAY_COLUMNS)

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    call_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    practice_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audio_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    keep_audio: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
