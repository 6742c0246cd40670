"""SCIM 2.0 provisioning (issue 16 item 4; docs/scim.md): the organisation's SCIM tokens and what SCIM keeps about
the accounts and teams an identity provider manages.

``scim_tokens``: a bearer secret per organisation that authenticates the identity provider on ``/scim/v2`` (and
nowhere else): only its SHA-256 is stored, with its first characters to tell tokens apart. ``scim_users`` and
``scim_groups``: the identity provider's ``externalId`` of an account or team and, once the provider DELETEd it,
when (``removed_at``): a removed account is deactivated and no longer visible through SCIM, but it and its reps stay
in Sparring until an admin erases them. A row goes with its account or team (``ON DELETE CASCADE``), so erasure
needs nothing more. Same ``Base`` as ``store/models.py`` (which imports this module at its end). Migration
``0026_scim_provisioning``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, JsonDoc, utcnow


class ScimTokenRow(Base):
    """A SCIM bearer token of one organisation. ``created_by``: the admin who made it (SET NULL when that account
    goes: the token keeps working, it belongs to the organisation)."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ScimUserRow(Base):
    """What SCIM keeps about one account: the provider's ``externalId``, its ``userName`` when that is not the
    e-mail address (e.g. an Entra ID user principal name), the attributes as the provider last sent them (shown back
    where they agree with the account), and when the provider removed it."""

    __tablename__ = "scim_users"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    user_name: Mapped[str | None] = mapped_column(String(320), nullable=True)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ScimGroupRow(Base):
    """What SCIM keeps about one team: the provider's ``externalId`` and when the provider removed the group."""

    __tablename__ = "scim_groups"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
