"""API tokens (issue 16 item 5; docs/api.md): a secret an admin creates for a script or another system, which
authenticates ``Authorization: Bearer <token>`` requests to the JSON API as one user of the organisation, with a
role no higher than that user's (``sparring.services.api_tokens``).

Like login sessions, only the SHA-256 of the token is stored (``token_hash``); ``prefix`` keeps its first
characters so an admin can recognise a token in the list. A revoked token keeps its row (``revoked_at``) so the
list shows who revoked what; an expired or revoked one never authenticates. Same ``Base`` and conventions as
``store/models.py`` (which imports this module at its end). Migration ``0023_api_tokens``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import ROLES, Base, utcnow


class ApiTokenRow(Base):
    """One API token of an organisation. ``user_id``: the account it acts as (its data, its teams; the token
    dies with the account); ``role``: the role it acts with (capped at the account's current role when used);
    ``created_by``: the admin who made it (SET NULL when that account goes); ``last_used_at``: written at most
    once a minute."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("role IN ('" + "', '".join(ROLES) + "')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
