"""Two-factor sign-in through the web: enrolment on the account page (secret as text, otpauth:// URI, an inline
SVG QR code), confirmation before it is on, then both login paths ask for the code after the password (the form
in a second step, the API in a ``totp`` field); recovery codes work once; switching it off needs the password
and a code; the operator's ``sparring users disable-2fa``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sparring.services.accounts import Accounts
from sparring.services.login_guard import FACTOR_UNREADABLE, LoginGuard
from sparring.settings import Settings, reset_settings_cache
from sparring.store.db import Database, forget_databases, get_database
from sparring.testing.fakes import FakeClock
from sparring.testing.web import csrf_of
from sparring.web.app import create_app
from sparring.web.security import LoginThrottle

PASSWORD = "correct horse battery"
ADMIN = "root@acme.test"




@pytest.fixture
def site(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[FastAPI, Database]]:
    settings = Settings(data_dir=tmp_path / "data")
    database = get_database(settings.resolved_database_url)
    Accounts(database).create_user("Acme", ADMIN, PASSWORD, role="admin", name="Root")
    app = create_app(settings, warm_up=False)
    # one injected clock for the login guard and the account page's enrolment (which uses the guard's)
    app.state.web.throttle = LoginThrottle(LoginGuard(clock=clock), trusted_proxies=0)
    yield app, database
    forget_databases()


def _signed_in(app: FastAPI) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    r = c.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def _enrol(c: TestClient, clock: FakeClock) -> tuple[pyotp.TOTP, list[str]]:
    token = c.headers["X-CSRF-Token"]
    page = c.get("/account")
    assert page.status_code == 200 and "Off." in page.text
    assert c.post("/account/totp/begin", data={"csrf_token": token}).status_code == 303
    page = c.get("/account").text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    uri = re.search(r'id="totp-uri">([^<]+)<', page)
    assert secret and uri and "<svg" in page and "qrline" in page
    assert uri.group(1).startswith("otpauth://totp/Sparring:root%40acme.test?secret=" + secret.group(1))
    totp = pyotp.TOTP(secret.group(1))
    wrong = c.post("/account/totp/confirm", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 400 and "does not match" in wrong.text
    # not on yet: a password alone still logs in
    assert TestClient(c.app).post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD}).status_code == 200
    done = c.post("/account/totp/confirm", data={"csrf_token": token, "code": totp.at(clock.now)})
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", done.text)
    assert done.status_code == 200 and len(codes) == 10 and "shown only this once" in done.text
    assert "On." in c.get("/account").text and codes[0] not in c.get("/account").text
    return totp, codes


def test_enrol_then_the_api_login_asks_for_the_code(site: tuple[FastAPI, Database], clock: FakeClock) -> None:
    app, _ = site
    totp, codes = _enrol(_signed_in(app), clock)
    clock.now += 30
    api = TestClient(app)
    r = api.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
    assert r.status_code == 401 and "two-factor" in r.json()["detail"] and '"totp"' in r.json()["detail"]
    r = api.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD, "totp": "123456"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong or already used two-factor code"
    r = api.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD, "totp": totp.at(clock.now)})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert api.get("/api/me").status_code == 200
    # the same code cannot be replayed; a recovery code works once
    again = {"email": ADMIN, "password": PASSWORD, "totp": totp.at(clock.now)}
    assert TestClient(app).post("/api/auth/login", json=again).status_code == 401
    recovery = {"email": ADMIN, "password": PASSWORD, "totp": codes[3]}
    assert TestClient(app).post("/api/auth/login", json=recovery).status_code == 200
    assert TestClient(app).post("/api/auth/login", json=recovery).status_code == 401
    # wrong codes are throttled like wrong passwords (one failure above, then four more)
    for _ in range(4):
        api.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD, "totp": "000000"})
    r = api.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD, "totp": "000000"})
    assert r.status_code == 429 and r.headers["retry-after"] == "1"


def test_the_login_form_asks_for_the_code_in_a_second_step(site: tuple[FastAPI, Database], clock: FakeClock) -> None:
    app, _ = site
    totp, codes = _enrol(_signed_in(app), clock)
    clock.now += 30
    c = TestClient(app, follow_redirects=False)
    token = csrf_of(c.get("/login").text)
    step = c.post("/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token, "next": "/history"})
    assert step.status_code == 200 and "Two-factor sign-in" in step.text
    assert "sparring_session" not in step.headers.get("set-cookie", "")
    challenge = re.search(r'name="challenge" value="([^"]+)"', step.text)
    assert challenge
    form = {"csrf_token": token, "challenge": challenge.group(1), "next": "/history"}
    wrong = c.post("/login/code", data={**form, "code": "000000"})
    assert wrong.status_code == 401 and "Wrong or already used two-factor code." in wrong.text
    assert challenge.group(1) in wrong.text  # the same step may be retried
    ok = c.post("/login/code", data={**form, "code": totp.at(clock.now)})
    assert ok.status_code == 303 and ok.headers["location"] == "/history"
    assert c.get("/api/me").json()["email"] == ADMIN
    used = TestClient(app).post("/login/code", data={**form, "code": codes[0]})  # another client, used token
    assert used.status_code in (401, 403)
    # a recovery code in the form's second step
    other = TestClient(app, follow_redirects=False)
    token = csrf_of(other.get("/login").text)
    step = other.post("/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token})
    challenge = re.search(r'name="challenge" value="([^"]+)"', step.text)
    assert challenge
    r = other.post("/login/code", data={"csrf_token": token, "challenge": challenge.group(1), "code": codes[1]})
    assert r.status_code == 303


def test_switching_off_needs_the_password_and_a_code(site: tuple[FastAPI, Database], clock: FakeClock) -> None:
    app, _ = site
    c = _signed_in(app)
    totp, _ = _enrol(c, clock)
    token = c.headers["X-CSRF-Token"]
    clock.now += 30
    r = c.post("/account/totp/disable", data={"csrf_token": token, "password": "not my password", "code": "1"})
    assert r.status_code == 401 and "Wrong password." in r.text
    r = c.post("/account/totp/disable", data={"csrf_token": token, "password": PASSWORD, "code": "000000"})
    assert r.status_code == 401 and "Wrong or already used code." in r.text
    r = c.post("/account/totp/recovery-codes", data={"csrf_token": token, "password": PASSWORD,
                                                      "code": totp.at(clock.now)})
    fresh = re.findall(r"<li>([a-z2-9-]{19})</li>", r.text)
    assert r.status_code == 200 and len(fresh) == 10
    clock.now += 30
    r = c.post("/account/totp/disable", data={"csrf_token": token, "password": PASSWORD, "code": totp.at(clock.now)})
    assert r.status_code == 303 and "Off." in c.get("/account").text
    assert TestClient(app).post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD}).status_code == 200


def test_the_operator_can_switch_it_off(site: tuple[FastAPI, Database], clock: FakeClock,
                                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from sparring.cli import main

    app, database = site
    _enrol(_signed_in(app), clock)
    monkeypatch.setenv("SPARRING_DATABASE_URL", database.url)
    from sparring.settings import reset_settings_cache

    reset_settings_cache()
    assert main(["users", "disable-2fa", "--email", ADMIN.upper()]) == 0
    assert "two-factor sign-in is off for root@acme.test" in capsys.readouterr().out
    assert TestClient(app).post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD}).status_code == 200
    reset_settings_cache()


def test_a_second_factor_that_cannot_be_unsealed_is_refused_with_the_way_out(
        site: tuple[FastAPI, Database], clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installation key changed after enrolment: both login paths refuse the code with a message saying the
    second factor cannot be checked (403, not a 500); the form keeps the code step, where a recovery code works."""
    app, _ = site
    totp, codes = _enrol(_signed_in(app), clock)
    monkeypatch.setenv("SPARRING_SECRET_KEY", "a key that sealed nothing here")
    reset_settings_cache()
    clock.now += 30
    r = TestClient(app).post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD,
                                                      "totp": totp.at(clock.now)})
    assert r.status_code == 403 and r.json()["detail"] == FACTOR_UNREADABLE
    c = TestClient(app, follow_redirects=False)
    token = csrf_of(c.get("/login").text)
    step = c.post("/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token})
    challenge = re.search(r'name="challenge" value="([^"]+)"', step.text)
    assert challenge
    form = {"csrf_token": token, "challenge": challenge.group(1)}
    refused = c.post("/login/code", data={**form, "code": totp.at(clock.now)})
    assert refused.status_code == 403 and "cannot be checked" in refused.text and "recovery codes" in refused.text
    assert challenge.group(1) in refused.text
    assert c.post("/login/code", data={**form, "code": codes[0]}).status_code == 303
