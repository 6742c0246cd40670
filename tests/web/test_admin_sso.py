"""The single sign-on admin pages (sparring.web.routes.admin_sso): an admin adds an OIDC provider with rules, sees the
redirect URI to paste and only the end of the client secret, edits it without retyping the secret, turns password
login off and on (refused while no provider is enabled), deletes it; bad input is flashed with the field and changes
nothing; a learner gets 403 and another organisation's admin 404; every change is in the audit log; the hub links
the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sparring.services import sso_config
from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database, forget_databases, get_database
from sparring.store.sso_models import SsoProviderRow
from sparring.testing.web import signed_in_client
from sparring.web.app import create_app

PASSWORD = "correct horse battery"
SECRET = "client-secret-abcdef-9876"


@pytest.fixture(scope="module")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Database]]:
    data: Path = tmp_path_factory.mktemp("sso-admin")
    settings = Settings(data_dir=data)
    app = create_app(settings, warm_up=False)
    db = get_database(settings.resolved_database_url)
    accounts = Accounts(db)
    accounts.create_user("Acme", "ada@acme.test", PASSWORD, role="admin")
    accounts.create_user("Acme", "lee@acme.test", PASSWORD, role="learner")
    accounts.create_user("Globex", "gus@globex.test", PASSWORD, role="admin")
    yield app, db
    forget_databases()


def _login(app: FastAPI, email: str) -> TestClient:
    return signed_in_client(app, email, PASSWORD)


def _flash(response: object) -> str:
    return unquote(response.headers.get("set-cookie", ""))  # type: ignore[attr-defined]


FORM = {"kind": "oidc", "display_name": "Acme Okta", "email_domains": "acme.test, acme.co.uk",
        "oidc_issuer": "https://acme.okta.example", "oidc_client_id": "sparring-web", "oidc_client_secret": SECRET,
        "role_rules": "sales-managers = manager", "team_rules": "east = East", "default_role": "learner",
        "enabled": "on", "jit": "on"}


def test_admin_configures_a_provider_and_the_password_switch(app_db: tuple[FastAPI, Database]) -> None:
    app, db = app_db
    admin = _login(app, "ada@acme.test")
    token = admin.headers["X-CSRF-Token"]
    assert "/admin/sso" in admin.get("/admin/integrations").text
    off = admin.post("/admin/sso/password-login", data={"csrf_token": token})
    assert "password_login: add and enable an identity provider" in _flash(off)

    bad = admin.post("/admin/sso", data={**FORM, "csrf_token": token, "role_rules": "sales = boss"})
    assert "role_rules: line 1: unknown role" in _flash(bad)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(SsoProviderRow)) == 0

    added = admin.post("/admin/sso", data={**FORM, "csrf_token": token})
    found = re.search(r"Identity provider (\d+) \(Acme Okta\) added", _flash(added))
    assert found, _flash(added)
    pid = int(found.group(1))
    page = admin.get(f"/admin/sso/{pid}")
    assert page.status_code == 200
    assert f"http://testserver/sso/oidc/{pid}/callback" in page.text
    assert "http://testserver/login/sso/acme" in page.text
    assert SECRET not in page.text and "…9876" in page.text
    assert "sales-managers = manager" in page.text

    saved = admin.post(f"/admin/sso/{pid}", data={**FORM, "csrf_token": token, "oidc_client_secret": "",
                                                  "display_name": "Okta"})
    assert "Identity provider saved" in _flash(saved)
    with db.read() as s:
        row = s.get(SsoProviderRow, pid)
        assert row is not None and (row.display_name, sso_config.client_secret(row)) == ("Okta", SECRET)
        assert SECRET not in (row.oidc_client_secret or "")  # sealed at rest (store.sealing)
        assert row.email_domains == "acme.test,acme.co.uk" and row.team_rules == [{"group": "east", "team": "East"}]

    assert "Password login is off" in _flash(admin.post("/admin/sso/password-login", data={"csrf_token": token}))
    assert "Password login is on" in _flash(admin.post("/admin/sso/password-login",
                                                       data={"csrf_token": token, "password_login": "on"}))
    # others: a learner is refused, another organisation's admin does not find it
    learner = _login(app, "lee@acme.test")
    assert learner.get("/admin/sso").status_code == 403
    assert learner.post(f"/admin/sso/{pid}/delete", data={"csrf_token": learner.headers["X-CSRF-Token"]}) \
        .status_code == 403
    other = _login(app, "gus@globex.test")
    assert other.get(f"/admin/sso/{pid}").status_code == 404
    gone = other.post(f"/admin/sso/{pid}/delete", data={"csrf_token": other.headers["X-CSRF-Token"]})
    assert "no identity provider" in _flash(gone)
    assert admin.post(f"/admin/sso/{pid}", data=FORM, headers={"X-CSRF-Token": "forged"}).status_code == 403

    saml = admin.post("/admin/sso", data={"csrf_token": token, "kind": "saml", "display_name": "Entra",
                                          "saml_idp_entity_id": "https://sts.example.test/x", "enabled": "on",
                                          "saml_sso_url": "https://login.example.test/saml2"})
    assert "saml_idp_metadata: give the IdP's metadata XML" in _flash(saml)  # no certificate
    saml = admin.post("/admin/sso", data={"csrf_token": token, "kind": "saml", "display_name": "Entra",
                                          "saml_idp_metadata": "<md:EntityDescriptor entityID='x'/>"})
    sid = int(re.search(r"Identity provider (\d+) \(Entra\) added", _flash(saml)).group(1))  # type: ignore[union-attr]
    page = admin.get(f"/admin/sso/{sid}").text
    for value in (f"http://testserver/sso/saml/{sid}/acs", f"http://testserver/sso/saml/{sid}/metadata"):
        assert value in page
    assert "Add a SAML 2.0 provider" in admin.get("/admin/sso").text
    admin.post(f"/admin/sso/{sid}/delete", data={"csrf_token": token})

    deleted = admin.post(f"/admin/sso/{pid}/delete", data={"csrf_token": token})
    assert "deleted" in _flash(deleted)
    with db.read() as s:
        actions = list(s.scalars(select(AuditRow.action).order_by(AuditRow.id)))
    assert actions.count("sso.provider_changed") == 5 and actions.count("sso.password_login") == 2
