"""A small HTTP/1.1 client for the web load benchmark (``bench/web_load.py``).

It does what the practice page does in a browser: one keep-alive connection per learner, the cookies the server
sets (session, pre-login), the ``X-CSRF-Token`` header, form and JSON bodies, and it reads ``Content-Length`` and
chunked responses (the SSE turn stream) to the end. It exists because the load generator shares the machine's two
cores with the server: httpx spent ~2 ms of CPU per turn here, this client a fraction of that. Plain ``http://``
only; no redirects are followed (the benchmark reads the ``Location`` of a 303 itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


class HTTPError(Exception):
    """The connection failed or the server's answer was not valid HTTP/1.1."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    host: str
    port: int
    timeout: float = 120.0
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, *, json_body: Any = None, form: dict[str, str] | None = None) -> Response:
        if form is not None:
            return await self.request("POST", path, urlencode(form).encode(), "application/x-www-form-urlencoded")
        return await self.request("POST", path, json.dumps(json_body).encode(), "application/json")

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str | None = None) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: */*",
                 f"Content-Length: {len(body)}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.extend(f"{k}: {v}" for k, v in self.headers.items())
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        reused = self._writer is not None
        try:
            return await asyncio.wait_for(self._exchange(message), self.timeout)
        except (ConnectionError, asyncio.IncompleteReadError, HTTPError) as exc:
            await self.close()
            # a kept-alive connection the server closed while idle: send again on a fresh one, as browsers do
            if reused and isinstance(exc, (ConnectionResetError, asyncio.IncompleteReadError, BrokenPipeError)):
                return await asyncio.wait_for(self._exchange(message), self.timeout)
            raise HTTPError(repr(exc)) from exc

    async def _exchange(self, message: bytes) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(message)
        reader = self._reader
        status_line = await reader.readuntil(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HTTPError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._keep_cookie(value)
            headers[name] = f"{headers[name]}, {value}" if name in headers and name != "set-cookie" else value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, if any
                pass
            body = b"".join(chunks)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, body)

    def _keep_cookie(self, value: str) -> None:
        pair, *attributes = value.split(";")
        name, _, cookie = pair.strip().partition("=")
        if any(a.strip().lower() == "max-age=0" for a in attributes) or not cookie:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = cookie

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
