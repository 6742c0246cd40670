"""The login guard through the web: both login paths share it, across app instances (two "workers" on one
database); 429 with Retry-After on the API and a clear message on the page; the client address comes from
X-Forwarded-For only when SPARRING_TRUSTED_PROXIES says so; malformed bodies (NUL, lone surrogates, over-long)
answer 422 — never 500 — on SQLite and PostgreSQL. An injected clock, no sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sparring_test_support as support
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sparring.services.accounts import Accounts
from sparring.services.login_guard import GuardLimits, LoginGuard
from sparring.settings import Settings
from sparring.store.db import Database, forget_databases, get_database
from sparring.testing.fakes import FakeClock
from sparring.testing.web import csrf_of
from sparring.web.app import create_app
from sparring.web.security import LoginThrottle

PASSWORD = "correct horse battery"
TARGET = "target@acme.test"
OTHER = "other@acme.test"




def _apps(settings: Settings, clock: FakeClock, trusted_proxies: int = 0) -> tuple[FastAPI, FastAPI, Database]:
    database = get_database(settings.database_url or settings.resolved_database_url)
    Accounts(database).create_user("Acme", TARGET, PASSWORD, role="learner", name="Target")
    Accounts(database).create_user("Acme", OTHER, PASSWORD, role="learner", name="Other")
    first, second = create_app(settings, warm_up=False), create_app(settings, warm_up=False)
    for app in (first, second):  # like two worker processes: separate guard objects, one database
        app.state.web.throttle = LoginThrottle(LoginGuard(GuardLimits(pair_free=3), clock=clock), trusted_proxies)
    assert first.state.web.throttle is not second.state.web.throttle
    return first, second, database


@pytest.fixture
def apps(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[FastAPI, FastAPI, Database]]:
    yield _apps(Settings(data_dir=tmp_path / "data"), clock)
    forget_databases()


def _api(client: TestClient, address: str, password: str, **headers: str) -> int:
    return client.post("/api/auth/login", json={"email": address, "password": password}, headers=headers).status_code


def test_two_app_instances_share_the_guard_on_both_login_paths(apps: tuple[FastAPI, FastAPI, Database]) -> None:
    first, second, _ = apps
    a, b = TestClient(first), TestClient(second)
    # failures alternate between the two "workers": three in all use up the free ones
    assert [_api(a, TARGET, "guess"), _api(b, TARGET, "guess"), _api(a, TARGET, "guess")] == [401, 401, 401]
    for client in (a, b):  # both refuse, even the right password, and say when to come back
        r = client.post("/api/auth/login", json={"email": TARGET, "password": PASSWORD})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        detail = r.json()["detail"]
        assert detail == "too many failed attempts for this account from your address; try again in 1 second"
    token = csrf_of(b.get("/login").text)  # the form of the other instance too, with its message
    r = b.post("/login", data={"email": TARGET.upper(), "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert "Too many failed attempts for this account from your address; try again in 1 second." in r.text
    assert _api(b, OTHER, PASSWORD) == 200  # other accounts are unaffected


def test_backoff_doubles_and_a_success_on_one_instance_resets_the_other(
    apps: tuple[FastAPI, FastAPI, Database], clock: FakeClock
) -> None:
    first, second, _ = apps
    a, b = TestClient(first), TestClient(second)
    for _ in range(3):
        assert _api(a, TARGET, "guess") == 401
    waits = []
    for _ in range(4):
        r = b.post("/api/auth/login", json={"email": TARGET, "password": "guess"})
        assert r.status_code == 429
        waits.append(int(r.headers["retry-after"]))
        clock.now += waits[-1]
        assert _api(a, TARGET, "guess") == 401
    assert waits == [1, 2, 4, 8]
    clock.now += 16
    assert _api(b, TARGET, PASSWORD) == 200
    for _ in range(3):  # the count starts again
        assert _api(a, TARGET, "guess") == 401
    assert _api(b, TARGET, PASSWORD) == 429


def test_unknown_addresses_are_throttled_exactly_like_real_ones(apps: tuple[FastAPI, FastAPI, Database]) -> None:
    first, _, _ = apps
    c = TestClient(first)
    real = [_api(c, TARGET, "guess") for _ in range(4)]
    ghost = [_api(c, "ghost@acme.test", "guess") for _ in range(4)]
    assert real == ghost == [401, 401, 401, 429]


def test_forwarded_for_is_ignored_unless_trusted(tmp_path: Path, clock: FakeClock) -> None:
    first, _, _ = _apps(Settings(data_dir=tmp_path / "plain"), clock, trusted_proxies=0)
    c = TestClient(first)
    for n in range(3):  # a client cannot dodge its backoff by claiming another address
        assert _api(c, TARGET, "guess", **{"X-Forwarded-For": f"198.51.100.{n}"}) == 401
    assert _api(c, TARGET, PASSWORD, **{"X-Forwarded-For": "203.0.113.9"}) == 429
    forget_databases()

    proxied, _, _ = _apps(Settings(data_dir=tmp_path / "proxied"), clock, trusted_proxies=1)
    c = TestClient(proxied)
    for _ in range(3):  # behind one trusted proxy: the last entry is the client; what the client wrote is not
        assert _api(c, TARGET, "guess", **{"X-Forwarded-For": "6.6.6.6, 198.51.100.1"}) == 401
    assert _api(c, TARGET, PASSWORD, **{"X-Forwarded-For": "7.7.7.7, 198.51.100.1"}) == 429
    assert _api(c, TARGET, PASSWORD, **{"X-Forwarded-For": "198.51.100.2"}) == 200  # another client
    assert _api(c, OTHER, PASSWORD, **{"X-Forwarded-For": "not-an-ip"}) == 200  # falls back to the peer
    forget_databases()


def test_client_address_rules() -> None:
    from starlette.requests import Request

    from sparring.web.login import client_address

    def req(*xff: str) -> Request:
        headers = [(b"x-forwarded-for", v.encode()) for v in xff]
        return Request({"type": "http", "headers": headers, "client": ("10.0.0.1", 5000)})

    assert client_address(req("1.2.3.4"), 0) == "10.0.0.1"
    assert client_address(req("1.2.3.4, 5.6.7.8"), 1) == "5.6.7.8"
    assert client_address(req("1.2.3.4, 5.6.7.8"), 2) == "1.2.3.4"
    assert client_address(req("1.2.3.4", "5.6.7.8"), 2) == "1.2.3.4"  # two headers read as one list
    assert client_address(req("5.6.7.8"), 2) == "10.0.0.1"  # fewer hops than proxies: it bypassed them
    assert client_address(req(), 1) == "10.0.0.1"
    assert client_address(req("2001:db8::1"), 1) == "2001:db8::1"


database_url = support.database_url  # SQLite and PostgreSQL


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "target\u0000@acme.test", "password": PASSWORD}, "email"),
    ({"email": TARGET, "password": "correct\u0000horse battery"}, "password"),
    ({"email": TARGET, "password": "x" * 100_000}, "password"),
    ({"email": "t" * 100_000 + "@acme.test", "password": PASSWORD}, "email"),
    ({"email": TARGET, "password": PASSWORD, "totp": "1\u00002"}, "totp"),
])
def test_malformed_login_bodies_are_422_not_500(database_url: str, tmp_path: Path, clock: FakeClock,
                                                body: dict[str, str], field: str) -> None:
    app, _, _ = _apps(Settings(data_dir=tmp_path / "d", database_url=database_url), clock)
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/auth/login", json=body)
    assert r.status_code == 422 and r.json()["detail"].startswith(field), r.text
    assert len(r.text) < 300
    if field != "totp":  # the form sends a code only in its second step (tests/web/test_two_factor.py)
        token = csrf_of(c.get("/login").text)
        page = c.post("/login", data={**body, "csrf_token": token})
        assert page.status_code == 422 and "x" * 50 not in page.text and "t" * 50 not in page.text
    assert _api(c, TARGET, PASSWORD) == 200  # none of it counted as a failure


@pytest.mark.parametrize("raw", [
    b'{"email": "target@acme.test\\ud800", "password": "correct horse battery"}',
    b'{"email": "target@acme.test", "password": "correct horse \\udfff"}',
])
def test_lone_surrogates_in_the_json_body_are_refused(database_url: str, tmp_path: Path, clock: FakeClock,
                                                      raw: bytes) -> None:
    app, _, _ = _apps(Settings(data_dir=tmp_path / "d", database_url=database_url), clock)
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/auth/login", content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (401, 422), r.text
    assert "Traceback" not in r.text


def test_setup_and_admin_forms_refuse_weak_passwords_and_bad_names(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    app = create_app(settings, warm_up=False)
    c = TestClient(app, follow_redirects=False)
    token = csrf_of(c.get("/setup").text)
    form = {"csrf_token": token, "org": "Initech", "name": "Pat", "email": "pat@initech.test"}
    for password, reason in (("password1234", "common passwords"), ("aaaaaaaaaaaaaaaa", "too easy to guess"),
                             ("short pw", "too short"), ("y" * 257, "too long")):
        r = c.post("/setup", data={**form, "password": password})
        assert r.status_code == 400 and reason in r.text, password
    r = c.post("/setup", data={**form, "email": "<script>x</script>@x", "password": PASSWORD})
    assert r.status_code == 400 and "not an e-mail address" in r.text and "<script>" not in r.text
    r = c.post("/setup", data={**form, "name": "P" * 1_000_000, "password": PASSWORD})
    assert r.status_code == 400 and "name: is too long" in r.text and "P" * 300 not in r.text
    r = c.post("/setup", data={**form, "org": "Ini\x00tech", "password": PASSWORD})
    assert r.status_code == 400 and "NUL" in r.text
    r = c.post("/setup", data={**form, "password": PASSWORD})
    assert r.status_code == 303
    get_database(settings.resolved_database_url).dispose()
    forget_databases()


def test_the_app_takes_the_proxy_setting_from_the_settings_it_is_given(tmp_path: Path) -> None:
    """Not from the process-wide settings: an app built for one deployment must not read another's."""
    app = create_app(Settings(data_dir=tmp_path, trusted_proxies=2), warm_up=False)
    assert app.state.web.throttle.trusted_proxies == 2
