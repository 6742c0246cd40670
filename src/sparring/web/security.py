"""Sessions and CSRF for the web app.

Sessions live in a signed, timestamped cookie (itsdangerous), so web workers stay stateless. The cookie holds
the user id, a per-session nonce and a *credential stamp*: a short hash of the user's password hash, so
changing or resetting a password ends every existing session of that user. The cookie is HttpOnly,
SameSite=Lax and Secure whenever the app is served over HTTPS (or ``secure_cookies`` is forced).

CSRF: every session carries a random nonce; the CSRF token is an HMAC of that nonce with the app secret.
HTML forms send it as the ``csrf_token`` field, JavaScript as the ``X-CSRF-Token`` header. JSON API calls
must be ``application/json`` (which a cross-site HTML form cannot send without a CORS preflight) and, when
made with a session cookie, carry the header too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, insert, select

from sparring.store.db import Database
from sparring.store.models import LoginFailure

SESSION_COOKIE = "sparring_session"
SESSION_MAX_AGE = 60 * 60 * 12  # 12 hours
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def load_or_create_secret(data_dir: Path, configured: str | None) -> str:
    """The configured secret, or one generated once and kept (0600) in the data directory."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "web-secret.key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret)
    return secret


def credential_stamp(password_hash: str) -> str:
    """A short fingerprint of the stored password hash; it changes whenever the password does."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SessionData:
    user_id: int
    nonce: str
    stamp: str


class SessionCodec:
    def __init__(self, secret: str, max_age: int = SESSION_MAX_AGE):
        self._secret = secret.encode("utf-8")
        self._serializer = URLSafeTimedSerializer(secret, salt="sparring.session")
        self.max_age = max_age

    def issue(self, user_id: int, password_hash: str) -> str:
        return self._serializer.dumps(
            {"u": user_id, "n": secrets.token_urlsafe(16), "s": credential_stamp(password_hash)}
        )

    def read(self, cookie: str | None) -> SessionData | None:
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict):
            return None
        user_id, nonce, stamp = data.get("u"), data.get("n"), data.get("s")
        if not isinstance(user_id, int) or not isinstance(nonce, str) or not isinstance(stamp, str):
            return None
        return SessionData(user_id=user_id, nonce=nonce, stamp=stamp)

    def csrf_token(self, nonce: str) -> str:
        return hmac.new(self._secret, b"csrf:" + nonce.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, nonce: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(nonce), token or "")

    def anonymous_csrf(self, anon_id: str) -> str:
        """CSRF token for forms shown before login (login, first-run setup), bound to a pre-session cookie."""
        return hmac.new(self._secret, b"anon:" + anon_id.encode("utf-8"), hashlib.sha256).hexdigest()


class LoginThrottle:
    """Slows password guessing: after ``limit`` failed logins for one e-mail address within ``window``
    seconds, further attempts for it are refused until the window has passed since the ``limit``-th newest
    failure; a successful login forgets the address's failures.

    The failures are rows of the database's ``login_failures`` table (keyed by a hash of the address, with Unix
    times from ``clock``), so every web worker process — and every app on the same database — counts the same
    attempts: two workers give an attacker no extra guesses and the lockout does not depend on which worker
    answers. Each failure also deletes every row older than the window, so the table holds only the failures of
    the last ``window`` seconds (each of which cost the server an argon2 hash). The methods do blocking database
    work: call them from a worker thread, as the login routes do, never on the event loop."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.time):
        self.limit = limit
        self.window = window
        self.clock = clock

    @staticmethod
    def key(email: str) -> str:
        """The stored key: SHA-256 of the lower-cased address (a fixed length, whatever an attacker types)."""
        return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()

    def blocked_for(self, db: Database, email: str) -> float:
        """Seconds until ``email`` may try again (0 when it may try now)."""
        now = self.clock()
        with db.read() as s:
            times = s.execute(_RECENT_FAILURES, {"key": self.key(email), "since": now - self.window,
                                                 "limit": self.limit}).scalars().all()
        if len(times) < self.limit:
            return 0.0
        return max(0.0, self.window - (now - times[-1]))

    def failed(self, db: Database, email: str) -> None:
        now = self.clock()
        with db.session() as s:
            conn = s.connection()
            conn.execute(_FORGET_OLD, {"before": now - self.window})
            conn.execute(_ADD_FAILURE, {"key": self.key(email), "at": now})

    def succeeded(self, db: Database, email: str) -> None:
        key = self.key(email)
        with db.read() as s:  # most logins follow no failure: no write transaction for them
            if s.execute(_ANY_FAILURE, {"key": key}).first() is None:
                return
        with db.session() as s:
            s.connection().execute(_FORGET_KEY, {"key": key})


_RECENT_FAILURES = (
    select(LoginFailure.at)
    .where(LoginFailure.key == bindparam("key"), LoginFailure.at > bindparam("since"))
    .order_by(LoginFailure.at.desc())
    .limit(bindparam("limit"))
)
_ANY_FAILURE = select(LoginFailure.id).where(LoginFailure.key == bindparam("key")).limit(1)
_ADD_FAILURE = insert(LoginFailure)
_FORGET_OLD = delete(LoginFailure).where(LoginFailure.at <= bindparam("before"))
_FORGET_KEY = delete(LoginFailure).where(LoginFailure.key == bindparam("key"))
