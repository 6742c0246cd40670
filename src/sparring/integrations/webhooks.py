"""Outgoing webhooks, the mapping and the wire (docs/integrations.md, "Webhooks"): the JSON body of an event, its
signature, which URLs Sparring may call, and one HTTP POST. The use cases (endpoints, fan-out, the delivery job,
the admin pages' actions) are ``sparring.services.webhooks``.

**Signature** (as Stripe's scheme): the header ``Sparring-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
the HMAC-SHA256, keyed with the endpoint's secret (its UTF-8 bytes, ``whsec_…`` included), of ``"<t>.<body>"``
(the raw body bytes). A receiver recomputes it, compares in constant time and refuses a ``t`` too far from its
clock (``verify``; five minutes by default), so a captured request cannot be replayed later.

**Addresses** (server-side request forgery: an organisation's admin chooses the URL, and Sparring calls it from
inside the installation's network): only ``http`` and ``https`` URLs without credentials; with the setting
``webhooks_addresses = "public"`` (the default) every address the host resolves to must be a public one (no
loopback, private, link-local — cloud metadata at 169.254.169.254 —, shared, multicast or reserved address),
unless the host, the address or its network is named in ``webhooks_allow``. The connection is made to the address
that was checked (never resolved a second time), so DNS rebinding cannot swap it, and redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Sparring-Signature"
EVENT_HEADER = "Sparring-Event"
DELIVERY_HEADER = "Sparring-Delivery"
#: how far a signature's timestamp may be from the receiver's clock (seconds) in ``verify``
TOLERANCE_SECONDS = 300
MAX_URL_CHARS = 2000
#: how much of a receiver's answer is read (the rest is dropped; it is never stored)
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "Sparring-Webhooks/1"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebhookError(Exception):
    """A webhook URL Sparring refuses to call, or a signature header that cannot be read (the text says why)."""


class AddressRefused(WebhookError):
    """The URL or the address its host resolves to is one Sparring may not call (trying again cannot help)."""


def new_secret() -> str:
    """A fresh signing secret for an endpoint (shown to the organisation's admins; 192 random bits)."""
    return "whsec_" + secrets.token_hex(24)


# ---- the body and its signature --------------------------------------------------------------------------------


def event_body(event_id: str, type: str, created_at: datetime, organisation: dict[str, Any],
               data: dict[str, Any]) -> bytes:
    """The JSON body POSTed for an event: ``{"id", "type", "created_at", "organisation", "data"}``."""
    when = created_at.replace(tzinfo=UTC) if created_at.tzinfo is None else created_at.astimezone(UTC)
    document = {"id": event_id, "type": type, "created_at": when.isoformat().replace("+00:00", "Z"),
                "organisation": organisation, "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Sparring-Signature`` header value for ``body`` at ``timestamp`` (unix seconds; default now)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_digest(secret, t, body)}"


def parse_signature(header: str) -> tuple[int, list[str]]:
    """The timestamp and the ``v1`` signatures of a ``Sparring-Signature`` header (WebhookError when malformed)."""
    t: int | None = None
    found: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookError(f"signature header: {part.strip()[:40]!r} is not key=value")
        if key == "t":
            if not value.isdigit():
                raise WebhookError("signature header: t is not a unix time")
            t = int(value)
        elif key == "v1":
            found.append(value)
    if t is None or not found:
        raise WebhookError("signature header: needs t=<unix time> and v1=<signature>")
    return t, found


def verify(header: str, secret: str, body: bytes, *, tolerance: int = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance`` seconds of ``now``."""
    try:
        t, signatures = parse_signature(header)
    except WebhookError:
        return False
    current = time.time() if now is None else now
    if abs(current - t) > tolerance:
        return False
    expected = _digest(secret, t, body)
    return any(hmac.compare_digest(expected, s) for s in signatures)


# ---- which addresses may be called -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses deliveries may reach: any (``public_only`` False), or public ones plus ``allowed`` hosts
    (lower-case names), addresses and networks."""

    public_only: bool = True
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, addresses: str, allow: str | None) -> AddressPolicy:
        """From the settings ``webhooks_addresses`` (``public`` | ``any``) and ``webhooks_allow``."""
        hosts: set[str] = set()
        networks: list[Network] = []
        for item in (allow or "").split(","):
            item = item.strip().lower()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.rstrip("."))
        return cls(addresses != "any", frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: Address) -> bool:
        if not self.public_only or host.lower().rstrip(".") in self.hosts:
            return True
        if any(address in n for n in self.networks if n.version == address.version):
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return self.allows(host, address.ipv4_mapped)
        return address.is_global and not address.is_multicast


def check_url(url: str) -> tuple[str, str, int, str]:
    """Refuse a URL that is not ``http(s)://host[:port]/path`` (WebhookError naming the problem); return
    ``(scheme, host, port, path with query)``."""
    if not isinstance(url, str) or not url.strip():
        raise WebhookError("url: required")
    if len(url) > MAX_URL_CHARS:
        raise WebhookError(f"url: at most {MAX_URL_CHARS} characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise WebhookError("url: contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookError(f"url: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise WebhookError(f"url: only http and https URLs can receive webhooks (not {parts.scheme or 'none'!r})")
    if not parts.hostname:
        raise WebhookError("url: has no host")
    if parts.username is not None or parts.password is not None:
        raise WebhookError("url: must not hold a user name or password (authenticate with the signature)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def check_literal(url: str, policy: AddressPolicy) -> None:
    """At save time: a URL whose host is an address literal the policy refuses is refused at once (a host name is
    checked at every delivery, when it is resolved)."""
    _scheme, host, _port, _path = check_url(url)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not policy.allows(host, address):
        raise AddressRefused(f"url: {host} is not a public address (the installation delivers webhooks to public "
                           "addresses only; see the webhooks_addresses and webhooks_allow settings)")


Resolver = Callable[[str, int], Sequence[str]]


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vetted_address(host: str, port: int, policy: AddressPolicy, resolve: Resolver = _resolve) -> str:
    """The address to connect to for ``host``: every address it resolves to must be allowed (a name that resolves
    to a public and a private address is refused), the first is used."""
    try:
        literal = ipaddress.ip_address(host)
        found = [str(literal)]
    except ValueError:
        try:
            found = list(resolve(host, port))
        except OSError as exc:
            raise WebhookError(f"cannot resolve {host}: {exc}") from exc
    if not found:
        raise WebhookError(f"cannot resolve {host}: no address")
    for text in found:
        if not policy.allows(host, ipaddress.ip_address(text.split("%")[0])):
            raise AddressRefused(f"{host} resolves to {text}, which is not a public address (allowed: public "
                               "addresses and the webhooks_allow setting)")
    return found[0]


# ---- one POST ------------------------------------------------------------------------------------------------


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to ``host`` (its Host header) made to the vetted ``address``."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to ``host`` (Host header, SNI, certificate check) made to the vetted ``address``."""

    def __init__(self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._ssl = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._ssl.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: the HTTP status (None when no answer) and the error, if it was not a 2xx;
    ``refused`` when the URL itself was refused (trying again cannot help)."""

    status_code: int | None
    error: str | None
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.error is None


def post(url: str, body: bytes, headers: dict[str, str], *, policy: AddressPolicy, timeout: float,
         resolve: Resolver = _resolve, context: ssl.SSLContext | None = None) -> Attempt:
    """POST ``body`` (JSON) to ``url``: delivered on a 2xx answer; any other answer, a refused URL, a timeout or a
    connection error is an ``Attempt`` with its error (never raised). Redirects are not followed."""
    try:
        scheme, host, port, path = check_url(url)
    except WebhookError as exc:
        return Attempt(None, str(exc), refused=True)
    try:
        address = vetted_address(host, port, policy, resolve)
    except WebhookError as exc:  # refused by the policy, or not resolved (perhaps for now: retried)
        return Attempt(None, str(exc), refused=isinstance(exc, AddressRefused))
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = _PinnedHTTPS(host, address, port, timeout, context or ssl.create_default_context())
    else:
        conn = _PinnedHTTP(host, address, port, timeout)
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        conn.request("POST", path, body=body, headers=all_headers)
        response = conn.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        what = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        return Attempt(None, f"no answer from {host}:{port} ({what})"[:500])
    finally:
        conn.close()
    if 200 <= status < 300:
        return Attempt(status, None)
    return Attempt(status, f"the receiver answered HTTP {status}")
