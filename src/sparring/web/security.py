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
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from sparring.web.login import LoginThrottle

__all__ = ["LoginThrottle", "SessionCodec", "SessionData", "credential_stamp", "load_or_create_secret"]

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
