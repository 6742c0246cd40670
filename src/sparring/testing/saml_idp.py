"""A SAML 2.0 identity provider double for tests (docs/testing.md; docs/sso.md), built on pysaml2's own IdP
(``saml2.server.Server``) with a signing key and certificate generated when it is made (nothing is committed).

It does not listen: the browser leg is played by the test. ``answer(redirect_url)`` reads the AuthnRequest from the
URL Sparring sent the browser to (HTTP-Redirect binding) and returns the ACS URL and the base64 ``SAMLResponse`` the
IdP would POST there, signed (response and assertion), for the configured ``user`` (``name_id`` and attributes such
as ``email``, ``name``, ``groups``). Knobs: ``tamper`` (change the signed e-mail after signing), ``audience`` (sign
for another SP entity id), ``other_key`` (sign with a key the metadata does not name), ``expired`` (NotOnOrAfter ten
minutes ago). Needs the ``[sso]`` extra and
xmlsec1::

    idp = FakeSamlIdp(tmp_path, sp_metadata_xml)
    idp.user = {"name_id": "u-1", "email": ["ada@acme.test"], "groups": ["admins"]}
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ENTITY_ID = "https://idp.example.test/saml"
SSO_URL = "https://idp.example.test/saml/sso"


def make_key_and_cert(folder: Path, name: str) -> tuple[Path, Path]:
    """A fresh RSA key and a self-signed certificate for it, as PEM files in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class FakeSamlIdp:
    def __init__(self, folder: Path, sp_metadata: str = "") -> None:
        """``sp_metadata``: the SP's metadata XML (may be set later, before the first ``answer``)."""
        from saml2.sigver import get_xmlsec_binary

        self.folder = folder
        self.key_file, self.cert_file = make_key_and_cert(folder, "idp")
        self.other_key_file, self.other_cert_file = make_key_and_cert(folder, "other")
        self.user: dict[str, Any] = {"name_id": "user-1", "email": ["user@example.test"], "name": ["Test User"],
                                     "groups": []}
        self.tamper = False
        self.audience: str | None = None
        self.other_key = False
        self.expired = False
        self._xmlsec = get_xmlsec_binary()
        self.sp_metadata = sp_metadata

    @property
    def certificate(self) -> str:
        return self.cert_file.read_text()

    def _server(self, key_file: Path, cert_file: Path) -> Any:
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.server import Server

        policy = {"lifetime": {"minutes": -10 if self.expired else 5}, "attribute_restrictions": None,
                  "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}
        cfg = IdPConfig()
        cfg.load({
            "entityid": ENTITY_ID, "xmlsec_binary": self._xmlsec, "key_file": str(key_file),
            "cert_file": str(cert_file), "metadata": {"inline": self._sp_documents()},
            "service": {"idp": {"endpoints": {"single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)]},
                                "policy": {"default": policy},
                                "name_id_format": ["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"]}},
        })
        return Server(config=cfg)

    def _sp_documents(self) -> list[str]:
        """The SP's metadata, and a copy under the ``audience`` entity id (so the IdP will sign for it)."""
        docs = [self.sp_metadata]
        if self.audience:
            docs.append(re.sub(r'entityID="[^"]*"', f'entityID="{self.audience}"', self.sp_metadata, count=1))
        return docs

    def metadata(self) -> str:
        from saml2.metadata import entity_descriptor

        return str(entity_descriptor(self._server(self.key_file, self.cert_file).config))

    def answer(self, redirect_url: str) -> tuple[str, str]:
        """(ACS URL, base64 SAMLResponse) for the AuthnRequest carried by ``redirect_url``."""
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

        query = parse_qs(urlsplit(redirect_url).query)
        server = self._server(*((self.other_key_file, self.other_cert_file) if self.other_key
                                else (self.key_file, self.cert_file)))
        request = server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT).message
        sp_entity = request.issuer.text
        identity = {k: v for k, v in self.user.items() if k != "name_id"}
        xml = str(server.create_authn_response(
            identity, in_response_to=request.id, destination=request.assertion_consumer_service_url,
            sp_entity_id=self.audience or sp_entity,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.user["name_id"]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_response=True, sign_assertion=True))
        if self.tamper:
            email = self.user["email"][0]
            xml = xml.replace(email, "mallory@" + email.rpartition("@")[2])
        return request.assertion_consumer_service_url, base64.b64encode(xml.encode()).decode()
