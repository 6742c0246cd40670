"""Single sign-on with OIDC over HTTP (docs/sso.md): the app against a real OIDC provider double on loopback
(``sparring.testing.oidc_provider``). A first sign-in creates the account with the mapped role and teams and starts
the normal session; the next one finds it by subject and re-applies the rules; an existing account of the org is
linked by verified e-mail only; another organisation's e-mail, a deactivated account, a tampered signature, a
wrong nonce or audience, an expired token, a replayed or foreign callback are refused; password login turned off
refuses passwords (form and API) except the admins' break-glass; the login page routes an e-mail to its IdP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

if os.environ.get("CI") != "true":  # ./dev test installs the extra; CI must not skip these silently
    pytest.importorskip("authlib", reason="the [sso] extra is not installed")

from sparring.integrations import oidc
from sparring.services import sso_config
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database, forget_databases, get_database
from sparring.store.models import Team, TeamMember, User
from sparring.testing.oidc_provider import FakeOidcProvider
from sparring.web.app import create_app

PASSWORD = "correct horse battery"


class Env:
    def __init__(self, app: object, db: Database, idp: FakeOidcProvider, provider_id: int, admin: Viewer) -> None:
        self.app, self.db, self.idp, self.provider_id, self.admin = app, db, idp, provider_id, admin

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    data: Path = tmp_path_factory.mktemp("sso-oidc")
    settings = Settings(data_dir=data)
    app = create_app(settings, warm_up=False)
    db = get_database(settings.resolved_database_url)
    accounts = Accounts(db)
    admin = accounts.create_user("Acme", "ada@acme.test", PASSWORD, role="admin", name="Ada")
    accounts.create_user("Acme", "lee@acme.test", PASSWORD, role="learner", name="Lee")
    accounts.create_user("Globex", "gus@globex.test", PASSWORD, role="admin", name="Gus")
    viewer = Viewer(id=admin.id, org_id=admin.org_id, role="admin", name="Ada", email=admin.email)
    with FakeOidcProvider(client_id="sparring", client_secret="s3cret") as idp:
        with db.session() as s:
            row = sso_config.create_provider(s, viewer, "oidc", {
                "display_name": "Acme Okta", "enabled": "on", "jit": "on", "email_domains": "acme.test",
                "oidc_issuer": idp.issuer, "oidc_client_id": "sparring", "oidc_client_secret": "s3cret",
                "role_rules": "sales-managers = manager\nsparring-admins = admin",
                "team_rules": "east = East\nwest = West", "default_role": "learner"})
            provider_id = row.id
        yield Env(app, db, idp, provider_id, viewer)
    oidc.forget_cache()
    forget_databases()


def _as(env: Env, **claims: object) -> None:
    env.idp.user = {"email_verified": True, "name": "", "groups": [], **claims}


def _sso(env: Env, client: TestClient, next_url: str = "/history") -> httpx.Response:
    """Start at the app, let the provider answer at once, bring the answer back to the app."""
    start = client.get(f"/sso/{env.provider_id}/start", params={"next": next_url})
    assert start.status_code == 303, start.text
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == f"/sso/oidc/{env.provider_id}/callback"
    return client.get(f"{back.path}?{back.query}")


def _user(env: Env, email: str) -> User:
    with env.db.read() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        s.expunge(user)
        return user


def _teams(env: Env, user_id: int) -> set[str]:
    with env.db.read() as s:
        return set(s.scalars(select(Team.name).join(TeamMember, TeamMember.team_id == Team.id)
                             .where(TeamMember.user_id == user_id)))


def test_first_sign_in_creates_the_account_with_mapped_role_and_team(env: Env) -> None:
    _as(env, sub="okta-100", email="Mia@Acme.test", name="Mia Park", groups=["sales-managers", "east"])
    client = env.client()
    done = _sso(env, client)
    assert done.status_code == 303 and done.headers["location"] == "/history", done.text
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["email"] == "mia@acme.test"
    mia = _user(env, "mia@acme.test")
    assert (mia.role, mia.name, mia.org_id) == ("manager", "Mia Park", env.admin.org_id)
    assert _teams(env, mia.id) == {"East"}
    # the next sign-in finds them by subject (a changed e-mail does not matter) and applies the rules again
    _as(env, sub="okta-100", email="mia.park@acme.test", groups=["west"])
    assert _sso(env, env.client()).status_code == 303
    mia = _user(env, "mia@acme.test")
    assert mia.role == "learner" and _teams(env, mia.id) == {"West"}
    with env.db.read() as s:
        actions = list(s.scalars(select(AuditRow.action).where(AuditRow.actor_id == mia.id)))
    assert actions.count("sso.signed_in") == 2


def test_existing_account_is_linked_by_verified_email_only(env: Env) -> None:
    _as(env, sub="okta-lee", email="lee@acme.test", email_verified=False)
    refused = _sso(env, env.client())
    assert refused.status_code == 401 and "verified" in refused.text
    _as(env, sub="okta-lee", email="lee@acme.test", groups=["sparring-admins"])
    client = env.client()
    assert _sso(env, client).status_code == 303
    assert client.get("/api/me").json()["id"] == _user(env, "lee@acme.test").id
    assert _user(env, "lee@acme.test").role == "admin"


def test_another_organisations_email_is_refused(env: Env) -> None:
    _as(env, sub="okta-gus", email="gus@globex.test")
    refused = _sso(env, env.client())
    assert refused.status_code == 401 and "another organisation" in refused.text
    assert _user(env, "gus@globex.test").org_id != env.admin.org_id


def test_a_deactivated_account_is_refused(env: Env) -> None:
    _as(env, sub="okta-zed", email="zed@acme.test")
    assert _sso(env, env.client()).status_code == 303
    Accounts(env.db).set_active(_user(env, "zed@acme.test").id, False)
    client = env.client()
    refused = _sso(env, client)
    assert refused.status_code == 401 and "deactivated" in refused.text
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("knob", ["bad_signature", "wrong_nonce", "wrong_aud", "expired", "wrong_issuer"])
def test_a_bad_id_token_is_refused(env: Env, knob: str) -> None:
    _as(env, sub=f"okta-{knob}", email=f"{knob.replace('_', '')}@acme.test")
    setattr(env.idp, knob, True)
    try:
        client = env.client()
        refused = _sso(env, client)
    finally:
        setattr(env.idp, knob, False)
    assert refused.status_code == 401 and "id_token" in refused.text
    assert client.get("/api/me").status_code == 401
    with env.db.read() as s:
        assert s.scalar(select(User.id).where(User.email.like(f"{knob.replace('_', '')}@%"))) is None


def test_a_replayed_or_foreign_callback_is_refused(env: Env) -> None:
    _as(env, sub="okta-100", email="mia@acme.test")
    client = env.client()
    start = client.get(f"/sso/{env.provider_id}/start")
    back = urlsplit(httpx.get(start.headers["location"], follow_redirects=False).headers["location"])
    callback = f"{back.path}?{back.query}"
    # another browser (no state cookie) cannot use it: login CSRF
    assert env.client().get(callback).status_code == 400
    assert client.get(callback).status_code == 303
    assert client.get(callback).status_code == 400  # the browser's state cookie went with the sign-in
    replay = env.client()  # the same answer with the state cookie put back: the server side refuses it too
    replay.cookies.set("sparring_sso", parse_qs(back.query)["state"][0])
    again = replay.get(callback)
    assert again.status_code == 401 and "already used" in again.text


def test_password_login_off_refuses_passwords_but_admins_break_glass(env: Env) -> None:
    _as(env, sub="okta-lee", email="lee@acme.test")
    with env.db.session() as s:
        sso_config.set_password_login(s, env.admin, False)
    try:
        api = env.client().post("/api/auth/login", json={"email": "zoe@acme.test", "password": "wrong one at all"})
        assert api.status_code == 401  # a wrong password says nothing about SSO
        Accounts(env.db).create_user("Acme", "kim@acme.test", PASSWORD, role="learner")
        api = env.client().post("/api/auth/login", json={"email": "kim@acme.test", "password": PASSWORD})
        assert api.status_code == 403 and "single sign-on" in api.json()["detail"]
        form_client = env.client()
        page = form_client.get("/login")
        assert "Sign in with single sign-on" in page.text
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = form_client.post("/login", data={"email": "kim@acme.test", "password": PASSWORD,
                                                "csrf_token": token})
        assert form.status_code == 403 and "single sign-on" in form.text
        admin = env.client().post("/api/auth/login", json={"email": "ada@acme.test", "password": PASSWORD})
        assert admin.status_code == 200  # break-glass (SPARRING_SSO_BREAK_GLASS=admins, the default)
        other = env.client().post("/api/auth/login", json={"email": "gus@globex.test", "password": PASSWORD})
        assert other.status_code == 200  # another organisation is not affected
        with env.db.read() as s:
            assert s.scalar(select(AuditRow.id).where(AuditRow.action == "sso.break_glass")) is not None
    finally:
        with env.db.session() as s:
            sso_config.set_password_login(s, env.admin, True)


def test_break_glass_off_refuses_admins_too(env: Env, tmp_path: Path) -> None:
    from sparring.services.login_guard import LoginGuard

    with env.db.session() as s:
        sso_config.set_password_login(s, env.admin, False)
    try:
        guard = LoginGuard(break_glass="off")
        assert guard.login(env.db, "ada@acme.test", PASSWORD, "10.0.0.1").outcome == "sso_required"
    finally:
        with env.db.session() as s:
            sso_config.set_password_login(s, env.admin, True)


def test_login_page_routes_an_email_to_its_provider(env: Env) -> None:
    client = env.client()
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    found = client.post("/login/sso", data={"email": "someone@acme.test", "next": "/progress", "csrf_token": token})
    assert found.status_code == 303
    assert found.headers["location"] == f"/sso/{env.provider_id}/start?next=/progress"
    none = client.post("/login/sso", data={"email": "x@nowhere.test", "csrf_token": token})
    assert none.status_code == 404 and "No single sign-on" in none.text
    org = client.get("/login/sso/acme")
    assert org.status_code == 303 and org.headers["location"].startswith(f"/sso/{env.provider_id}/start")
    assert client.get("/login/sso/globex").status_code == 404


def test_an_account_without_a_password_can_sign_in(env: Env) -> None:
    """An account made without a password (provisioned, say) gets a session like any other."""
    Accounts(env.db).create_user("Acme", "pia@acme.test", None, role="learner")
    _as(env, sub="okta-pia", email="pia@acme.test")
    client = env.client()
    assert _sso(env, client).status_code == 303
    assert client.get("/api/me").json()["email"] == "pia@acme.test"
    assert env.client().post("/api/auth/login", json={"email": "pia@acme.test", "password": ""}).status_code in (
        401, 422)
