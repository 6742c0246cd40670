"""The cached scored summary of a stored call (its key moments and the pivotal one; docs/moments.md, docs/calls.md
"In the browser"). Finding the moments of a 60-minute call takes about 0.7 s, too slow for every page view, so it
is computed once (by the ``import_call`` job right after the import, or on the first read) and kept here with the
scorecard it was computed from: a newer scorecard (a re-score) makes it stale and it is computed again.

Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end, so Alembic and
``create_all`` see the table. Migration: ``0014_call_summaries``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, JsonDoc, utcnow


class CallSummaryRow(Base):
    """One call's summary (``sparring.review.moment.CallSummary`` as JSON): moments, pivotal, note. ``scorecard_id``
    is the scorecard it was computed with (NULL: the call had none); ``pivotal_kind`` is copied out so the calls
    list shows it without reading the document; ``engine`` names the version of the moment finder."""

    __tablename__ = "call_summaries"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    scorecard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    engine: Mapped[str] = mapped_column(String(40))
    pivotal_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    moment_count: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
