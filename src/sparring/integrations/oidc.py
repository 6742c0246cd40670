"""OpenID Connect relying party (docs/sso.md, "OIDC"): the authorization code flow with PKCE (S256), ``state`` and
``nonce``, and the ID token verified against the provider's JWKS — signature, ``iss``, ``aud``, ``exp``, ``iat``
and ``nonce`` — with authlib (its ID-token claim rules, PKCE helpers and the joserfc JOSE library it ships on).

Nothing here touches the database: ``sparring.services.sso_flow`` keeps the pending sign-in and calls
``authorize_url`` and ``finish``. Discovery documents and key sets are cached per issuer for ``CACHE_SECONDS``; a
token signed with a key the cache does not know makes one fresh fetch of the key set (a provider rotated its keys).
authlib is the optional ``[sso]`` extra: without it every function raises ``SsoUnavailable``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

#: how long a discovery document and a key set are kept
CACHE_SECONDS = 600.0
#: accepted clock difference with the provider, seconds
LEEWAY = 60
#: signature algorithms accepted for ID tokens (never "none", never an HMAC with a guessable key)
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class OidcError(Exception):
    """The provider's answer cannot be trusted or used; the message names what is wrong."""


class SsoUnavailable(OidcError):
    """The ``[sso]`` extra is not installed."""


def _authlib() -> Any:
    try:
        import authlib  # noqa: F401
        import joserfc  # noqa: F401
    except ImportError as exc:
        raise SsoUnavailable("single sign-on needs the [sso] extra: pip install 'sparring[sso]'") from exc
    return True


@dataclass(frozen=True)
class ProviderConfig:
    """What the relying party needs of one provider."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    redirect_uri: str
    timeout: float = 10.0


@dataclass(frozen=True)
class Started:
    """An authorization request: where to send the browser, and what to keep until the answer comes."""

    url: str
    state: str
    nonce: str
    verifier: str


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def _get_json(url: str, timeout: float, what: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False, headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OidcError(f"{what}: cannot reach {url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise OidcError(f"{what}: {url} answered HTTP {response.status_code}")
    try:
        doc = response.json()
    except ValueError as exc:
        raise OidcError(f"{what}: {url} did not answer with JSON") from exc
    if not isinstance(doc, dict):
        raise OidcError(f"{what}: {url} did not answer with a JSON object")
    return doc


def _cached(url: str, timeout: float, what: str, fresh: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(url)
    if hit is not None and not fresh and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    doc = _get_json(url, timeout, what)
    with _lock:
        _cache[url] = (now, doc)
    return doc


def forget_cache() -> None:
    """Drop every cached discovery document and key set (tests; an admin saving a provider)."""
    with _lock:
        _cache.clear()


def discovery_url(issuer: str) -> str:
    """The discovery document's address: the issuer's ``/.well-known/openid-configuration`` (an issuer given as
    the full discovery URL is accepted too)."""
    issuer = issuer.strip()
    if issuer.endswith("/.well-known/openid-configuration"):
        return issuer
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def discover(config: ProviderConfig) -> dict[str, Any]:
    """The provider's discovery document, checked: it must name the configured issuer and the endpoints."""
    doc = _cached(discovery_url(config.issuer), config.timeout, "discovery")
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise OidcError(f"discovery: the document has no {key}")
    expected = config.issuer.removesuffix("/.well-known/openid-configuration").rstrip("/")
    if doc["issuer"].rstrip("/") != expected:
        raise OidcError(f"discovery: the document's issuer {doc['issuer']!r} is not the configured {expected!r}")
    return doc


def authorize_url(config: ProviderConfig) -> Started:
    """A new authorization request (code flow, PKCE S256, fresh state and nonce)."""
    _authlib()
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    doc = discover(config)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    query = {"response_type": "code", "client_id": config.client_id, "redirect_uri": config.redirect_uri,
             "scope": config.scopes, "state": state, "nonce": nonce,
             "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    endpoint = doc["authorization_endpoint"]
    return Started(url=f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}", state=state, nonce=nonce,
                   verifier=verifier)


def _token(config: ProviderConfig, doc: dict[str, Any], code: str, verifier: str) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": config.redirect_uri,
            "code_verifier": verifier, "client_id": config.client_id}
    try:
        response = httpx.post(doc["token_endpoint"], data=form, auth=(config.client_id, config.client_secret),
                              timeout=config.timeout, follow_redirects=False, headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OidcError(f"token: cannot reach the token endpoint: {type(exc).__name__}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200:
        error = body.get("error") if isinstance(body, dict) else None
        raise OidcError(f"token: the provider refused the code (HTTP {response.status_code}"
                        f"{', ' + str(error)[:80] if error else ''})")
    if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        raise OidcError("token: the answer has no id_token")
    return body


def verify_id_token(config: ProviderConfig, doc: dict[str, Any], id_token: str, nonce: str,
                    now: float | None = None) -> dict[str, Any]:
    """The ID token's claims, after checking its signature against the provider's key set and its ``iss``,
    ``aud`` (and ``azp``), ``exp``, ``iat`` and ``nonce``."""
    _authlib()
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt
    from joserfc.errors import BadSignatureError, JoseError
    from joserfc.jwk import KeySet

    def keys(fresh: bool) -> Any:
        try:
            found: Any = _cached(doc["jwks_uri"], config.timeout, "jwks", fresh=fresh)
            return KeySet.import_key_set(found)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcError(f"jwks: the provider's key set cannot be read ({type(exc).__name__})") from exc

    try:
        try:
            token = jwt.decode(id_token, keys(False), algorithms=ALGORITHMS)
        except (BadSignatureError, ValueError):
            token = jwt.decode(id_token, keys(True), algorithms=ALGORITHMS)  # keys rotated since the cache
    except BadSignatureError as exc:
        raise OidcError("id_token: the signature does not verify against the provider's keys") from exc
    except (JoseError, ValueError) as exc:
        raise OidcError(f"id_token: cannot be read ({type(exc).__name__}: {str(exc)[:120]})") from exc
    claims = CodeIDToken(token.claims, token.header,
                         options={"iss": {"essential": True, "value": doc["issuer"]},
                                  "aud": {"essential": True, "value": config.client_id},
                                  "exp": {"essential": True}},
                         params={"nonce": nonce, "client_id": config.client_id})
    try:
        claims.validate(now=int(now if now is not None else time.time()), leeway=LEEWAY)
    except JoseError as exc:
        claim = getattr(exc, "claim", None) or getattr(exc, "description", None) or type(exc).__name__
        raise OidcError(f"id_token: {exc.error if hasattr(exc, 'error') else 'invalid'} ({claim})") from exc
    if not nonce or claims.get("nonce") != nonce:
        raise OidcError("id_token: the nonce is not the one this sign-in sent")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError("id_token: no subject (sub)")
    return dict(claims)


def finish(config: ProviderConfig, code: str, nonce: str, verifier: str) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the verified ID token's claims."""
    _authlib()
    doc = discover(config)
    body = _token(config, doc, code, verifier)
    return verify_id_token(config, doc, body["id_token"], nonce)
