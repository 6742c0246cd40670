"""API tokens: named secrets an organisation's admins create for scripts and other systems (docs/api.md, "API
tokens").

A token authenticates ``Authorization: Bearer <token>`` requests to the JSON API. It **acts as one account** of
the organisation (the admin who made it, or any active account the admin picks — a "service" account made for the
purpose is just an account): it sees exactly what that account would see under ``sparring.services.access``, with
a role that is never above the account's current role nor above the creator's. The effective role is capped again
every time the token is used, so demoting the account demotes its tokens; deactivating or deleting it, revoking the
token, or passing its expiry makes the token fail (401).

The secret is shown once, at creation. Like a login session, only its SHA-256 is stored (``token_hash``), with its
first characters (``prefix``) so the list can show which is which. ``last_used_at`` is written at most once a
minute, so API reads stay reads. What API and SCIM tokens share is in ``sparring.services.hashed_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.errors import InvalidInput
from sparring.services.hashed_tokens import TokenKind
from sparring.services.hashed_tokens import as_utc as _utc
from sparring.store.api_token_models import ApiTokenRow
from sparring.store.db import Database
from sparring.store.models import ROLES, User

#: every token starts with this, so a leaked one is recognisable (secret scanners, logs)
TOKEN_PREFIX = "spt_"
#: characters of the token kept in clear for the list (the prefix and a few random ones)
SHOWN_CHARS = 10
#: last_used_at is written at most this often per token
TOUCH_SECONDS = 60.0
#: longest token name
NAME_CHARS = 80
#: the latest expiry an admin may set
MAX_DAYS = 3 * 366
RANK = {role: i for i, role in enumerate(ROLES)}  # learner < manager < admin
KIND = TokenKind(prefix=TOKEN_PREFIX, shown_chars=SHOWN_CHARS, noun="API token", audit_type="token",
                 touch_seconds=TOUCH_SECONDS, name_chars=NAME_CHARS)


def lower_role(a: str, b: str) -> str:
    """The lower of two roles."""
    return a if RANK.get(a, -1) <= RANK.get(b, -1) else b


@dataclass(frozen=True)
class TokenInfo:
    """One token as the admin list shows it (never the secret)."""

    id: int
    name: str
    role: str
    user_id: int
    user_email: str
    prefix: str
    created_at: datetime
    created_by_email: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC)):
            return "expired"
        return "active"


@dataclass(frozen=True)
class NewToken:
    """A token just created: its list entry and the secret, shown this once."""

    info: TokenInfo
    secret: str


@dataclass(frozen=True)
class TokenUser:
    """Who a valid token acts as: the account, with the token's role capped at the account's."""

    token_id: int
    viewer: Viewer


def _info(row: ApiTokenRow, user_email: str, creator_email: str | None) -> TokenInfo:
    return TokenInfo(id=row.id, name=row.name, role=row.role, user_id=row.user_id, user_email=user_email,
                     prefix=row.prefix, created_at=_utc(row.created_at) or row.created_at,
                     created_by_email=creator_email, expires_at=_utc(row.expires_at),
                     last_used_at=_utc(row.last_used_at), revoked_at=_utc(row.revoked_at))


def parse_expiry(text: str, today: date) -> date | None:
    """The ``expires`` form field: empty for never, else a date (YYYY-MM-DD) from today to MAX_DAYS ahead."""
    raw = text.strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("expires: give a date as YYYY-MM-DD, or leave it empty for a token that never expires") \
            from None
    if day < today:
        raise InvalidInput("expires: the date has passed; pick today or a later day")
    if day > today + timedelta(days=MAX_DAYS):
        raise InvalidInput(f"expires: at most {MAX_DAYS} days ahead")
    return day


def create_token(db: Session, actor: Viewer, *, name: str, role: str, user_id: int | None = None,
                 expires_on: date | None = None, now: datetime | None = None) -> NewToken:
    """A new token of the actor's organisation acting as ``user_id`` (default: the actor) with ``role``; valid
    through ``expires_on`` (UTC) or until revoked. InvalidInput names the field that is wrong."""
    KIND.require_admin(actor)
    now = now or datetime.now(UTC)
    clean = KIND.clean_name(name, "what uses it, e.g. 'LMS sync'")
    if role not in ROLES:
        raise InvalidInput(f"role: one of {', '.join(ROLES)}")
    uid = actor.id if user_id is None else user_id
    user = db.get(User, uid) if is_db_id(uid) else None
    if user is None or user.org_id != actor.org_id:
        raise InvalidInput("user: no such account in your organisation")
    if not user.is_active:
        raise InvalidInput(f"user: {user.email} is deactivated")
    if RANK[role] > RANK[lower_role(user.role, actor.role)]:
        raise InvalidInput(f"role: {role} is above the role of {user.email} ({user.role}); a token never acts "
                           "with more rights than its account")
    if expires_on is not None and expires_on < now.date():
        raise InvalidInput("expires: the date has passed")
    issued = KIND.issue()
    expires_at = None if expires_on is None else datetime.combine(expires_on + timedelta(days=1),
                                                                 datetime.min.time(), UTC)
    row = ApiTokenRow(org_id=actor.org_id, user_id=user.id, created_by=actor.id, name=clean, role=role,
                      token_hash=issued.token_hash, prefix=issued.prefix, created_at=now,
                      expires_at=expires_at)
    db.add(row)
    db.flush()
    audit.record(db, actor, "token.created", "token", row.id,
                 {"name": clean, "role": role, "acts_as": user.email, "prefix": row.prefix})
    return NewToken(info=_info(row, user.email, actor.email), secret=issued.secret)


def list_tokens(db: Session, org_id: int) -> list[TokenInfo]:
    """Every token of the organisation, revoked ones too, newest first."""
    creator = User.__table__.alias("creator")
    rows = db.execute(
        select(ApiTokenRow, User.email, creator.c.email)
        .join(User, User.id == ApiTokenRow.user_id)
        .outerjoin(creator, creator.c.id == ApiTokenRow.created_by)
        .where(ApiTokenRow.org_id == org_id)
        .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc())
    ).all()
    return [_info(row, email, creator_email) for row, email, creator_email in rows]


def revoke_token(db: Session, actor: Viewer, token_id: int, now: datetime | None = None) -> TokenInfo:
    """Revoke one of the organisation's tokens (at once, in every worker: the next request with it is a 401).
    Revoking a revoked token changes nothing. NotFound for an unknown token or another organisation's."""
    KIND.require_admin(actor)
    row = KIND.revoke(db, actor, ApiTokenRow, token_id, now)
    user = db.get(User, row.user_id)
    creator = db.get(User, row.created_by) if row.created_by else None
    return _info(row, user.email if user else "", creator.email if creator else None)


def check_token(database: Database, secret: str, now: datetime | None = None) -> TokenUser | None:
    """Who a bearer token acts as, or None: unknown, revoked, expired, or its account deactivated (or moved
    to another organisation). One read; ``last_used_at`` is written at most once a minute."""
    now = now or datetime.now(UTC)
    found = KIND.find(database, secret, select(
        ApiTokenRow.id, ApiTokenRow.org_id, ApiTokenRow.role, ApiTokenRow.expires_at, ApiTokenRow.revoked_at,
        ApiTokenRow.last_used_at, User.id, User.org_id, User.role, User.name, User.email, User.is_active,
    ).join(User, User.id == ApiTokenRow.user_id), ApiTokenRow.token_hash)
    if found is None:
        return None
    (token_id, org_id, role, expires_at, revoked_at, last_used_at,
     user_id, user_org, user_role, user_name, user_email, active) = found
    expiry = _utc(expires_at)
    if revoked_at is not None or not active or user_org != org_id or (expiry is not None and expiry <= now):
        return None
    KIND.touch(database, ApiTokenRow.id, token_id, last_used_at, now)
    viewer = Viewer(id=user_id, org_id=org_id, role=lower_role(role, user_role), name=user_name or user_email,
                    email=user_email)
    return TokenUser(token_id=token_id, viewer=viewer)


def active_users(db: Session, org_id: int) -> list[User]:
    """The accounts a new token may act as (the admin form's choices): the organisation's active ones."""
    return list(db.scalars(select(User).where(User.org_id == org_id, User.is_active.is_(True)).order_by(User.email)))
