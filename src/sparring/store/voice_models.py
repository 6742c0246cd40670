"""Spoken turns of practice reps (issue 15 item 1; docs/voice.md): each recording the server transcribed (a
*take*), what it heard, the delivery measured from its word times, and — once the learner sent it — the learner
turn it became. The audio itself is kept only when the installation says so (``SPARRING_VOICE_KEEP_AUDIO``).

Same ``Base`` and conventions as ``store/models.py`` (which imports this module at its end). Migration
``0019_speech_takes``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, JsonDoc, utcnow


class SpeechTake(Base):
    """One transcribed recording of a learner in a rep. ``turn_index``: the learner turn it was sent as (NULL while
    the learner reviews the transcript, and for a take never sent); ``text``: what was heard (the turn holds what
    was sent, corrections included); ``words``: ``[[word, start, end], ...]``; ``delivery``: the take's delivery
    (``sparring.review.delivery.TakeDelivery.as_dict``); ``audio_path``: the kept recording, relative to the data
    folder, or NULL when it was discarded."""

    __tablename__ = "speech_takes"
    __table_args__ = (
        UniqueConstraint("conversation_id", "turn_index", name="uq_speech_takes_conversation_id_turn_index"),
        Index("ix_speech_takes_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    turn_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[Any]] = mapped_column(JsonDoc)
    seconds: Mapped[float] = mapped_column(Float)
    delivery: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    audio_path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
