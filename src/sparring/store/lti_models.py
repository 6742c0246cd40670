"""Tables of the LTI 1.3 tool (issue 16 item 2; docs/lti.md; ``sparring.services.lti_*``).

- ``lti_registrations``: a platform (Moodle, Canvas, …) registered by an organisation's admin — issuer, client id,
  deployment ids, the platform's OIDC auth URL, token URL and JWKS URL. Unique per (issuer, client id).
- ``lti_keys``: the organisation's own RSA key pairs (the tool signs deep-linking responses and client assertions
  with the newest one). The private key is stored as PEM and never shown; a rotated key keeps ``retired_at`` and is
  still published in the JWKS until ``retired_at`` + the grace period.
- ``lti_login_states``: the state and nonce of one OIDC login initiation; used once (``used_at``), so an id_token
  is never accepted twice.
- ``lti_user_links``: the platform user (``sub`` of the registration's issuer) linked to a Sparring user.
- ``lti_contexts``: a course (context) of a registration seen in a launch: its title, the Names and Role
  Provisioning memberships URL, and the team its members are put in.
- ``lti_launches``: a resource-link launch of a person and the rep it started, with the Assignment and Grade
  Services line item to post the rep's score to.
- ``lti_scores``: the score passback outbox — one row per (launch, scorecard), its delivery state.

Everything hangs off the organisation (``ON DELETE CASCADE``); the rows that name a person cascade from ``users``,
so erasing a person removes their links, launches and pending scores. Migration ``0027_lti_tool``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, JsonDoc, _in, utcnow

SCORE_STATUSES = ("pending", "sent", "failed")


class LtiRegistrationRow(Base):
    __tablename__ = "lti_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_registrations_issuer_client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]] = mapped_column(JsonDoc)
    auth_login_url: Mapped[str] = mapped_column(String(2000))
    auth_token_url: Mapped[str] = mapped_column(String(2000))
    jwks_url: Mapped[str] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiKeyRow(Base):
    __tablename__ = "lti_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)  # sealed (store.sealing)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LtiLoginStateRow(Base):
    __tablename__ = "lti_login_states"
    __table_args__ = (Index("ix_lti_login_states_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    target_link_uri: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LtiUserLinkRow(Base):
    __tablename__ = "lti_user_links"
    __table_args__ = (UniqueConstraint("registration_id", "sub", name="uq_lti_user_links_registration_sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiContextRow(Base):
    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("registration_id", "context_id", name="uq_lti_contexts_registration_context"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(200), default="")
    memberships_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiLaunchRow(Base):
    __tablename__ = "lti_launches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), nullable=True, index=True)
    sub: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resource_link_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    target: Mapped[str] = mapped_column(String(200))
    lineitem_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    ags_scopes: Mapped[list[str]] = mapped_column(JsonDoc)
    #: a deep-linking request's return URL and ``data`` (and whether it was answered); NULL for resource links
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LtiScoreRow(Base):
    __tablename__ = "lti_scores"
    __table_args__ = (
        UniqueConstraint("launch_id", "scorecard_id", name="uq_lti_scores_launch_scorecard"),
        CheckConstraint(_in("status", SCORE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    launch_id: Mapped[int] = mapped_column(ForeignKey("lti_launches.id", ondelete="CASCADE"), index=True)
    scorecard_id: Mapped[int] = mapped_column(Integer)
    score_given: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
