"""SCIM tokens (docs/scim.md, "Set-up"): the bearer secret an identity provider (Okta, Entra ID …) sends to
``/scim/v2``. A SCIM token belongs to one organisation and only to SCIM: it reads and changes that organisation's
accounts and teams and nothing else (it is not an API token, and an API token does not open SCIM).

Like API tokens, the secret is shown once; only its SHA-256 is stored, with its first characters to tell tokens
apart. ``last_used_at`` is written at most once a minute. Creating and revoking are admin actions, audited. The
shared mechanics are in ``sparring.services.hashed_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.hashed_tokens import TokenKind
from sparring.services.hashed_tokens import as_utc as _utc
from sparring.store.db import Database
from sparring.store.models import User
from sparring.store.scim_models import ScimTokenRow

#: every SCIM token starts with this, so a leaked one is recognisable
TOKEN_PREFIX = "spscim_"
SHOWN_CHARS = 12
TOUCH_SECONDS = 60.0
NAME_CHARS = 80
KIND = TokenKind(prefix=TOKEN_PREFIX, shown_chars=SHOWN_CHARS, noun="SCIM token", audit_type="scim_token",
                 touch_seconds=TOUCH_SECONDS, name_chars=NAME_CHARS)


@dataclass(frozen=True)
class ScimTokenInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    created_by_email: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at is not None else "active"


@dataclass(frozen=True)
class ScimCaller:
    """Who is calling ``/scim/v2``: a token of one organisation. ``label`` names it in the audit log."""

    token_id: int
    org_id: int
    label: str


def _info(row: ScimTokenRow, creator: str | None) -> ScimTokenInfo:
    return ScimTokenInfo(id=row.id, name=row.name, prefix=row.prefix, created_at=_utc(row.created_at) or row.created_at,
                         created_by_email=creator, last_used_at=_utc(row.last_used_at),
                         revoked_at=_utc(row.revoked_at))


def create_token(db: Session, actor: Viewer, name: str, now: datetime | None = None) -> tuple[ScimTokenInfo, str]:
    """A new SCIM token of the actor's organisation and its secret (shown this once)."""
    KIND.require_admin(actor)
    clean = KIND.clean_name(name, "which identity provider uses it, e.g. 'Okta'")
    issued = KIND.issue()
    row = ScimTokenRow(org_id=actor.org_id, created_by=actor.id, name=clean, token_hash=issued.token_hash,
                       prefix=issued.prefix, created_at=now or datetime.now(UTC))
    db.add(row)
    db.flush()
    audit.record(db, actor, "scim_token.created", "scim_token", row.id, {"name": clean, "prefix": row.prefix})
    return _info(row, actor.email), issued.secret


def list_tokens(db: Session, org_id: int) -> list[ScimTokenInfo]:
    rows = db.execute(
        select(ScimTokenRow, User.email).outerjoin(User, User.id == ScimTokenRow.created_by)
        .where(ScimTokenRow.org_id == org_id).order_by(ScimTokenRow.created_at.desc(), ScimTokenRow.id.desc())
    ).all()
    return [_info(row, email) for row, email in rows]


def revoke_token(db: Session, actor: Viewer, token_id: int, now: datetime | None = None) -> ScimTokenInfo:
    """Revoke one of the organisation's SCIM tokens: the next request with it is a 401. NotFound for another
    organisation's or an unknown one."""
    KIND.require_admin(actor)
    row = KIND.revoke(db, actor, ScimTokenRow, token_id, now)
    creator = db.get(User, row.created_by) if row.created_by else None
    return _info(row, creator.email if creator else None)


def check_token(database: Database, secret: str, now: datetime | None = None) -> ScimCaller | None:
    """The organisation a SCIM bearer token acts for, or None (unknown or revoked)."""
    now = now or datetime.now(UTC)
    found = KIND.find(database, secret, select(ScimTokenRow.id, ScimTokenRow.org_id, ScimTokenRow.name,
                                               ScimTokenRow.prefix, ScimTokenRow.revoked_at,
                                               ScimTokenRow.last_used_at), ScimTokenRow.token_hash)
    if found is None or found.revoked_at is not None:
        return None
    KIND.touch(database, ScimTokenRow.id, found.id, found.last_used_at, now)
    return ScimCaller(token_id=found.id, org_id=found.org_id, label=f"SCIM token {found.name} ({found.prefix}…)")
