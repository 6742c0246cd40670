"""A cap on the size of every request body, before any route reads it (docs/security.md, "Request size").

FastAPI reads a JSON body into memory before the route's own checks — and before the caller is known — so without a
cap anyone could make a worker hold a body of any size. This plain ASGI middleware refuses a declared
``Content-Length`` over the route's cap at once (413, nothing read) and counts the bytes of a body sent without one,
answering 413 as soon as it passes the cap. The routes that take files keep their own, larger limits and their own
messages (a call upload, a spoken turn, the content editor); every other route gets ``DEFAULT_MAX_BYTES``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sparring.services.call_uploads import MAX_REQUEST_BYTES as CALL_UPLOAD_BYTES
from sparring.services.voice import MAX_TAKE_BYTES

#: every route that takes no file: forms, JSON, SAML responses and LTI launches are far smaller
DEFAULT_MAX_BYTES = 1024 * 1024
#: the editor's own limit is four content files and a little more (``routes.admin_editor.MAX_BODY_BYTES``)
EDITOR_MAX_BYTES = 5 * 1024 * 1024
#: (path pattern, cap): the first that matches wins; a little above each route's own limit, so its message is shown
LARGER: Sequence[tuple[re.Pattern[str], int]] = (
    (re.compile(r"^/(api/)?calls(/upload)?$"), CALL_UPLOAD_BYTES + 1024 * 1024),
    (re.compile(r"^/api/reps/[^/]+/speech$"), MAX_TAKE_BYTES + 1024 * 1024),
    (re.compile(r"^/admin/content/"), EDITOR_MAX_BYTES),
    # SCIM answers its own 413 (1 MB) in SCIM's error format, after the token: only far larger bodies stop here
    (re.compile(r"^/scim/"), 2 * DEFAULT_MAX_BYTES),
)


def cap_for(path: str) -> int:
    for pattern, cap in LARGER:
        if pattern.match(path):
            return cap
    return DEFAULT_MAX_BYTES


async def _refuse(send: Send, cap: int, status: int = 413) -> None:
    detail = (f"the request body is larger than this route accepts ({cap:,} bytes)" if status == 413
              else "Content-Length: not a number of bytes")
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        cap = cap_for(str(scope.get("path", "")))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.strip().isdigit():
                    await _refuse(send, cap, 400)
                    return
                if int(value) > cap:
                    await _refuse(send, cap)
                    return
        received = 0
        too_large = refused = started = False

        async def counted_receive() -> Message:
            # past the cap the app is told the client went away (routes and FastAPI turn any error while reading
            # into their own answer), and whatever it answers is replaced by the 413 below
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: Message) -> None:
            nonlocal refused, started
            if started or not too_large:  # an answer begun before the cap was passed goes out as it is
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif not refused and message["type"] == "http.response.start":
                refused = True
                await _refuse(send, cap)

        try:
            await self.app(scope, counted_receive, watched_send)
        except Exception:
            if not too_large or started:
                raise
        if too_large and not refused and not started:
            await _refuse(send, cap)
