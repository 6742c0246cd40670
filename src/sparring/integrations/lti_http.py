"""The tool's HTTP calls to an LTI 1.3 platform (docs/lti.md): its JWKS, an OAuth2 access token by a JWT client
assertion (RFC 7523, the LTI Security Framework), a score to an Assignment and Grade Services line item, and the
Names and Role Provisioning memberships (paged by ``Link: <…>; rel="next"``).

The URLs come from a registration an organisation's admin typed, so every call is checked against the
installation's outbound address policy first (the webhooks' ``webhooks_addresses`` / ``webhooks_allow``:
public addresses only unless allowed), and the connection is made to the address that was checked (the URL's host
stays in the Host header and, over HTTPS, in SNI and the certificate check), so a name that resolves to a public
address when checked and a private one a moment later (DNS rebinding) cannot turn the call inwards. Redirects are
not followed. Every failure is an :class:`LtiHttpError`
naming the URL's host, the status and the start of the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from sparring.integrations.lti import ToolKey, client_assertion
from sparring.integrations.webhooks import AddressPolicy, Resolver, WebhookError, check_url, vetted_address

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
USER_AGENT = "Sparring-LTI/1"
#: at most this many roster pages are read in one sync
MAX_PAGES = 200
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


class LtiHttpError(Exception):
    """A call to the platform failed (refused address, network error, non-2xx answer); the text says which."""


@dataclass(frozen=True)
class HttpConfig:
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    timeout: float = 10.0
    #: how host names are resolved (None: the system's resolver); a test double may answer differently each time
    resolve: Resolver | None = None


@dataclass(frozen=True)
class _Pinned:
    """A checked URL: ``url`` names the vetted address, ``host`` is the Host header, ``sni`` the TLS server name."""

    url: str
    host: str
    sni: str | None


def _check(url: str, config: HttpConfig) -> _Pinned:
    try:
        scheme, host, port, _path = check_url(url)
        address = (vetted_address(host, port, config.policy, config.resolve) if config.resolve is not None
                   else vetted_address(host, port, config.policy))
    except WebhookError as exc:
        raise LtiHttpError(f"{url[:200]}: {exc}") from exc
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return _Pinned(pinned, host_header, host if scheme == "https" else None)


def _request(method: str, url: str, config: HttpConfig, **kwargs: Any) -> httpx.Response:
    pinned = _check(url, config)
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {}), "Host": pinned.host}
    extensions = {"sni_hostname": pinned.sni} if pinned.sni else None
    try:
        with httpx.Client(timeout=config.timeout, follow_redirects=False) as client:
            response = client.request(method, pinned.url, headers=headers, extensions=extensions, **kwargs)
    except httpx.HTTPError as exc:
        raise LtiHttpError(f"{method} {urlsplit(url).netloc}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise LtiHttpError(f"{method} {url[:200]} answered HTTP {response.status_code}: {response.text[:300]!r}")
    return response


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise LtiHttpError(f"{what}: the answer is not JSON ({response.text[:120]!r})") from exc


def fetch_jwks(url: str, config: HttpConfig) -> dict[str, Any]:
    """The platform's public keys (a JWKS document)."""
    doc = _json(_request("GET", url, config, headers={"Accept": "application/json"}), "platform JWKS")
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise LtiHttpError(f"platform JWKS at {url[:200]}: not a JWKS document (no \"keys\" list)")
    return doc


def access_token(config: HttpConfig, key: ToolKey, *, client_id: str, token_url: str, scopes: list[str]) -> str:
    """An access token for ``scopes`` from the platform's token endpoint (client credentials with a signed
    client assertion)."""
    form = {"grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(key, client_id, token_url), "scope": " ".join(scopes)}
    doc = _json(_request("POST", token_url, config, data=form, headers={"Accept": "application/json"}),
                "token endpoint")
    token = doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise LtiHttpError(f"token endpoint {token_url[:200]}: no access_token in the answer")
    return token


def scores_url(lineitem_url: str) -> str:
    """The line item's ``/scores`` endpoint (before any query string, as the AGS spec says)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/scores", parts.query, ""))


def post_score(config: HttpConfig, token: str, lineitem_url: str, score: dict[str, Any]) -> int:
    """POST one score to the line item; the HTTP status."""
    response = _request("POST", scores_url(lineitem_url), config, json=score,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE})
    return response.status_code


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, if any."""
    for part in (header or "").split(","):
        found = _NEXT.search(part)
        if found:
            return found.group(1).strip()
    return None


def memberships(config: HttpConfig, token: str, url: str) -> Iterator[dict[str, Any]]:
    """Every member of a context's roster, page after page (``Link: rel="next"``)."""
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        pages += 1
        if pages > MAX_PAGES:
            raise LtiHttpError(f"memberships at {url[:200]}: more than {MAX_PAGES} pages")
        response = _request("GET", next_url, config,
                            headers={"Authorization": f"Bearer {token}", "Accept": MEMBERS_TYPE})
        doc = _json(response, "memberships")
        members = doc.get("members") if isinstance(doc, dict) else None
        if not isinstance(members, list):
            raise LtiHttpError(f"memberships at {next_url[:200]}: no \"members\" list in the answer")
        yield from (m for m in members if isinstance(m, dict))
        next_url = next_link(response.headers.get("link"))
