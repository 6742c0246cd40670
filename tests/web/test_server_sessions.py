"""Server-side sessions through the web app, on SQLite and PostgreSQL: two app instances on one database act as
two worker processes (a session started on one and ended on the other); idle and absolute timeouts (an injected
clock, no sleeps); one query per request; signing-key rotation without signing anyone out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sparring_test_support as support
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.db import Database, get_database
from sparring.testing.fakes import FakeClock
from sparring.testing.web import csrf_of
from sparring.web.app import create_app
from sparring.web.security import SESSION_COOKIE, SessionCodec, signing_keys

PASSWORD = "correct horse battery"
ANN = "ann@acme.test"
database_url = support.database_url  # every test here runs on SQLite and on PostgreSQL




@pytest.fixture
def database(database_url: str) -> Database:
    db = get_database(database_url)
    Accounts(db).create_user("Acme", ANN, PASSWORD, role="learner", name="Ann")
    return db


MakeApp = Callable[..., FastAPI]


@pytest.fixture
def make_app(database_url: str, database: Database, tmp_path: Path, clock: FakeClock) -> MakeApp:
    """A new app instance (a worker process) on the test's database; keyword arguments are settings."""

    def make(**settings: Any) -> FastAPI:
        values: dict[str, Any] = {"data_dir": tmp_path / "data", "database_url": database_url,
                                  "secret_key": "key-2026-01", **settings}
        app = create_app(Settings(**values), warm_up=False)
        app.state.web.sessions.clock = clock
        return app

    return make


def _login(app: FastAPI) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    r = c.post("/api/auth/login", json={"email": ANN, "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def _bearing(app: FastAPI, cookie: str, csrf: str | None = None) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    c.cookies.set(SESSION_COOKIE, cookie)
    if csrf:
        c.headers["X-CSRF-Token"] = csrf
    return c


def _signed_out(c: TestClient) -> bool:
    page = c.get("/history")
    return c.get("/api/me").status_code == 401 and page.status_code == 303 and page.headers["location"].startswith(
        "/login")


def test_workers_share_sessions_a_logout_on_one_ends_it_on_the_other(make_app: MakeApp) -> None:
    first, second = make_app(), make_app()
    c = _login(first)
    cookie = c.cookies.get(SESSION_COOKIE)
    assert cookie
    other_worker = _bearing(second, cookie, c.headers["X-CSRF-Token"])
    assert other_worker.get("/api/me").json()["email"] == ANN
    assert other_worker.post("/api/auth/logout").status_code == 204
    assert _signed_out(_bearing(first, cookie)) and _signed_out(_bearing(second, cookie))


def test_idle_timeout(make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(session_idle_minutes=15)
    c = _login(app)
    for _ in range(8):  # used every 14 minutes for almost two hours: still signed in
        clock.now += 14 * 60
        assert c.get("/api/me").status_code == 200
    clock.now += 15 * 60 + 1
    assert _signed_out(c)
    assert _login(app).get("/api/me").status_code == 200  # signing in again works


def test_absolute_timeout_and_cookie_lifetime(make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(session_idle_minutes=120, session_max_hours=3)
    c = TestClient(app, follow_redirects=False)
    r = c.post("/api/auth/login", json={"email": ANN, "password": PASSWORD})
    assert "max-age=10800" in r.headers["set-cookie"].lower()  # the browser drops it when the session ends
    for _ in range(5):  # busy every 30 minutes: the idle timeout never strikes
        clock.now += 30 * 60
        assert c.get("/api/me").status_code == 200
    clock.now += 30 * 60 - 1
    assert c.get("/api/me").status_code == 200
    clock.now += 1  # three hours after signing in
    assert _signed_out(c)


def test_one_query_per_request_and_last_seen_written_once_a_minute(
    make_app: MakeApp, database: Database, clock: FakeClock
) -> None:
    c = _login(make_app())
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            clock.now += 10
            assert c.get("/api/me").status_code == 200
        assert len(statements) == 5 and all(s.lstrip().upper().startswith("SELECT") for s in statements)
        assert "sessions" in statements[0] and "users" in statements[0]  # the session joined with its user
        statements.clear()
        clock.now += 11  # a minute since sign-in: this request also records that the session was used
        assert c.get("/api/me").status_code == 200
        assert [s.split()[0].upper() for s in statements] == ["SELECT", "UPDATE"]
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_rotation_keeps_sessions_and_csrf_tokens_signed_with_the_previous_key(make_app: MakeApp) -> None:
    before = make_app(secret_key="key-2026-01")
    c = _login(before)
    cookie, csrf = c.cookies.get(SESSION_COOKIE), c.headers["X-CSRF-Token"]
    assert cookie
    anon = TestClient(before, follow_redirects=False)
    login_form_token = csrf_of(anon.get("/login").text)
    # the operator rotates: a new current key, the old one listed as previous
    after = make_app(secret_key="key-2026-07", secret_keys_previous="key-2025-07, key-2026-01")
    kept = _bearing(after, cookie, csrf)
    assert kept.get("/api/me").json()["email"] == ANN
    page = kept.get("/account/sessions")
    new_csrf = csrf_of(page.text)
    assert new_csrf != csrf  # pages now carry tokens signed with the new key; the old token still passes
    assert kept.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    # the login form shown before the rotation still works after it
    anon_after = TestClient(after, follow_redirects=False)
    anon_after.cookies.update(anon.cookies)
    r = anon_after.post("/login", data={"email": ANN, "password": PASSWORD, "csrf_token": login_form_token})
    assert r.status_code == 303
    fresh = anon_after.cookies.get(SESSION_COOKIE)
    assert fresh
    assert SessionCodec("key-2026-07").read(fresh) is not None  # new cookies are signed with the new key
    assert SessionCodec("key-2026-01").read(fresh) is None
    assert kept.post("/api/auth/logout").status_code == 204  # the pre-rotation CSRF token
    assert _signed_out(_bearing(after, cookie))
    # once the old key is dropped, what it signed is refused
    c = _login(before)
    dropped = make_app(secret_key="key-2026-07")
    assert _signed_out(_bearing(dropped, c.cookies.get(SESSION_COOKIE) or ""))
    assert _bearing(before, c.cookies.get(SESSION_COOKIE) or "").get("/api/me").status_code == 200


def test_a_cookie_signed_with_an_unknown_key_is_refused(make_app: MakeApp) -> None:
    app = make_app(secret_key="key-2026-07", secret_keys_previous="key-2026-01")
    c = _login(app)
    cookie = c.cookies.get(SESSION_COOKIE)
    live = app.state.web.codec.read(cookie)
    assert live is not None
    for key in ("key-2025-01", "key-2026-07x"):
        assert _signed_out(_bearing(app, SessionCodec(key).issue(live.token)))
    assert _bearing(app, SessionCodec("key-2026-01").issue(live.token)).get("/api/me").status_code == 200
    stranger = SessionCodec("key-2025-01")
    assert c.post("/api/auth/logout-all", headers={"X-CSRF-Token": stranger.csrf_token(live.token)}).status_code == 403
    assert c.get("/api/me").status_code == 200


def test_signing_keys_and_their_setting() -> None:
    assert signing_keys("new", ["old", "older", "old", "new", ""]) == ["old", "older", "new"]
    settings = Settings(secret_key="new", secret_keys_previous=" old, older\noldest ")
    assert settings.previous_secret_keys == ["old", "older", "oldest"]
    assert Settings().previous_secret_keys == []
    with pytest.raises(ValueError, match="signing key"):
        SessionCodec([])
    codec = SessionCodec(["old", "new"])
    assert codec.csrf_token("t") == SessionCodec("new").csrf_token("t") != SessionCodec("old").csrf_token("t")
    assert codec.csrf_ok("t", SessionCodec("old").csrf_token("t")) and not codec.csrf_ok("t", "ünïcode")
    assert not codec.csrf_ok("t", None) and not codec.anonymous_csrf_ok(None, "x")


def test_session_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("SPARRING_SESSION_MAX_HOURS", "8")
    monkeypatch.setenv("SPARRING_SECRET_KEYS_PREVIOUS", "a,b")
    s = Settings()
    assert (s.session_idle_minutes, s.session_max_hours, s.previous_secret_keys) == (30, 8, ["a", "b"])
    monkeypatch.setenv("SPARRING_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ValueError, match="session_idle_minutes"):
        Settings()
    monkeypatch.delenv("SPARRING_SESSION_IDLE_MINUTES")
    assert Settings().session_idle_minutes == 60 and Settings().session_max_hours == 8
