"""An organisation's single sign-on set-up (docs/sso.md): its identity providers (OIDC or SAML 2.0) with their claim
mapping and group rules, and whether its people may log in with a password.

Admins change these on the admin page (``web/routes/admin_sso.py``), operators with ``sparring sso`` (``cli/sso.py``:
``viewer`` None and the organisation's ``org_id``, audited under ``(cli)``); every change is one transaction with its
audit entry (``sso.provider_changed``, ``sso.password_login``). Errors name the field. The client secret is stored
sealed with the installation key (``store.sealing``; it must be sent to the provider, so it is not hashed) and shown
back only as its last four characters; an empty secret field on an update keeps the stored one.

``password_refusal`` is the rule the login guard applies after a correct password: ``None`` (go on), or why this
person must use single sign-on. With password login off, only an active admin may still use a password, and only
while ``SPARRING_SSO_BREAK_GLASS`` is ``admins`` (the default) — the way back in when the identity provider is down
or misconfigured; such a login is audited as ``sso.break_glass``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.account_inputs import clean_name
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import ROLES, Organisation
from sparring.store.sealing import OIDC_CLIENT_SECRET, UnsealError, seal, unseal_optional
from sparring.store.sso_models import SSO_KINDS, SsoOrgSettingsRow, SsoProviderRow

BreakGlass = Literal["admins", "off"]
MAX_RULES = 200
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CLAIM = re.compile(r"^[\w:./#@-]{1,255}$")


class SsoConfigError(InvalidInput):
    """A bad provider field or rule (names it)."""


@dataclass(frozen=True)
class Rule:
    group: str
    value: str


def parse_rules(text: str, field: str, kind: Literal["role", "team"]) -> list[dict[str, str]]:
    """Rules written one per line as ``group = role`` (or ``group = team``); blank lines and ``#`` comments are
    skipped. A role must be one of the roles; a team is a team name (created on first use)."""
    out: list[dict[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        group, sep, value = line.rpartition("=")
        group, value = group.strip(), value.strip()
        if not sep or not group or not value:
            raise SsoConfigError(f"{field}: line {number}: write 'group = {kind}'")
        if len(group) > 255:
            raise SsoConfigError(f"{field}: line {number}: the group name is over 255 characters")
        if kind == "role" and value not in ROLES:
            raise SsoConfigError(f"{field}: line {number}: unknown role {value[:40]!r} (use {', '.join(ROLES)})")
        if kind == "team":
            value = clean_name(value, f"{field}: line {number}: team", required=True)
        out.append({"group": group, kind: value})
        if len(out) > MAX_RULES:
            raise SsoConfigError(f"{field}: at most {MAX_RULES} rules")
    return out


def rules_text(rules: list[dict[str, Any]] | None, kind: str) -> str:
    """Rules as the form shows them (the inverse of ``parse_rules``)."""
    return "\n".join(f"{r['group']} = {r[kind]}" for r in rules or [])


def parse_domains(text: str) -> str:
    domains = [d.strip().lower().lstrip("@") for d in re.split(r"[,\s]+", text or "") if d.strip()]
    for d in domains:
        if not _DOMAIN.match(d):
            raise SsoConfigError(f"email_domains: not a domain name: {d[:80]!r}")
    return ",".join(dict.fromkeys(domains))


def domains_of(row: SsoProviderRow) -> list[str]:
    return [d for d in (row.email_domains or "").split(",") if d]


def _url(value: str, field: str, *, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise SsoConfigError(f"{field}: required")
        return None
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value) or len(value) > 1000:
        raise SsoConfigError(f"{field}: not an http(s) URL")
    return value


def _text(form: dict[str, str], key: str, limit: int, *, required: bool = False) -> str | None:
    value = (form.get(key) or "").strip()
    if not value:
        if required:
            raise SsoConfigError(f"{key}: required")
        return None
    if len(value) > limit:
        raise SsoConfigError(f"{key}: at most {limit} characters")
    if "\x00" in value:
        raise SsoConfigError(f"{key}: contains a NUL character")
    return value


def _claim(form: dict[str, str], key: str, default: str) -> str:
    value = (form.get(key) or "").strip() or default
    if not _CLAIM.match(value):
        raise SsoConfigError(f"{key}: a claim or attribute name (letters, digits and :./#@_-), not {value[:40]!r}")
    return value


def client_secret(row: SsoProviderRow) -> str:
    """The provider's OIDC client secret, unsealed ("" when none; ``UnsealError`` naming the column and row when it
    does not open with this installation's keys)."""
    return unseal_optional(row.oidc_client_secret, OIDC_CLIENT_SECRET, row.id) or ""


def secret_hint(row: SsoProviderRow) -> str:
    """What the admin page shows of the stored client secret: its last four characters (of a long one)."""
    try:
        secret = client_secret(row)
    except UnsealError:
        return "cannot be read with this installation's key (docs/security.md): type it again"
    return f"…{secret[-4:]}" if len(secret) >= 12 else "set"


def _apply(row: SsoProviderRow, form: dict[str, str], creating: bool) -> None:
    """Check every field of the form and write it to ``row`` (nothing is written when a field is bad: the caller's
    transaction is rolled back by the error)."""
    kind = row.kind
    row.display_name = clean_name(form.get("display_name"), "display_name", required=True)[:120]
    row.enabled = form.get("enabled") == "on"
    row.jit = form.get("jit") == "on"
    row.email_domains = parse_domains(form.get("email_domains", ""))
    row.claim_email = _claim(form, "claim_email", "email")
    row.claim_name = _claim(form, "claim_name", "name")
    row.claim_groups = _claim(form, "claim_groups", "groups")
    row.role_rules = parse_rules(form.get("role_rules", ""), "role_rules", "role")
    row.team_rules = parse_rules(form.get("team_rules", ""), "team_rules", "team")
    default_role = (form.get("default_role") or "learner").strip()
    if default_role not in ROLES:
        raise SsoConfigError(f"default_role: unknown role {default_role[:40]!r}")
    row.default_role = default_role
    if kind == "oidc":
        row.oidc_issuer = _url(form.get("oidc_issuer", ""), "oidc_issuer", required=True)
        row.oidc_client_id = _text(form, "oidc_client_id", 255, required=True)
        secret = _text(form, "oidc_client_secret", 500, required=creating)
        if secret:
            row.oidc_client_secret = seal(secret, OIDC_CLIENT_SECRET)
        row.oidc_scopes = _text(form, "oidc_scopes", 255) or "openid email profile"
        if "openid" not in row.oidc_scopes.split():
            raise SsoConfigError("oidc_scopes: must include openid")
        row.trust_email = form.get("trust_email") == "on"
    else:
        row.saml_idp_metadata = _text(form, "saml_idp_metadata", 200_000)
        row.saml_idp_entity_id = _text(form, "saml_idp_entity_id", 500)
        row.saml_sso_url = _url(form.get("saml_sso_url", ""), "saml_sso_url", required=False)
        row.saml_idp_cert = _text(form, "saml_idp_cert", 20_000)
        row.saml_sp_entity_id = _text(form, "saml_sp_entity_id", 500)
        if not row.saml_idp_metadata and not (row.saml_idp_entity_id and row.saml_sso_url and row.saml_idp_cert):
            raise SsoConfigError("saml_idp_metadata: give the IdP's metadata XML, or its entity id, SSO URL and "
                                 "signing certificate")
        if row.saml_idp_metadata and "EntityDescriptor" not in row.saml_idp_metadata:
            raise SsoConfigError("saml_idp_metadata: not SAML metadata (no EntityDescriptor)")
        if row.saml_idp_cert and "BEGIN CERTIFICATE" not in row.saml_idp_cert and \
                not re.fullmatch(r"[A-Za-z0-9+/=\s]+", row.saml_idp_cert):
            raise SsoConfigError("saml_idp_cert: not a PEM or base64 certificate")


def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise NotFound("no such page")


def _org_of(viewer: Viewer | None, org_id: int | None) -> int:
    """The organisation a change is made in: the admin's own, or (``viewer`` None: the operator on the command
    line) ``org_id``."""
    if viewer is not None:
        _admin(viewer)
        return viewer.org_id
    if org_id is None:
        raise InvalidInput("org: name the organisation")
    return org_id


def list_providers(s: Session, org_id: int) -> list[SsoProviderRow]:
    return list(s.scalars(select(SsoProviderRow).where(SsoProviderRow.org_id == org_id).order_by(SsoProviderRow.id)))


def get_provider(s: Session, org_id: int, provider_id: int) -> SsoProviderRow:
    row = s.get(SsoProviderRow, provider_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"no identity provider {provider_id} in this organisation")
    return row


def create_provider(s: Session, viewer: Viewer | None, kind: str, form: dict[str, str], *,
                    org_id: int | None = None, via: str = "web") -> SsoProviderRow:
    org = _org_of(viewer, org_id)
    if kind not in SSO_KINDS:
        raise SsoConfigError(f"kind: use one of {', '.join(SSO_KINDS)}")

    row = SsoProviderRow(org_id=org, kind=kind, oidc_scopes="openid email profile")
    _apply(row, form, creating=True)
    s.add(row)
    s.flush()
    audit.record(s, viewer, "sso.provider_changed", "sso_provider", row.id,
                 {"change": "created", "kind": kind, "name": row.display_name}, via, org_id=org)
    return row


def update_provider(s: Session, viewer: Viewer, provider_id: int, form: dict[str, str]) -> SsoProviderRow:
    _admin(viewer)
    row = get_provider(s, viewer.org_id, provider_id)
    _apply(row, form, creating=False)
    row.updated_at = datetime.now(UTC)
    audit.record(s, viewer, "sso.provider_changed", "sso_provider", row.id,
                 {"change": "updated", "enabled": row.enabled, "name": row.display_name})
    return row


def set_enabled(s: Session, viewer: Viewer | None, provider_id: int, enabled: bool, *, org_id: int | None = None,
                via: str = "web") -> SsoProviderRow:
    """Turn a provider on or off (nothing else changes; people of a turned-off provider cannot sign in with it)."""
    org = _org_of(viewer, org_id)
    row = get_provider(s, org, provider_id)
    if row.enabled != enabled:
        row.enabled = enabled
        row.updated_at = datetime.now(UTC)
        audit.record(s, viewer, "sso.provider_changed", "sso_provider", row.id,
                     {"change": "enabled" if enabled else "disabled", "enabled": enabled, "name": row.display_name},
                     via, org_id=org)
    return row


def delete_provider(s: Session, viewer: Viewer, provider_id: int) -> None:
    _admin(viewer)
    row = get_provider(s, viewer.org_id, provider_id)
    audit.record(s, viewer, "sso.provider_changed", "sso_provider", row.id,
                 {"change": "deleted", "name": row.display_name})
    s.delete(row)


def password_login(s: Session, org_id: int) -> bool:
    """Whether the organisation's people may log in with a password (no row: yes)."""
    row = s.get(SsoOrgSettingsRow, org_id)
    return True if row is None else bool(row.password_login)


def set_password_login(s: Session, viewer: Viewer, allowed: bool) -> None:
    """Turn password login on or off for the admin's organisation. Turning it off needs an enabled provider, so
    nobody is locked out by one click."""
    _admin(viewer)
    if not allowed and not any(p.enabled for p in list_providers(s, viewer.org_id)):
        raise SsoConfigError("password_login: add and enable an identity provider before turning passwords off")
    row = s.get(SsoOrgSettingsRow, viewer.org_id)
    if row is None:
        row = SsoOrgSettingsRow(org_id=viewer.org_id, password_login=allowed)
        s.add(row)
    row.password_login = allowed
    row.updated_at = datetime.now(UTC)
    audit.record(s, viewer, "sso.password_login", "organisation", viewer.org_id, {"allowed": allowed})


def providers_for_email(s: Session, email: str) -> list[SsoProviderRow]:
    """Enabled providers that list the e-mail's domain (home-realm discovery on the login page)."""
    domain = email.strip().lower().rpartition("@")[2]
    if not domain:
        return []
    rows = s.scalars(select(SsoProviderRow).where(SsoProviderRow.enabled.is_(True),
                                                  SsoProviderRow.email_domains.contains(domain, autoescape=True)))
    return [r for r in rows if domain in domains_of(r)]


def enabled_providers(s: Session, org_slug: str) -> tuple[Organisation | None, list[SsoProviderRow]]:
    org = s.scalar(select(Organisation).where(Organisation.slug == org_slug))
    if org is None:
        return None, []
    return org, [p for p in list_providers(s, org.id) if p.enabled]


SSO_REQUIRED = "your organisation signs in with single sign-on: use \"Sign in with single sign-on\""


def password_refusal(db: Database, user: UserRecord, break_glass: BreakGlass) -> str | None:
    """After a correct password: None when this person may use it, else the message pointing to SSO. With
    password login off, an active admin still may while ``break_glass`` is ``admins`` (audited as
    ``sso.break_glass``)."""
    with db.read() as s:
        allowed = password_login(s, user.org_id)
    if allowed:
        return None
    if user.role == "admin" and user.is_active and break_glass == "admins":
        with db.session() as s:
            audit.record(s, audit.actor_of(s, user.id), "sso.break_glass", "user", user.id,
                         {"reason": "password login while the organisation signs in with SSO"})
        return None
    return SSO_REQUIRED
