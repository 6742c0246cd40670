"""The team library of winning lines (issue 14 item 4; docs/lines.md): lines a manager curates for a team — copied
from a learner's saved line or written by the manager — tagged by situation and skill, read by the team's learners.

Same ``Base`` and conventions as ``store/models.py`` (which imports this module at its end). Migration ``0017_lines``
(which also adds the spaced-repetition columns of ``winning_lines``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, utcnow


class TeamLine(Base):
    """One line of a team's library. ``from_user_id``: the learner who said it (NULL when the manager wrote it);
    ``source_conversation_id``/``source_turn_index``: where it was said, when known."""

    __tablename__ = "team_lines"
    __table_args__ = (Index("ix_team_lines_team_created", "team_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    situation: Mapped[str] = mapped_column(String(120))
    skill: Mapped[str] = mapped_column(String(80), default="")
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    source_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
    )
    source_turn_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
