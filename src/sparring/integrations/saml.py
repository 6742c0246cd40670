"""SAML 2.0 service provider (docs/sso.md, "SAML"), on pysaml2: the SP's metadata, the AuthnRequest sent with the
HTTP-Redirect binding, and the response POSTed to the assertion consumer service (ACS) verified by pysaml2 against
the IdP's signing certificate — the signature of the response or its assertion, the audience (our SP entity id), the
recipient and destination (our ACS URL), NotBefore/NotOnOrAfter, and InResponseTo (one of our outstanding requests).

Nothing here touches the database: ``sparring.services.sso_flow`` keeps the outstanding request ids. The IdP is
known from its metadata XML, or from its entity id, SSO URL and signing certificate (from which a minimal metadata
document is written). AuthnRequests are not signed (the SP holds no key). pysaml2 needs Debian's ``xmlsec1``; both
are the optional ``[sso]`` extra: without them every function raises ``SamlUnavailable``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

#: accepted clock difference with the IdP, seconds
LEEWAY = 60
MAX_RESPONSE_BYTES = 512 * 1024


class SamlError(Exception):
    """The IdP's answer cannot be trusted or used; the message names what is wrong."""


class SamlUnavailable(SamlError):
    """pysaml2 or xmlsec1 is missing."""


@dataclass(frozen=True)
class SpSettings:
    sp_entity_id: str
    acs_url: str
    idp_metadata: str | None = None
    idp_entity_id: str | None = None
    idp_sso_url: str | None = None
    idp_cert: str | None = None


@dataclass(frozen=True)
class Assertion:
    subject: str
    attributes: dict[str, Any]


REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def _xmlsec() -> str:
    try:
        from saml2.sigver import get_xmlsec_binary
    except ImportError as exc:
        raise SamlUnavailable("SAML sign-in needs the [sso] extra: pip install 'sparring[sso]'") from exc
    try:
        return str(get_xmlsec_binary())
    except Exception as exc:  # pysaml2 raises SigverError when the binary is not on the PATH
        raise SamlUnavailable("SAML sign-in needs xmlsec1 (Debian: apt-get install xmlsec1)") from exc


def cert_body(pem: str) -> str:
    """The base64 body of a PEM (or bare base64) certificate, without headers or whitespace."""
    body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----", "", pem)
    body = re.sub(r"\s+", "", body)
    try:
        base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlError("idp certificate: not base64") from exc
    return body


def idp_metadata(settings: SpSettings) -> str:
    """The IdP's metadata: as given, or written from its entity id, SSO URL and signing certificate."""
    if settings.idp_metadata:
        return settings.idp_metadata
    if not (settings.idp_entity_id and settings.idp_sso_url and settings.idp_cert):
        raise SamlError("idp: give its metadata XML, or its entity id, SSO URL and signing certificate")
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID={quoteattr(settings.idp_entity_id)}>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{escape(cert_body(settings.idp_cert))}"
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f"<md:SingleSignOnService Binding={quoteattr(REDIRECT)} Location={quoteattr(settings.idp_sso_url)}/>"
        "<md:SingleSignOnService Binding=" + quoteattr(POST) + f" Location={quoteattr(settings.idp_sso_url)}/>"
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def sp_config(settings: SpSettings, *, with_idp: bool = True) -> dict[str, Any]:
    """The pysaml2 configuration of our SP for one provider."""
    config: dict[str, Any] = {
        "entityid": settings.sp_entity_id,
        "xmlsec_binary": _xmlsec(),
        "allow_unknown_attributes": True,
        "accepted_time_diff": LEEWAY,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(settings.acs_url, POST)]},
            "allow_unsolicited": False,
            "authn_requests_signed": False,
            "want_response_signed": False,
            "want_assertions_signed": False,
            "want_assertions_or_response_signed": True,
            "name_id_format_allow_create": True,
        }},
    }
    if with_idp:
        config["metadata"] = {"inline": [idp_metadata(settings)]}
    return config


def _client(settings: SpSettings) -> Any:
    config = sp_config(settings)  # first: it says clearly when pysaml2 or xmlsec1 is missing
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

    cfg = SPConfig()
    try:
        cfg.load(config)
    except SamlError:
        raise
    except Exception as exc:  # pysaml2 raises many kinds on bad metadata
        raise SamlError(f"idp metadata: cannot be read ({type(exc).__name__})") from exc
    return Saml2Client(config=cfg)


def sp_metadata(settings: SpSettings) -> str:
    """Our SP's metadata XML (entity id, ACS URL with the HTTP-POST binding)."""
    config = sp_config(settings, with_idp=False)
    from saml2.config import SPConfig
    from saml2.metadata import entity_descriptor

    cfg = SPConfig()
    cfg.load(config)
    return str(entity_descriptor(cfg))


def authn_request(settings: SpSettings) -> tuple[str, str]:
    """A new AuthnRequest: (its id, the IdP URL to send the browser to, HTTP-Redirect binding)."""
    client = _client(settings)
    idps = list(client.metadata.identity_providers())
    if not idps:
        raise SamlError("idp metadata: no identity provider in it")
    entity = settings.idp_entity_id if settings.idp_entity_id in idps else idps[0]
    try:
        request_id, info = client.prepare_for_authenticate(entityid=entity, binding=REDIRECT, relay_state="")
    except Exception as exc:
        raise SamlError(f"authn request: cannot be made ({type(exc).__name__}: {str(exc)[:120]})") from exc
    location = dict(info["headers"]).get("Location")
    if not location:
        raise SamlError("authn request: the IdP has no HTTP-Redirect sign-on URL")
    return str(request_id), str(location)


def _decoded(saml_response: str) -> bytes:
    if not saml_response or len(saml_response) > MAX_RESPONSE_BYTES:
        raise SamlError("response: missing or too large")
    try:
        return base64.b64decode(saml_response, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise SamlError("response: not base64") from exc


def in_response_to(saml_response: str) -> str:
    """The InResponseTo of a response (read without trusting it: only to find our outstanding request)."""
    _xmlsec()
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(_decoded(saml_response))
    except Exception as exc:
        raise SamlError("response: not XML") from exc
    value = root.get("InResponseTo") or ""
    if not value:
        raise SamlError("response: unsolicited (no InResponseTo); start the sign-in at Sparring")
    return value[:200]


def parse_response(settings: SpSettings, saml_response: str, request_id: str) -> Assertion:
    """The verified response's subject and attributes, or SamlError naming the failed check."""
    client = _client(settings)
    try:
        response = client.parse_authn_request_response(saml_response, POST,
                                                       outstanding={request_id: "/"})
    except Exception as exc:  # pysaml2 signals each failed check with its own exception class
        raise SamlError(f"response refused: {type(exc).__name__}: {str(exc)[:160]}") from exc
    if response is None:
        raise SamlError("response refused: no valid assertion")
    subject = response.get_subject()
    name = getattr(subject, "text", None) or ""
    if not name.strip():
        raise SamlError("response: no NameID subject")
    attributes = dict(response.ava or {})  # name → list of values
    return Assertion(subject=name.strip()[:255], attributes=attributes)
