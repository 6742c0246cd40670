"""LTI 1.3 messages and their signatures (docs/lti.md; IMS LTI Core 1.3, Deep Linking 2.0; docs/decisions.md,
"LTI 1.3 on joserfc"). The protocol only: keys, the id_token checks, the tool's own signed messages (deep-linking
response, OAuth2 client assertion). The HTTP calls to the platform are ``sparring.integrations.lti_http``; the use
cases (registrations, launches, passback, roster) are ``sparring.services.lti_*``.

Every refusal is an :class:`LtiError` whose text names what failed (the claim, the key, the value expected), so the
launch page can tell an administrator what to fix.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import extract_compact

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)
LTI_VERSION = "1.3.0"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

#: clock skew allowed between the platform and Sparring (seconds)
LEEWAY = 60
#: an id_token issued longer ago than this is refused even if its ``exp`` is later (seconds)
MAX_AGE = 3600
ALGORITHMS = ["RS256"]

_ROLE_BASES = ("http://purl.imsglobal.org/vocab/lis/v2/membership#", "http://purl.imsglobal.org/vocab/lis/v2/institution/person#",
               "http://purl.imsglobal.org/vocab/lis/v2/system/person#")


class LtiError(Exception):
    """A message or key Sparring refuses; the text names what failed."""


# ---- keys ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolKey:
    """One of the tool's RSA key pairs: ``kid``, the private key as PEM (never shown), the public JWK."""

    kid: str
    private_pem: str
    public_jwk: dict[str, Any]


def generate_key() -> ToolKey:
    """A new 2048-bit RSA key pair for signing (RS256) with a random ``kid``."""
    kid = "sparring-" + secrets.token_hex(8)
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    public = dict(key.as_dict(private=False))
    pem = key.as_pem(private=True)
    return ToolKey(kid, pem.decode() if isinstance(pem, bytes) else str(pem), public)


def _private(key: ToolKey) -> RSAKey:
    return RSAKey.import_key(key.private_pem, parameters={"kid": key.kid, "alg": "RS256", "use": "sig"})


def sign(key: ToolKey, claims: dict[str, Any]) -> str:
    """``claims`` as a compact JWT signed RS256 with ``key`` (its ``kid`` in the header)."""
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, _private(key))


# ---- reading a platform's id_token -----------------------------------------------------------------------------


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a JWT before its signature is checked (to find the registration); LtiError if it is
    not a JWT."""
    if not isinstance(token, str) or not token.strip():
        raise LtiError("id_token: missing (the platform must POST it to the launch URL)")
    try:
        obj = extract_compact(token.strip().encode())
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeDecodeError) as exc:
        raise LtiError(f"id_token: not a signed JWT ({type(exc).__name__})") from exc
    if not isinstance(claims, dict):
        raise LtiError("id_token: its payload is not a JSON object")
    return dict(obj.headers()), claims


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    raise LtiError("id_token: aud is missing or not a string or list of strings")


def verify_id_token(token: str, platform_jwks: dict[str, Any], *, issuer: str, client_id: str,
                    now: float | None = None) -> dict[str, Any]:
    """Check an id_token from the platform and return its claims: signature (RS256, the header's ``kid`` in the
    platform's JWKS), ``iss``, ``aud`` (contains the client id), ``azp`` (the client id when several audiences or
    when present), ``exp``, ``iat``, ``sub`` (unless the launch is anonymous), the LTI version and message type.
    The nonce and the deployment id are checked by the caller, against what it stored."""
    header, _ = peek(token)
    if header.get("alg") not in ALGORITHMS:
        raise LtiError(f"id_token: signed with {header.get('alg')!r}; only RS256 is accepted")
    kid = header.get("kid")
    try:
        keys = KeySet.import_key_set(platform_jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise LtiError(f"platform JWKS: cannot read its keys ({type(exc).__name__}: {exc})") from exc
    if kid is not None and not any(k.kid == kid for k in keys.keys):
        raise LtiError(f"id_token: its key {str(kid)[:80]!r} is not in the platform's JWKS")
    try:
        decoded = jwt.decode(token.strip(), keys, algorithms=ALGORITHMS)
    except JoseError as exc:
        raise LtiError(f"id_token: bad signature ({type(exc).__name__}: {exc})") from exc
    claims = dict(decoded.claims)
    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise LtiError(f"id_token: iss is {str(claims.get('iss'))[:200]!r}, expected {issuer!r}")
    audiences = _audiences(claims)
    if client_id not in audiences:
        raise LtiError(f"id_token: aud {audiences!r} does not name this tool's client id {client_id!r}")
    azp = claims.get("azp")
    if azp is None and len(audiences) > 1:
        raise LtiError(f"id_token: azp is missing (required with several audiences; expected {client_id!r})")
    if azp is not None and azp != client_id:
        raise LtiError(f"id_token: azp is {str(azp)[:200]!r}, expected the client id {client_id!r}")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise LtiError("id_token: exp is missing")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise LtiError("id_token: iat is missing")
    if exp + LEEWAY < now:
        raise LtiError(f"id_token: expired {int(now - exp)} seconds ago")
    if iat - LEEWAY > now:
        raise LtiError("id_token: iat is in the future (check the platform's clock)")
    if now - iat > MAX_AGE:
        raise LtiError(f"id_token: issued {int(now - iat)} seconds ago (at most {MAX_AGE})")
    if claims.get(VERSION) != LTI_VERSION:
        raise LtiError(f"id_token: {VERSION} is {str(claims.get(VERSION))[:40]!r}, expected {LTI_VERSION!r}")
    if claims.get(MESSAGE_TYPE) not in MESSAGE_TYPES:
        raise LtiError(f"id_token: {MESSAGE_TYPE} is {str(claims.get(MESSAGE_TYPE))[:60]!r}; this tool takes "
                       f"{' and '.join(MESSAGE_TYPES)}")
    if not isinstance(claims.get("nonce"), str):
        raise LtiError("id_token: nonce is missing")
    if not isinstance(claims.get(DEPLOYMENT_ID), str):
        raise LtiError(f"id_token: {DEPLOYMENT_ID} is missing")
    if claims.get(MESSAGE_TYPE) == RESOURCE_LINK_REQUEST:
        link = claims.get(RESOURCE_LINK)
        if not isinstance(link, dict) or not isinstance(link.get("id"), str):
            raise LtiError(f"id_token: {RESOURCE_LINK} with an id is missing")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise LtiError("id_token: sub is missing (anonymous launches are not supported)")
    return claims


def role_of(roles: Sequence[str]) -> str:
    """Sparring's role for a platform person: ``manager`` for Instructor or Administrator (context, institution or
    system role), otherwise ``learner``."""
    short = set()
    for r in roles or ():
        if not isinstance(r, str):
            continue
        name = r
        for base in _ROLE_BASES:
            if r.startswith(base):
                name = r[len(base):]
        short.add(name.split("#")[-1])
    return "manager" if short & {"Instructor", "Administrator"} else "learner"


# ---- the tool's own messages -----------------------------------------------------------------------------------


def client_assertion(key: ToolKey, client_id: str, token_url: str, now: float | None = None) -> str:
    """The RFC 7523 JWT the tool authenticates with at the platform's token endpoint (iss = sub = client id,
    aud = the token URL, five minutes, a unique jti)."""
    now = int(time.time() if now is None else now)
    return sign(key, {"iss": client_id, "sub": client_id, "aud": token_url, "iat": now, "exp": now + 300,
                      "jti": uuid.uuid4().hex})


@dataclass(frozen=True)
class ContentItem:
    """One ``ltiResourceLink`` returned to the platform by deep linking."""

    title: str
    url: str
    custom: dict[str, str]
    score_maximum: float | None = 100.0
    text: str = ""

    def as_claim(self) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "ltiResourceLink", "title": self.title, "url": self.url,
                                "custom": dict(self.custom)}
        if self.text:
            item["text"] = self.text
        if self.score_maximum is not None:
            item["lineItem"] = {"scoreMaximum": self.score_maximum, "label": self.title}
        return item


def deep_linking_response(key: ToolKey, *, client_id: str, platform_issuer: str, deployment_id: str,
                          data: str | None, items: Sequence[ContentItem], now: float | None = None) -> str:
    """The signed ``LtiDeepLinkingResponse`` JWT: issued by the tool (its client id) to the platform (its issuer),
    echoing the request's ``data``."""
    now = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": client_id, "aud": platform_issuer, "iat": now, "exp": now + 600, "nonce": secrets.token_urlsafe(16),
        MESSAGE_TYPE: DEEP_LINKING_RESPONSE, VERSION: LTI_VERSION, DEPLOYMENT_ID: deployment_id,
        DL_CONTENT_ITEMS: [i.as_claim() for i in items],
    }
    if data is not None:
        claims[DL_DATA] = data
    return sign(key, claims)
