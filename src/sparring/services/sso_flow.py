"""The two legs of a single sign-on (docs/sso.md): ``begin`` sends the browser to the organisation's identity provider
and remembers the sign-in (a row of ``sso_pending``: the SHA-256 of the OIDC state or SAML request id, the nonce, the
PKCE verifier, where to go afterwards); ``finish_oidc`` / ``finish_saml`` take the provider's answer, use up the
pending row (a second answer for the same sign-in finds nothing: replay), verify the answer
(``sparring.integrations.oidc`` / ``saml``) and sign the person in (``services.sso_login``).

Pending sign-ins live ``PENDING_SECONDS``; older ones are deleted whenever a sign-in begins. Network calls to the
provider run outside any database transaction. Blocking: web routes call these from a worker thread.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete

from sparring.integrations import oidc

if TYPE_CHECKING:
    from sparring.integrations import saml
from sparring.services.errors import NotFound, ServiceError
from sparring.services.sso_login import Answer, SsoRefused, sign_in
from sparring.store.db import Database
from sparring.store.models import User
from sparring.store.sealing import OIDC_CLIENT_SECRET, UnsealError, unseal_optional
from sparring.store.sso_models import SsoPendingRow, SsoProviderRow

log = logging.getLogger(__name__)
#: how long the provider may take to answer (a person typing a password and a second factor there)
PENDING_SECONDS = 15 * 60


class SsoFailed(ServiceError):
    """The sign-in did not work; the message says why (shown on the login page)."""


@dataclass(frozen=True)
class SignedIn:
    user: User
    next_url: str
    provider: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def oidc_redirect_uri(base_url: str, provider_id: int) -> str:
    return f"{base_url.rstrip('/')}/sso/oidc/{provider_id}/callback"


def saml_acs_url(base_url: str, provider_id: int) -> str:
    return f"{base_url.rstrip('/')}/sso/saml/{provider_id}/acs"


def saml_metadata_url(base_url: str, provider_id: int) -> str:
    return f"{base_url.rstrip('/')}/sso/saml/{provider_id}/metadata"


def saml_sp_entity_id(provider: SsoProviderRow, base_url: str) -> str:
    return provider.saml_sp_entity_id or saml_metadata_url(base_url, provider.id)


def require_provider(db: Database, provider_id: int) -> None:
    """NotFound unless ``provider_id`` is an enabled identity provider (the callback checks this first, so an
    unknown id is a 404 whatever else is wrong with the request)."""
    _provider(db, provider_id)


def _provider(db: Database, provider_id: int) -> SsoProviderRow:
    with db.read() as s:
        row = s.get(SsoProviderRow, provider_id)
        if row is None or not row.enabled:
            raise NotFound(f"no enabled identity provider {provider_id}")
        s.expunge(row)
    return row


def _client_secret(provider: SsoProviderRow) -> str:
    """The client secret; ``SsoFailed`` (the cause logged for the operator, never the secret) when it does not open
    with this installation's keys."""
    try:
        return unseal_optional(provider.oidc_client_secret, OIDC_CLIENT_SECRET, provider.id) or ""
    except UnsealError as exc:
        log.error("single sign-on with provider %s cannot start: %s; or type the client secret again on "
                  "Admin → Integrations → Single sign-on", provider.id, exc)
        raise SsoFailed(f"{provider.display_name}: its client secret cannot be read on this server (the "
                        "installation key changed); ask your administrator to type it again on the single "
                        "sign-on page") from None


def oidc_config(provider: SsoProviderRow, base_url: str) -> oidc.ProviderConfig:
    return oidc.ProviderConfig(issuer=provider.oidc_issuer or "", client_id=provider.oidc_client_id or "",
                               client_secret=_client_secret(provider), scopes=provider.oidc_scopes,
                               redirect_uri=oidc_redirect_uri(base_url, provider.id))


def _remember(db: Database, provider_id: int, key: str, next_url: str, now: float, nonce: str = "",
              verifier: str = "") -> None:
    with db.session() as s:
        s.execute(delete(SsoPendingRow).where(SsoPendingRow.created_at < now - PENDING_SECONDS))
        s.add(SsoPendingRow(key=_digest(key), provider_id=provider_id, nonce=nonce, verifier=verifier,
                            next_url=next_url[:1000], created_at=now))


def _use_up(db: Database, provider_id: int, key: str, now: float) -> SsoPendingRow:
    """The pending sign-in ``key`` stands for, deleted in the same transaction (so it works once)."""
    with db.session() as s:
        row = s.get(SsoPendingRow, _digest(key)) if key else None
        if row is None or row.provider_id != provider_id:
            raise SsoFailed("this sign-in is unknown, was already used or belongs to another provider; start again")
        s.delete(row)
        s.flush()
        s.expunge(row)
    if now - row.created_at > PENDING_SECONDS:
        raise SsoFailed("this sign-in took too long; start again")
    return row


@dataclass(frozen=True)
class Begun:
    """Where to send the browser, and the value that must come back with the answer (the OIDC state or the SAML
    request id; the web layer binds it to the browser with a cookie)."""

    url: str
    token: str
    kind: str


def begin(db: Database, provider_id: int, base_url: str, next_url: str,
          clock: Callable[[], float] = time.time) -> Begun:
    """Where to send the browser to sign in with ``provider_id``."""
    provider = _provider(db, provider_id)
    if provider.kind == "oidc":
        try:
            started = oidc.authorize_url(oidc_config(provider, base_url))
        except oidc.OidcError as exc:
            raise SsoFailed(f"{provider.display_name}: {exc}") from exc
        _remember(db, provider.id, started.state, next_url, clock(), started.nonce, started.verifier)
        return Begun(started.url, started.state, "oidc")
    from sparring.integrations import saml

    try:
        request_id, url = saml.authn_request(saml_settings(provider, base_url))
    except saml.SamlError as exc:
        raise SsoFailed(f"{provider.display_name}: {exc}") from exc
    _remember(db, provider.id, request_id, next_url, clock())
    return Begun(url, request_id, "saml")


def _signed_in(db: Database, provider_id: int, answer: Answer, next_url: str) -> SignedIn:
    with db.session() as s:
        provider = s.get(SsoProviderRow, provider_id)
        if provider is None:
            raise SsoFailed("the identity provider was deleted meanwhile")
        try:
            user = sign_in(s, provider, answer)
        except SsoRefused as exc:
            raise SsoFailed(str(exc)) from exc
        s.flush()
        name = provider.display_name
        s.expunge(user)
    return SignedIn(user=user, next_url=next_url, provider=name)


def finish_oidc(db: Database, provider_id: int, base_url: str, state: str, code: str, error: str = "",
                clock: Callable[[], float] = time.time) -> SignedIn:
    """The provider's answer at the redirect URI: the pending sign-in ``state`` names, the code exchanged and the ID
    token verified, the person signed in."""
    pending = _use_up(db, provider_id, state, clock())
    if error:
        raise SsoFailed(f"the identity provider refused the sign-in ({error[:80]})")
    if not code:
        raise SsoFailed("the identity provider's answer has no code")
    provider = _provider(db, provider_id)
    try:
        claims = oidc.finish(oidc_config(provider, base_url), code, pending.nonce, pending.verifier)
    except oidc.OidcError as exc:
        raise SsoFailed(f"{provider.display_name}: {exc}") from exc
    verified = claims.get("email_verified") is True or str(claims.get("email_verified")).lower() == "true"
    answer = Answer(subject=claims["sub"], attributes=claims, email_verified=verified or provider.trust_email)
    return _signed_in(db, provider_id, answer, pending.next_url)


def saml_settings(provider: SsoProviderRow, base_url: str) -> saml.SpSettings:
    from sparring.integrations import saml

    return saml.SpSettings(sp_entity_id=saml_sp_entity_id(provider, base_url),
                           acs_url=saml_acs_url(base_url, provider.id), idp_metadata=provider.saml_idp_metadata,
                           idp_entity_id=provider.saml_idp_entity_id, idp_sso_url=provider.saml_sso_url,
                           idp_cert=provider.saml_idp_cert)


def saml_metadata(db: Database, provider_id: int, base_url: str) -> str:
    """Our SP metadata for one SAML provider (to give to the IdP)."""
    from sparring.integrations import saml

    provider = _provider(db, provider_id)
    if provider.kind != "saml":
        raise NotFound(f"identity provider {provider_id} is not a SAML provider")
    try:
        return saml.sp_metadata(saml_settings(provider, base_url))
    except saml.SamlError as exc:
        raise SsoFailed(f"{provider.display_name}: {exc}") from exc


def finish_saml(db: Database, provider_id: int, base_url: str, saml_response: str,
                clock: Callable[[], float] = time.time) -> SignedIn:
    """The IdP's POST to the ACS: its InResponseTo used up as the pending sign-in (a replayed response finds
    nothing), the response verified (signature, audience, recipient, NotOnOrAfter, InResponseTo), the person signed
    in."""
    from sparring.integrations import saml

    provider = _provider(db, provider_id)
    if provider.kind != "saml":
        raise NotFound(f"identity provider {provider_id} is not a SAML provider")
    settings = saml_settings(provider, base_url)
    try:
        request_id = saml.in_response_to(saml_response)
        pending = _use_up(db, provider_id, request_id, clock())
        found = saml.parse_response(settings, saml_response, request_id)
    except saml.SamlError as exc:
        raise SsoFailed(f"{provider.display_name}: {exc}") from exc
    answer = Answer(subject=found.subject, attributes=found.attributes, email_verified=True)
    return _signed_in(db, provider_id, answer, pending.next_url)
