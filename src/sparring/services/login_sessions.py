"""Server-side login sessions: one row of the ``sessions`` table per signed-in browser or API client.

The client holds a random session token (in the web app: inside a signed cookie); the database holds only its
SHA-256, so a copy of the database does not let anyone sign in. Ending a session deletes its row, so a copied
cookie stops working at once: logging out, "sign out everywhere", a password reset, a role change and a
deactivation all delete rows (``end_user_sessions`` runs inside the caller's transaction).

A session ends by itself after ``idle_seconds`` without a request (idle timeout) and ``max_seconds`` after it
began (absolute timeout). Checking a session is ONE query (the session row joined with its user, active ones
only); ``last_seen_at`` is written at most once per ``touch_every`` seconds per session, so requests stay reads.
Expired rows are deleted whenever someone signs in. Times are Unix seconds from an injectable ``clock``.

Every function does blocking database work: web routes call them from a worker thread, never on the event loop.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.hashed_tokens import token_hash
from sparring.store.db import Database
from sparring.store.models import LoginSession, User

#: defaults of SPARRING_SESSION_IDLE_MINUTES and SPARRING_SESSION_MAX_HOURS (docs/decisions.md)
DEFAULT_IDLE_MINUTES = 60
DEFAULT_MAX_HOURS = 12
#: last_seen_at is written at most this often per session (or a quarter of the idle timeout, if shorter)
TOUCH_SECONDS = 60.0
#: stored length of the user-agent summary ("Firefox on Linux")
AGENT_CHARS = 120


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions live: ``idle_seconds`` without a request, ``max_seconds`` in all."""

    idle_seconds: float = DEFAULT_IDLE_MINUTES * 60.0
    max_seconds: float = DEFAULT_MAX_HOURS * 3600.0

    def __post_init__(self) -> None:
        if self.idle_seconds <= 0 or self.max_seconds <= 0:
            raise ValueError("session timeouts must be positive")

    @property
    def touch_every(self) -> float:
        """How stale ``last_seen_at`` may get: a minute, or a quarter of a shorter idle timeout."""
        return min(TOUCH_SECONDS, self.idle_seconds / 4)

    @classmethod
    def of_minutes(cls, idle_minutes: float, max_hours: float) -> SessionPolicy:
        return cls(idle_seconds=idle_minutes * 60.0, max_seconds=max_hours * 3600.0)


@dataclass(frozen=True)
class SessionUser:
    """A live session and the user it belongs to (the columns the access rules need)."""

    session_id: int
    user_id: int
    org_id: int
    role: str
    name: str
    email: str


@dataclass(frozen=True)
class SessionInfo:
    """One session as the "your sessions" list shows it."""

    id: int
    agent: str
    created_at: float
    last_seen_at: float
    expires_at: float


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl"), ("python-httpx", "Python"),
             ("python-requests", "Python"), ("testclient", "Test client"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def agent_summary(user_agent: str | None) -> str:
    """A short, fixed-vocabulary description of a User-Agent header ("Firefox on Linux"): enough to recognise
    a session in a list, and nothing of the raw header (unbounded, attacker-chosen) is stored."""
    ua = (user_agent or "")[:512]
    browser = next((name for marker, name in _BROWSERS if marker in ua), "")
    system = next((name for marker, name in _SYSTEMS if marker in ua), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ("Unknown browser" if not re.search(r"\S", ua) else "Other client")


def end_user_sessions(s: Session, user_id: int) -> int:
    """End every session of ``user_id`` inside the caller's transaction (password reset, role change,
    deactivation); the number of sessions ended."""
    result = s.connection().execute(_END_USER, {"user_id": user_id})
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class LoginSessions:
    """Starts, checks and ends sessions under one ``SessionPolicy`` and ``clock``. Holds no per-session state:
    every web worker process has its own object and they all read the same table."""

    policy: SessionPolicy = field(default_factory=SessionPolicy)
    clock: Callable[[], float] = time.time

    def start(self, database: Database, user_id: int, user_agent: str | None = None,
              replaces: str | None = None, *, via: str = "web", method: str = "password") -> str:
        """A new session for ``user_id``; returns its token (give it to the client, never store it).
        ``replaces``: the token of the session this client held before, which ends. Deletes the timed-out
        sessions of everyone on the way (one statement: a login is rare next to requests). The sign-in is
        audited (``user.signed_in`` with ``method``, e.g. password or sso) in the same transaction."""
        now = self.clock()
        token = secrets.token_urlsafe(32)
        with database.session() as s:
            conn = s.connection()
            if replaces:
                conn.execute(_END, {"token_hash": token_hash(replaces)})
            conn.execute(_CLEAN_UP, {"now": now, "idle_before": now - self.policy.idle_seconds,
                                     "born_after": now - self.policy.max_seconds})
            conn.execute(_START, {"token_hash": token_hash(token), "user_id": user_id, "created_at": now,
                                  "last_seen_at": now, "expires_at": now + self.policy.max_seconds,
                                  "user_agent": agent_summary(user_agent)[:AGENT_CHARS]})
            audit.record(s, audit.actor_of(s, user_id), "user.signed_in", "user", user_id,
                         {"method": method, "agent": agent_summary(user_agent)[:AGENT_CHARS]}, via)
        return token

    def check(self, database: Database, token: str) -> SessionUser | None:
        """The live session with this token and its active user, or None (unknown, ended, idle too long,
        too old, or the user was deactivated). One query; ``last_seen_at`` is written at most once per
        ``policy.touch_every`` seconds."""
        now = self.clock()
        with database.read() as s:
            row = s.connection().execute(_CHECK, {
                "token_hash": token_hash(token), "now": now, "idle_before": now - self.policy.idle_seconds,
                "born_after": now - self.policy.max_seconds,
            }).first()
        if row is None:
            return None
        if now - row.last_seen_at >= self.policy.touch_every:
            with database.session() as s:
                s.connection().execute(_TOUCH, {"session_id": row.id, "now": now})
        return SessionUser(session_id=row.id, user_id=row.user_id, org_id=row.org_id, role=row.role,
                           name=row.name or row.email, email=row.email)

    def end(self, database: Database, token: str, *, via: str = "web") -> None:
        """End the session with this token (logging out), audited as ``user.signed_out``; nothing happens if it
        has already ended."""
        with database.session() as s:
            conn = s.connection()
            user_id = conn.execute(_OWNER, {"token_hash": token_hash(token)}).scalar()
            if user_id is None:
                return
            conn.execute(_END, {"token_hash": token_hash(token)})
            audit.record(s, audit.actor_of(s, user_id), "user.signed_out", "user", user_id, {"everywhere": False},
                         via)

    def end_all(self, database: Database, user_id: int, *, via: str = "web") -> int:
        """End every session of ``user_id`` ("sign out everywhere"), audited as ``user.signed_out`` with
        ``everywhere`` and how many ended; the number ended. ``via="cli"``: the operator did it (actor ``(cli)``)."""
        with database.session() as s:
            ended = end_user_sessions(s, user_id)
            user = s.get(User, user_id)
            if user is not None:
                actor = audit.actor_of(s, user_id) if via != "cli" else None
                detail: dict[str, object] = {"everywhere": True, "sessions": ended}
                if actor is None:
                    detail["by"] = "the operator"
                audit.record(s, actor, "user.signed_out", "user", user_id, detail, via, org_id=user.org_id)
            return ended

    def list_for(self, database: Database, user_id: int) -> list[SessionInfo]:
        """The live sessions of ``user_id``, most recently used first."""
        now = self.clock()
        with database.read() as s:
            rows = s.connection().execute(_LIST, {
                "user_id": user_id, "now": now, "idle_before": now - self.policy.idle_seconds,
                "born_after": now - self.policy.max_seconds,
            }).all()
        return [SessionInfo(id=r.id, agent=r.user_agent, created_at=r.created_at, last_seen_at=r.last_seen_at,
                            expires_at=min(r.expires_at, r.created_at + self.policy.max_seconds))
                for r in rows]


def _live() -> tuple[ColumnElement[bool], ...]:
    """The conditions of a session that has not timed out (the same for checking and listing). ``born_after``
    applies the current absolute timeout to older sessions too, should it have been shortened since."""
    return (LoginSession.expires_at > bindparam("now"), LoginSession.created_at > bindparam("born_after"),
            LoginSession.last_seen_at > bindparam("idle_before"))


_CHECK = (
    select(LoginSession.id, LoginSession.user_id, LoginSession.last_seen_at, User.org_id, User.role, User.name,
           User.email)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.token_hash == bindparam("token_hash"), *_live(),
           User.is_active.is_(True), User.password_hash.is_not(None))
)
_LIST = (
    select(LoginSession.id, LoginSession.user_agent, LoginSession.created_at, LoginSession.last_seen_at,
           LoginSession.expires_at)
    .where(LoginSession.user_id == bindparam("user_id"), *_live())
    .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
)
_START = insert(LoginSession)
_TOUCH = (
    update(LoginSession)
    .where(LoginSession.id == bindparam("session_id"), LoginSession.last_seen_at < bindparam("now"))
    .values(last_seen_at=bindparam("now"))
)
_END = delete(LoginSession).where(LoginSession.token_hash == bindparam("token_hash"))
_OWNER = select(LoginSession.user_id).where(LoginSession.token_hash == bindparam("token_hash"))
_END_USER = delete(LoginSession).where(LoginSession.user_id == bindparam("user_id"))
_CLEAN_UP = delete(LoginSession).where(
    or_(LoginSession.expires_at <= bindparam("now"), LoginSession.created_at <= bindparam("born_after"),
        LoginSession.last_seen_at <= bindparam("idle_before"))
)
