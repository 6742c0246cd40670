"""Single sign-on (docs/sso.md; ``sparring.services.sso_config`` and ``sso_login``): an organisation's identity
providers (OIDC or SAML 2.0) with their claim mapping, the organisation's password-login switch, the link from an
external identity (provider, subject) to a user, and the sign-ins waiting for the provider's answer.

- ``sso_providers``: one identity provider of an organisation. OIDC fields (issuer, client id and secret, scopes)
  or SAML fields (the IdP's entity id, SSO URL, signing certificate or metadata XML, the SP entity id); the claim
  mapping (which claim or attribute is the e-mail, the name, the groups) and the group → role and group → team
  rules (JSON lists). ``email_domains`` (comma-separated) route a typed e-mail to this provider and bound which
  e-mails it may create accounts for. The client secret is stored as given (it must be sent to the provider) and
  never shown back in full.
- ``sso_identities``: (provider, subject) → user; dies with either.
- ``sso_org_settings``: per organisation, whether password login is allowed (no row: allowed).
- ``sso_pending``: a sign-in sent to the provider and not yet back: the SHA-256 of the OIDC ``state`` (or the
  SAML request id), the nonce and PKCE verifier, where to go afterwards. Used once: deleted when the answer comes.

Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end. Migration
``0028_sso_providers``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, JsonDoc, _in, utcnow

SSO_KINDS = ("oidc", "saml")


class SsoProviderRow(Base):
    __tablename__ = "sso_providers"
    __table_args__ = (CheckConstraint(_in("kind", SSO_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    display_name: Mapped[str] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: comma-separated, lower-case: e-mails of these domains are sent to this provider and may be created by it
    email_domains: Mapped[str] = mapped_column(String(1000), default="")
    #: create accounts on first sign-in (just-in-time); otherwise only existing accounts may sign in
    jit: Mapped[bool] = mapped_column(Boolean, default=True)
    # OIDC
    oidc_issuer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    oidc_client_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_client_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # sealed (store.sealing)
    oidc_scopes: Mapped[str] = mapped_column(String(255), default="openid email profile")
    #: the provider's e-mails are verified even without ``email_verified`` (Entra ID sends none)
    trust_email: Mapped[bool] = mapped_column(Boolean, default=False)
    # SAML
    saml_idp_entity_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    saml_sso_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    saml_idp_cert: Mapped[str | None] = mapped_column(Text, nullable=True)
    saml_idp_metadata: Mapped[str | None] = mapped_column(Text, nullable=True)
    saml_sp_entity_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # claim mapping
    claim_email: Mapped[str] = mapped_column(String(255), default="email")
    claim_name: Mapped[str] = mapped_column(String(255), default="name")
    claim_groups: Mapped[str] = mapped_column(String(255), default="groups")
    #: [{"group": "...", "role": "learner|manager|admin"}, ...]
    role_rules: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDoc, nullable=True)
    #: [{"group": "...", "team": "..."}, ...]
    team_rules: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDoc, nullable=True)
    default_role: Mapped[str] = mapped_column(String(16), default="learner")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SsoIdentityRow(Base):
    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("provider_id", "subject", name="uq_sso_identities_provider_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("sso_providers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SsoOrgSettingsRow(Base):
    __tablename__ = "sso_org_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    password_login: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SsoPendingRow(Base):
    __tablename__ = "sso_pending"

    #: SHA-256 of the OIDC state or of the SAML AuthnRequest id
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("sso_providers.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(128), default="")
    verifier: Mapped[str] = mapped_column(String(128), default="")
    next_url: Mapped[str] = mapped_column(String(1000), default="/")
    #: Unix seconds
    created_at: Mapped[float] = mapped_column(Float)
