"""Hashed bearer tokens: what API tokens (``services.api_tokens``) and SCIM tokens (``services.scim_tokens``) share.

A token is a fixed, recognisable prefix (``spt_``, ``spscim_``) followed by ``secrets.token_urlsafe(32)``. It is
shown once, at creation; the database keeps only its SHA-256 (hex, ``token_hash``, a unique column) and its first
characters (``prefix``) so a list can tell tokens apart. A presented secret is found by looking its hash up: the
lookup compares digests, never the secret, so how long it takes says nothing about how much of a guess was right.
A secret without the kind's prefix, or longer than ``MAX_CHARS``, is refused without a read. ``last_used_at`` is
written at most once per ``touch_seconds``, so requests with a token stay reads.

Login sessions hash their token the same way (``token_hash``; ``services.login_sessions``). The formats and the
hash are what tokens already in a database were made with: changing either would lock every one of them out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar, TypeVarTuple

from sqlalchemy import Row, Select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from sparring.inputs import InputError, clean_text, is_db_id
from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.errors import InvalidInput, NotFound
from sparring.store.db import Database

#: a presented secret longer than this is not looked up
MAX_CHARS = 200
#: random bytes in a new secret (before URL-safe base64)
SECRET_BYTES = 32


def token_hash(token: str) -> str:
    """What a table stores instead of the token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives naive ones back)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class IssuedToken:
    """A new secret, what to store for it and the characters shown in lists."""

    secret: str
    token_hash: str
    prefix: str


class TokenTable(Protocol):
    """A token row: what ``revoke`` reads and writes."""

    id: int
    org_id: int
    name: str
    prefix: str
    last_used_at: datetime | None
    revoked_at: datetime | None


T = TypeVar("T", bound=TokenTable)
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class TokenKind:
    """One kind of hashed token. ``noun`` names it in errors ("API token"); ``audit_type`` is the audit log's target
    type (its actions are ``<audit_type>.created`` and ``<audit_type>.revoked``)."""

    prefix: str
    shown_chars: int
    noun: str
    audit_type: str
    touch_seconds: float = 60.0
    name_chars: int = 80

    def issue(self) -> IssuedToken:
        """A new random secret of this kind."""
        secret = self.prefix + secrets.token_urlsafe(SECRET_BYTES)
        return IssuedToken(secret=secret, token_hash=token_hash(secret), prefix=secret[:self.shown_chars])

    def lookup_hash(self, secret: str) -> str | None:
        """The hash to look a presented secret up by, or None when it cannot be a token of this kind."""
        if not secret.startswith(self.prefix) or len(secret) > MAX_CHARS:
            return None
        return token_hash(secret)

    def find(self, database: Database, secret: str, query: Select[*Ts],
             hash_column: InstrumentedAttribute[str]) -> Row[*Ts] | None:
        """The first row of ``query`` whose ``hash_column`` is the presented secret's hash (one read), or None
        without a read when the secret cannot be a token of this kind."""
        digest = self.lookup_hash(secret)
        if digest is None:
            return None
        with database.read() as s:
            return s.execute(query.where(hash_column == digest)).first()

    def require_admin(self, actor: Viewer) -> None:
        """InvalidInput unless the actor is an admin (only admins create or revoke tokens)."""
        if actor.role != "admin":
            raise InvalidInput(f"only an admin may create or revoke {self.noun}s")

    def clean_name(self, name: str, example: str) -> str:
        """The token's name from the form, cleaned; InvalidInput names the field. ``example`` ends the message
        for an empty name (what the name is for)."""
        try:
            clean = clean_text(name, "name", max_chars=self.name_chars)
        except InputError as exc:
            raise InvalidInput(f"name: {exc.message}") from None
        if not clean:
            raise InvalidInput(f"name: give the token a name ({example})")
        return clean

    def revoke(self, db: Session, actor: Viewer, table: type[T], token_id: int, now: datetime | None) -> T:
        """Revoke one of the actor's organisation's tokens (audited); revoking a revoked one changes nothing.
        NotFound for an unknown token or another organisation's. The caller checks the actor is an admin."""
        row = db.get(table, token_id) if is_db_id(token_id) else None
        if row is None or row.org_id != actor.org_id:
            raise NotFound(f"no such {self.noun}")
        if row.revoked_at is None:
            row.revoked_at = now or datetime.now(UTC)
            db.flush()
            audit.record(db, actor, f"{self.audit_type}.revoked", self.audit_type, row.id,
                         {"name": row.name, "prefix": row.prefix})
        return row

    def touch(self, database: Database, id_column: InstrumentedAttribute[int], token_id: int,
              last_used_at: datetime | None, now: datetime) -> None:
        """Write ``last_used_at`` of the token ``token_id`` (``id_column``: its table's ``id``) if the last write
        is ``touch_seconds`` old or there was none (its own short transaction: checking a token is a read)."""
        last = as_utc(last_used_at)
        if last is None or (now - last).total_seconds() >= self.touch_seconds:
            with database.session() as s:
                s.execute(update(id_column.class_).where(id_column == token_id).values(last_used_at=now))
