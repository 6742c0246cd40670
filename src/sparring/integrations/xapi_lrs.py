"""Sending xAPI statements to a learning record store (docs/integrations.md, "xAPI"; the outbox that calls this is
``services.xapi_delivery``).

``send`` POSTs the statements to ``<url>/statements`` in chunks of ``CHUNK`` with the header
``X-Experience-API-Version: 1.0.3`` and HTTP basic authentication. Any answer but 200/204 raises ``LrsError``
naming the status and the LRS's own words, so the job layer retries and the admin page shows why.

Re-sending is safe: statement ids are deterministic, and an LRS takes a statement it already holds without storing
it twice (xAPI 1.0.3: statements are immutable; Ralph answers 200 and skips it). When the stored statement with
that id *differs* — e.g. the rep was enrolled in a program after it was first sent, so its context changed — the
LRS answers 409 Conflict for the whole chunk. The chunk is then sent again one statement at a time, and a
statement that alone gets 409 is counted as ``already`` there: the stored version stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from sparring.integrations.xapi import XAPI_VERSION

#: statements per POST
CHUNK = 250


class LrsError(Exception):
    """The LRS did not take the statements (unreachable, refused, or an error answer)."""


@dataclass(frozen=True)
class LrsConfig:
    url: str
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @property
    def statements_url(self) -> str:
        return self.url.rstrip("/") + "/statements"


@dataclass(frozen=True)
class Sent:
    #: statements the LRS took (stored now, or identical to one it held)
    accepted: int
    #: statements refused with 409: the LRS holds a different statement with the same id
    already: int


def _words(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:300] or response.reason_phrase


def client(config: LrsConfig, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    auth = httpx.BasicAuth(config.username or "", config.password or "") if config.username else None
    return httpx.Client(auth=auth, timeout=config.timeout, transport=transport, follow_redirects=False,
                        headers={"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"})


def _post(http: httpx.Client, config: LrsConfig, statements: Sequence[dict[str, Any]]) -> httpx.Response:
    try:
        return http.post(config.statements_url, json=list(statements))
    except httpx.HTTPError as exc:
        raise LrsError(f"LRS at {config.statements_url} unreachable: {type(exc).__name__}: {exc}"[:400]) from None


def _refused(config: LrsConfig, response: httpx.Response) -> LrsError:
    return LrsError(f"LRS at {config.statements_url} answered {response.status_code}: {_words(response)}")


def send(config: LrsConfig, statements: Sequence[dict[str, Any]], transport: httpx.BaseTransport | None = None
         ) -> Sent:
    """Send every statement; how many the LRS took and how many it already held in another version. LrsError on
    the first chunk it does not take (the chunks before it stay stored: sending them again is harmless)."""
    accepted = already = 0
    with client(config, transport) as http:
        for start in range(0, len(statements), CHUNK):
            chunk = statements[start:start + CHUNK]
            response = _post(http, config, chunk)
            if response.status_code in (200, 204):
                accepted += len(chunk)
                continue
            if response.status_code != 409:
                raise _refused(config, response)
            for statement in chunk:
                one = _post(http, config, [statement])
                if one.status_code in (200, 204):
                    accepted += 1
                elif one.status_code == 409:
                    already += 1
                else:
                    raise _refused(config, one)
    return Sent(accepted=accepted, already=already)
