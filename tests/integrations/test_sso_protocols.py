"""The SSO protocol modules without the ``[sso]`` extra fail with a message naming it (the app turns it into a
login-page error, never a crash); the SAML IdP given field by field becomes metadata naming its certificate and
sign-on URL; a SAML response without InResponseTo (unsolicited) is refused before anything else."""

from __future__ import annotations

import base64
import sys

import pytest

from sparring.integrations import oidc, saml


def test_oidc_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "authlib", None)
    config = oidc.ProviderConfig("http://127.0.0.1:9", "c", "s", "openid", "http://app/cb")
    with pytest.raises(oidc.SsoUnavailable, match=r"\[sso\] extra"):
        oidc.authorize_url(config)


def test_saml_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "saml2.sigver", None)
    settings = saml.SpSettings("https://sp", "https://sp/acs", idp_entity_id="https://idp", idp_sso_url="https://idp/sso",
                               idp_cert="QUJD")
    with pytest.raises(saml.SamlUnavailable, match=r"\[sso\] extra"):
        saml.authn_request(settings)
    with pytest.raises(saml.SamlUnavailable):
        saml.sp_metadata(settings)


def test_idp_metadata_from_fields() -> None:
    settings = saml.SpSettings("https://sp", "https://sp/acs", idp_entity_id="https://idp/?a=1&b=2", idp_sso_url="https://idp/sso",
                               idp_cert="-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----\n")
    xml = saml.idp_metadata(settings)
    assert 'entityID="https://idp/?a=1&amp;b=2"' in xml and "<ds:X509Certificate>QUJDREVG<" in xml
    assert 'Location="https://idp/sso"' in xml
    with pytest.raises(saml.SamlError, match="idp certificate: not base64"):
        saml.idp_metadata(saml.SpSettings("a", "b", idp_entity_id="e", idp_sso_url="u", idp_cert="not base64 !"))


def test_an_unsolicited_response_is_refused() -> None:
    pytest.importorskip("saml2")
    unsolicited = base64.b64encode(b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r1"/>')
    try:
        with pytest.raises(saml.SamlError, match="unsolicited"):
            saml.in_response_to(unsolicited.decode())
    except saml.SamlUnavailable:
        pytest.skip("xmlsec1 is not installed")
