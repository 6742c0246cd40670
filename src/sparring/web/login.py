"""The web side of the login guard (``sparring.services.login_guard``): which client is asking, and the words
both login paths answer with.

The client is the TCP peer of the request — unless ``SPARRING_TRUSTED_PROXIES`` says how many reverse proxies
stand in front of the app: then it is the address that many entries from the right of ``X-Forwarded-For`` (the
address the outermost trusted proxy saw). Entries further left were written by the client itself and are never
believed, so a client cannot pick its own address by sending the header; with the setting at 0 (the default)
the header is ignored altogether. A header with fewer entries than trusted proxies (a request that bypassed
them) falls back to the peer address.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from sparring.services.login_guard import LoginGuard, LoginResult


class LoginThrottle:
    """What ``create_app`` builds once per worker: the guard and how to find the client's address."""

    def __init__(self, guard: LoginGuard | None = None, trusted_proxies: int = 0):
        """``trusted_proxies``: from the app's settings (``create_app`` passes them); 0 counts the peer address."""
        self.guard = guard or LoginGuard()
        self.trusted_proxies = trusted_proxies

    def client(self, request: Request) -> str:
        return client_address(request, self.trusted_proxies)


def client_address(request: Request, trusted_proxies: int) -> str:
    peer = request.client.host if request.client else "unknown"
    if trusted_proxies <= 0:
        return peer
    hops = [h.strip() for value in request.headers.getlist("x-forwarded-for") for h in value.split(",")]
    hops = [h for h in hops if h]
    if len(hops) < trusted_proxies:
        return peer
    candidate = hops[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate.split("%", 1)[0]))
    except ValueError:
        return peer  # not an address: a proxy that writes something else is not one we understand


def _in(seconds: float) -> str:
    s = max(1, round(seconds))
    if s < 90:
        return f"{s} second{'s' if s != 1 else ''}"
    minutes = -(-s // 60)
    return f"{minutes} minutes"


def throttled_message(result: LoginResult) -> str:
    """Why an attempt is refused and when to try again, for the page and the API alike."""
    why = {
        "pair": "too many failed attempts for this account from your address",
        "account": "too many failed attempts for this account",
        "client": "too many failed attempts from your network address",
        "global": "too many failed logins on this server right now",
    }.get(result.scope or "pair", "too many failed attempts")
    return f"{why}; try again in {_in(result.retry_after)}"


WRONG_CREDENTIALS = "wrong e-mail or password"
CODE_REQUIRED = "this account uses two-factor sign-in: send the 6-digit code from the authenticator app (or a " \
                "recovery code) as \"totp\""
WRONG_CODE = "wrong or already used two-factor code"
