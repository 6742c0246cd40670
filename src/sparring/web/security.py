"""Session cookies and CSRF for the web app.

A session is a row of the database's ``sessions`` table (``sparring.services.login_sessions``); the browser
holds its random token in a signed, timestamped cookie (itsdangerous). The signature lets a worker turn away a
forged or outdated cookie without touching the database; the row decides whether the session still lives, so
logging out ends it for every copy of the cookie. The cookie is HttpOnly, SameSite=Lax and Secure whenever the
app is served over HTTPS (or ``secure_cookies`` is forced).

Key rotation: the codec holds a list of signing keys, newest last. It signs cookies and CSRF tokens with the
newest and accepts any of them, so cookies and tokens signed with a previous key (SPARRING_SECRET_KEYS_PREVIOUS)
keep working until they expire (docs/web.md, "Key rotation").

CSRF: the CSRF token is an HMAC of the session token with the signing key. HTML forms send it as the
``csrf_token`` field, JavaScript as the ``X-CSRF-Token`` header. JSON API calls must be ``application/json``
(which a cross-site HTML form cannot send without a CORS preflight) and, when made with a session cookie, carry
the header too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from sparring.kernel.secret_key import load_or_create_secret, signing_keys
from sparring.services.login_sessions import DEFAULT_MAX_HOURS
from sparring.web.login import LoginThrottle

__all__ = ["LoginThrottle", "SessionCodec", "SessionData", "load_or_create_secret", "signing_keys"]

SESSION_COOKIE = "sparring_session"
SESSION_MAX_AGE = DEFAULT_MAX_HOURS * 3600  # the cookie's lifetime: the sessions' absolute timeout
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class SessionData:
    """What a validly signed session cookie holds: the session's token (its row is looked up by its hash)."""

    token: str


class SessionCodec:
    """Signs and reads session cookies and CSRF tokens with a list of keys (newest last, or one key)."""

    def __init__(self, keys: str | Sequence[str], max_age: int = SESSION_MAX_AGE):
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        if not self.keys or not all(self.keys):
            raise ValueError("the session codec needs at least one non-empty signing key")
        self._keys = [k.encode("utf-8") for k in self.keys]
        # itsdangerous signs with the last key and accepts a signature by any of them
        self._serializer = URLSafeTimedSerializer(self.keys, salt="sparring.session")
        self.max_age = max_age

    def issue(self, token: str) -> str:
        """The cookie value for a session token."""
        return self._serializer.dumps({"t": token})

    def read(self, cookie: str | None) -> SessionData | None:
        """The session token of a cookie signed with one of the keys and younger than ``max_age``, else None."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        token = data.get("t") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            return None
        return SessionData(token=token)

    def _macs(self, message: bytes) -> list[str]:
        return [hmac.new(key, message, hashlib.sha256).hexdigest() for key in reversed(self._keys)]

    def csrf_token(self, token: str) -> str:
        """The CSRF token of a session (signed with the newest key)."""
        return self._macs(b"csrf:" + token.encode("utf-8"))[0]

    def csrf_ok(self, token: str, csrf: str | None) -> bool:
        if not csrf:
            return False
        return _any_equal(self._macs(b"csrf:" + token.encode("utf-8")), csrf)

    def anonymous_csrf(self, anon_id: str) -> str:
        """CSRF token for forms shown before login (login, first-run setup), bound to a pre-session cookie."""
        return self._macs(b"anon:" + anon_id.encode("utf-8"))[0]

    def anonymous_csrf_ok(self, anon_id: str | None, csrf: str | None) -> bool:
        if not anon_id or not csrf:
            return False
        return _any_equal(self._macs(b"anon:" + anon_id.encode("utf-8")), csrf)


def _any_equal(expected: list[str], given: str) -> bool:
    """Whether ``given`` equals one of ``expected``, comparing each in constant time."""
    raw = given.encode("utf-8", "replace")  # compare bytes: any text a client sends is safe to compare
    ok = False
    for value in expected:
        ok |= hmac.compare_digest(value.encode("ascii"), raw)
    return ok
