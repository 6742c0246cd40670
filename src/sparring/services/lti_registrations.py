"""LTI 1.3 platform registrations and the tool's keys, the admin's use cases (docs/lti.md, "Setting it up").

An organisation's admins register the platforms (Moodle, Canvas, …) their courses run on: the platform's issuer,
the client id it gave Sparring, the deployment ids it may launch from, its OIDC auth URL, token URL and JWKS URL.
A launch from a registered platform signs its people into that organisation.

Each organisation has its own RSA key pair (made on first need); the tool signs deep-linking responses and OAuth2
client assertions with its newest key. Rotating makes a new key and retires the old one, which stays in the
published JWKS for ``KEY_GRACE`` so that platforms holding a cached JWKS or an assertion in flight still verify.
The private key is never shown. Everything is scoped to the admin's organisation and audited (``lti.changed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.integrations.lti import ToolKey, generate_key
from sparring.integrations.lti_http import HttpConfig
from sparring.integrations.webhooks import AddressPolicy, WebhookError, check_literal
from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.store.lti_models import LtiKeyRow, LtiRegistrationRow
from sparring.store.models import utcnow
from sparring.store.sealing import LTI_PRIVATE_KEY, UnsealError, seal, unseal

if TYPE_CHECKING:
    from sparring.settings import Settings

#: how long a rotated key stays in the published JWKS
KEY_GRACE = timedelta(days=7)
MAX_REGISTRATIONS = 50
URL_FIELDS = ("auth_login_url", "auth_token_url", "jwks_url")
FIELDS = ("name", "issuer", "client_id", "deployment_ids", *URL_FIELDS)


def http_config(settings: Settings) -> HttpConfig:
    """The outbound policy of calls to platforms: the installation's webhook address policy and timeout."""
    return HttpConfig(AddressPolicy.parse(settings.webhooks_addresses, settings.webhooks_allow),
                      settings.webhooks_timeout)


@dataclass(frozen=True)
class RegistrationView:
    id: int
    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    jwks_url: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class KeyView:
    kid: str
    created_at: datetime
    retired_at: datetime | None
    public_jwk: dict[str, Any]


def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise NotFound("no such page")


def view(row: LtiRegistrationRow) -> RegistrationView:
    return RegistrationView(row.id, row.name, row.issuer, row.client_id, list(row.deployment_ids),
                            row.auth_login_url, row.auth_token_url, row.jwks_url, row.active, row.created_at)


def _own(s: Session, viewer: Viewer, registration_id: int) -> LtiRegistrationRow:
    _admin(viewer)
    row = s.get(LtiRegistrationRow, registration_id) if is_db_id(registration_id) else None
    if row is None or row.org_id != viewer.org_id:
        raise NotFound(f"no such LTI registration {registration_id}")
    return row


def list_registrations(s: Session, viewer: Viewer) -> list[RegistrationView]:
    _admin(viewer)
    return [view(r) for r in s.scalars(select(LtiRegistrationRow).where(LtiRegistrationRow.org_id == viewer.org_id)
                                       .order_by(LtiRegistrationRow.id))]


def get_registration(s: Session, viewer: Viewer, registration_id: int) -> RegistrationView:
    return view(_own(s, viewer, registration_id))


def _text(form: dict[str, str], name: str, limit: int) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        raise InvalidInput(f"{name}: required")
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit} characters")
    if any(ord(c) < 32 for c in value):
        raise InvalidInput(f"{name}: contains control characters")
    return value


def clean(form: dict[str, str], policy: AddressPolicy) -> dict[str, Any]:
    """The registration fields of a form, checked (InvalidInput naming the field)."""
    out: dict[str, Any] = {"name": _text(form, "name", 200), "issuer": _text(form, "issuer", 500),
                           "client_id": _text(form, "client_id", 255)}
    deployments = [d.strip() for d in (form.get("deployment_ids") or "").replace("\n", ",").split(",") if d.strip()]
    if not deployments:
        raise InvalidInput("deployment_ids: at least one deployment id (comma-separated)")
    if len(deployments) > 50 or any(len(d) > 255 for d in deployments):
        raise InvalidInput("deployment_ids: at most 50 ids of at most 255 characters")
    out["deployment_ids"] = list(dict.fromkeys(deployments))
    for name in URL_FIELDS:
        url = _text(form, name, 2000)
        try:
            check_literal(url, policy)
        except WebhookError as exc:
            raise InvalidInput(f"{name}: {str(exc).removeprefix('url: ')}") from exc
        out[name] = url
    return out


def _unique(s: Session, issuer: str, client_id: str, except_id: int | None = None) -> None:
    q = select(LtiRegistrationRow.id).where(LtiRegistrationRow.issuer == issuer,
                                            LtiRegistrationRow.client_id == client_id)
    found = s.scalar(q)
    if found is not None and found != except_id:
        raise Conflict(f"client_id: the platform {issuer} already has a registration with client id {client_id}")


def create_registration(s: Session, viewer: Viewer, policy: AddressPolicy, form: dict[str, str]) -> int:
    _admin(viewer)
    fields = clean(form, policy)
    n = len(list(s.scalars(select(LtiRegistrationRow.id).where(LtiRegistrationRow.org_id == viewer.org_id))))
    if n >= MAX_REGISTRATIONS:
        raise InvalidInput(f"name: an organisation has at most {MAX_REGISTRATIONS} LTI registrations")
    _unique(s, fields["issuer"], fields["client_id"])
    row = LtiRegistrationRow(org_id=viewer.org_id, active=True, created_by=viewer.id, **fields)
    s.add(row)
    s.flush()
    current_key(s, viewer.org_id)
    audit.record(s, viewer, "lti.changed", "lti_registration", row.id,
                 {"change": "created", "issuer": row.issuer, "client_id": row.client_id})
    return row.id


def update_registration(s: Session, viewer: Viewer, policy: AddressPolicy, registration_id: int,
                        form: dict[str, str], active: bool) -> None:
    row = _own(s, viewer, registration_id)
    fields = clean(form, policy)
    _unique(s, fields["issuer"], fields["client_id"], except_id=row.id)
    for k, v in fields.items():
        setattr(row, k, v)
    row.active, row.updated_at = active, utcnow()
    audit.record(s, viewer, "lti.changed", "lti_registration", row.id,
                 {"change": "updated", "issuer": row.issuer, "client_id": row.client_id, "active": active})


def delete_registration(s: Session, viewer: Viewer, registration_id: int) -> None:
    """Delete the registration with its links, launches and pending scores (the Sparring users stay)."""
    row = _own(s, viewer, registration_id)
    audit.record(s, viewer, "lti.changed", "lti_registration", row.id,
                 {"change": "deleted", "issuer": row.issuer, "client_id": row.client_id})
    s.delete(row)


# ---- the tool's keys ---------------------------------------------------------------------------------------------


def _tool_key(row: LtiKeyRow) -> ToolKey:
    """The key with its private half unsealed; ``UnsealError`` saying how to fix it when that does not open."""
    try:
        return ToolKey(row.kid, unseal(row.private_pem, LTI_PRIVATE_KEY, row.id), dict(row.public_jwk))
    except UnsealError as exc:
        raise UnsealError(f"the LTI tool's signing key cannot be read: {exc}; or make a new one with Rotate key on "
                          "Admin → Integrations → LTI (platforms read the new public key from the key set)") from None


def current_key(s: Session, org_id: int) -> ToolKey:
    """The organisation's signing key (the newest not retired), made now if it has none."""
    row = s.scalar(select(LtiKeyRow).where(LtiKeyRow.org_id == org_id, LtiKeyRow.retired_at.is_(None))
                   .order_by(LtiKeyRow.id.desc()))
    if row is None:
        made = generate_key()
        row = LtiKeyRow(org_id=org_id, kid=made.kid, private_pem=seal(made.private_pem, LTI_PRIVATE_KEY),
                        public_jwk=made.public_jwk)
        s.add(row)
        s.flush()
    return _tool_key(row)


def rotate_key(s: Session, viewer: Viewer) -> str:
    """A new signing key for the viewer's organisation; the old ones are retired (still published for
    ``KEY_GRACE``). The new key's id."""
    _admin(viewer)
    now = utcnow()
    for row in s.scalars(select(LtiKeyRow).where(LtiKeyRow.org_id == viewer.org_id, LtiKeyRow.retired_at.is_(None))):
        row.retired_at = now
    made = generate_key()
    s.add(LtiKeyRow(org_id=viewer.org_id, kid=made.kid, private_pem=seal(made.private_pem, LTI_PRIVATE_KEY),
                    public_jwk=made.public_jwk, created_at=now))
    s.flush()
    audit.record(s, viewer, "lti.changed", "lti_key", made.kid, {"change": "key rotated"})
    return made.kid


def keys(s: Session, viewer: Viewer) -> list[KeyView]:
    """The organisation's keys, newest first (public halves only)."""
    _admin(viewer)
    return [KeyView(r.kid, r.created_at, r.retired_at, dict(r.public_jwk)) for r in
            s.scalars(select(LtiKeyRow).where(LtiKeyRow.org_id == viewer.org_id).order_by(LtiKeyRow.id.desc()))]


def published_jwks(s: Session, now: datetime | None = None) -> dict[str, Any]:
    """The JWKS the tool publishes: every organisation's current keys and the keys retired less than
    ``KEY_GRACE`` ago (public halves only)."""
    since = (now or utcnow()) - KEY_GRACE
    rows = s.scalars(select(LtiKeyRow).where(or_(LtiKeyRow.retired_at.is_(None), LtiKeyRow.retired_at > since))
                     .order_by(LtiKeyRow.id))
    return {"keys": [dict(r.public_jwk) for r in rows]}
