"""Response headers every answer of the web app carries, and the options the HTTP server runs with.

- Security headers (CSP, framing, sniffing, referrer) on every response that does not set them itself.
- ``Cache-Control: no-store`` on every dynamic response: pages and API answers may hold a signed-in person's
  transcripts and scores, which must not stay in a shared or browser cache after they log out. Only
  ``/static/`` files (the same for everyone) may be cached.
- ``Strict-Transport-Security`` when the public URL is https (``SPARRING_PUBLIC_URL``): browsers then refuse
  plain http for the host, so a network attacker cannot strip TLS on a later visit.
- No ``Server`` banner: uvicorn's is switched off in ``sparring.server.SERVER_OPTIONS`` (it is added below the
  ASGI app, where a middleware cannot remove it).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
}
#: one year, subdomains included (the value browsers' preload lists expect); sent only over an https public URL
HSTS = "max-age=31536000; includeSubDomains"
#: paths whose answers are the same for everyone and may be cached
CACHEABLE_PREFIXES = ("/static/",)

class SecurityHeaders:
    """Adds the headers above to every HTTP response that does not set them itself. A plain ASGI middleware:
    Starlette's BaseHTTPMiddleware would run every request through an extra task and memory stream."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
