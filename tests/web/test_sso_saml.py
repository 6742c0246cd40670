"""Single sign-on with SAML 2.0 over HTTP (docs/sso.md): the app's SP against pysaml2's own IdP
(``sparring.testing.saml_idp``, a key and certificate generated for the test). The SP metadata names the entity id
and ACS; a signed response creates the account with the mapped role and team and starts the session; a replayed
response, a tampered one, one for another audience, one signed by another key, an expired one and another
organisation's e-mail are refused; an IdP given by its metadata XML works as well as one given field by field."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

pytest.importorskip("saml2", reason="the [sso] extra is not installed")

from saml2.sigver import SigverError, get_xmlsec_binary

try:
    get_xmlsec_binary()
except SigverError:
    pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1)", allow_module_level=True)

from sparring.services import sso_config
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.db import Database, forget_databases, get_database
from sparring.store.models import User
from sparring.testing.saml_idp import ENTITY_ID, SSO_URL, FakeSamlIdp
from sparring.web.app import create_app

PASSWORD = "correct horse battery"


class Env:
    def __init__(self, app: FastAPI, db: Database, idp: FakeSamlIdp, provider_id: int, admin: Viewer) -> None:
        self.app, self.db, self.idp, self.provider_id, self.admin = app, db, idp, provider_id, admin

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    logging.getLogger("saml2").setLevel(logging.CRITICAL)  # pysaml2 logs every refused signature at length
    data: Path = tmp_path_factory.mktemp("sso-saml")
    settings = Settings(data_dir=data)
    app = create_app(settings, warm_up=False)
    db = get_database(settings.resolved_database_url)
    accounts = Accounts(db)
    admin = accounts.create_user("Acme", "ada@acme.test", PASSWORD, role="admin")
    accounts.create_user("Globex", "gus@globex.test", PASSWORD, role="admin")
    viewer = Viewer(id=admin.id, org_id=admin.org_id, role="admin", name="Ada", email=admin.email)
    idp = FakeSamlIdp(tmp_path_factory.mktemp("idp"))
    with db.session() as s:
        row = sso_config.create_provider(s, viewer, "saml", {
            "display_name": "Acme SAML", "enabled": "on", "jit": "on", "email_domains": "acme.test",
            "saml_idp_entity_id": ENTITY_ID, "saml_sso_url": SSO_URL, "saml_idp_cert": idp.certificate,
            "role_rules": "managers = manager", "team_rules": "east = East"})
        provider_id = row.id
    metadata = TestClient(app).get(f"/sso/saml/{provider_id}/metadata")
    assert metadata.status_code == 200, metadata.text
    idp.sp_metadata = metadata.text
    yield Env(app, db, idp, provider_id, viewer)
    forget_databases()


def _answer(env: Env, client: TestClient, provider_id: int | None = None) -> tuple[str, str]:
    pid = provider_id or env.provider_id
    start = client.get(f"/sso/{pid}/start", params={"next": "/progress"})
    assert start.status_code == 303, start.text
    assert start.headers["location"].startswith(SSO_URL + "?SAMLRequest=")
    acs, response = env.idp.answer(start.headers["location"])
    return urlsplit(acs).path, response


def _user(env: Env, email: str) -> User | None:
    with env.db.read() as s:
        user = s.scalar(select(User).where(User.email == email))
        if user is not None:
            s.expunge(user)
        return user


def test_sp_metadata_names_the_entity_and_acs(env: Env) -> None:
    xml = env.idp.sp_metadata
    assert f'entityID="http://testserver/sso/saml/{env.provider_id}/metadata"' in xml
    assert f"http://testserver/sso/saml/{env.provider_id}/acs" in xml


def test_a_signed_response_signs_in_and_a_replay_is_refused(env: Env) -> None:
    env.idp.user = {"name_id": "saml-mia", "email": ["mia@acme.test"], "name": ["Mia"], "groups": ["managers", "east"]}
    client = env.client()
    acs, response = _answer(env, client)
    done = client.post(acs, data={"SAMLResponse": response})
    assert done.status_code == 303 and done.headers["location"] == "/progress", done.text
    assert client.get("/api/me").json()["email"] == "mia@acme.test"
    mia = _user(env, "mia@acme.test")
    assert mia is not None and mia.role == "manager"
    again = env.client().post(acs, data={"SAMLResponse": response})
    assert again.status_code == 401 and "already used" in again.text


@pytest.mark.parametrize(("knob", "value"), [("tamper", True), ("audience", "https://other-sp.test"),
                                             ("other_key", True), ("expired", True)])
def test_a_bad_response_is_refused(env: Env, knob: str, value: object) -> None:
    env.idp.user = {"name_id": f"saml-{knob}", "email": [f"{knob}@acme.test"], "groups": []}
    setattr(env.idp, knob, value)
    try:
        client = env.client()
        acs, response = _answer(env, client)
    finally:
        setattr(env.idp, knob, None if knob == "audience" else False)
    refused = client.post(acs, data={"SAMLResponse": response})
    assert refused.status_code == 401 and "response refused" in refused.text, refused.text
    assert client.get("/api/me").status_code == 401
    assert _user(env, f"{knob}@acme.test") is None and _user(env, "mallory@acme.test") is None


def test_another_organisations_email_is_refused(env: Env) -> None:
    env.idp.user = {"name_id": "saml-gus", "email": ["gus@globex.test"], "groups": []}
    client = env.client()
    acs, response = _answer(env, client)
    refused = client.post(acs, data={"SAMLResponse": response})
    assert refused.status_code == 401 and "another organisation" in refused.text


def test_an_idp_given_by_its_metadata(env: Env) -> None:
    with env.db.session() as s:
        row = sso_config.create_provider(s, env.admin, "saml", {
            "display_name": "Acme SAML (metadata)", "enabled": "on", "jit": "on", "email_domains": "acme.test",
            "saml_idp_metadata": env.idp.metadata(), "saml_sp_entity_id": "https://sparring.acme.test/saml"})
        provider_id = row.id
    client = env.client()
    metadata = client.get(f"/sso/saml/{provider_id}/metadata").text
    assert 'entityID="https://sparring.acme.test/saml"' in metadata
    first, env.idp.sp_metadata = env.idp.sp_metadata, metadata
    env.idp.user = {"name_id": "saml-noa", "email": ["noa@acme.test"], "groups": ["east"]}
    try:
        acs, response = _answer(env, client, provider_id)
        _, response2 = _answer(env, env.client(), provider_id)
    finally:
        env.idp.sp_metadata = first
    assert acs == f"/sso/saml/{provider_id}/acs"
    done = client.post(acs, data={"SAMLResponse": response})
    assert done.status_code == 303, done.text
    assert client.get("/api/me").json()["email"] == "noa@acme.test"
    # the first provider's ACS does not take an answer meant for this one
    assert env.client().post(f"/sso/saml/{env.provider_id}/acs", data={"SAMLResponse": response2}).status_code == 401
