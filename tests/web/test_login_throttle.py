"""The login throttle lives in the database: every worker process (here: two app instances on one database,
each with its own LoginThrottle object) counts the same failures; a success resets them; they expire after the
window (an injected clock, no sleeps) and expired rows are deleted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sparring_test_support as support
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import csrf_of

from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.db import Database, forget_databases, get_database
from sparring.store.models import LoginFailure
from sparring.web.app import create_app
from sparring.web.security import LoginThrottle

PASSWORD = "correct horse battery"
TARGET = "target@acme.test"
OTHER = "other@acme.test"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def apps(tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FastAPI, FastAPI, Database]]:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    import sparring.services.accounts as accounts

    light = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(accounts, "_hasher", lambda: light)  # argon2, lighter: same code path, faster tests
    settings = Settings(data_dir=tmp_path / "data")
    database = get_database(settings.resolved_database_url)
    Accounts(database).create_user("Acme", TARGET, PASSWORD, role="learner", name="Target")
    Accounts(database).create_user("Acme", OTHER, PASSWORD, role="learner", name="Other")
    first, second = create_app(settings, warm_up=False), create_app(settings, warm_up=False)
    for app in (first, second):  # like two worker processes: separate throttle objects, one database
        app.state.web.throttle = LoginThrottle(limit=3, window=60, clock=clock)
    assert first.state.web.throttle is not second.state.web.throttle
    yield first, second, database
    forget_databases()


def _api(client: TestClient, address: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": address, "password": password}).status_code


def _rows(database: Database) -> int:
    with database.read() as s:
        return int(s.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def test_two_app_instances_share_the_throttle(apps: tuple[FastAPI, FastAPI, Database]) -> None:
    first, second, database = apps
    a, b = TestClient(first), TestClient(second)
    # failures alternate between the two "workers": three in all reach the limit
    assert [_api(a, TARGET, "guess"), _api(b, TARGET, "guess"), _api(a, TARGET, "guess")] == [401, 401, 401]
    for client in (a, b):  # both refuse, even the right password, with the same status and headers as before
        r = client.post("/api/auth/login", json={"email": TARGET, "password": PASSWORD})
        assert r.status_code == 429 and r.json()["detail"].startswith("too many failed attempts")
        assert int(r.headers["retry-after"]) == 61
    # the form login of the other instance is blocked too, with its message
    token = csrf_of(b.get("/login").text)
    r = b.post("/login", data={"email": TARGET.upper(), "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "Too many failed attempts" in r.text
    assert _api(b, OTHER, PASSWORD) == 200  # other addresses are unaffected
    with database.read() as s:  # addresses are stored only as hashes
        assert TARGET not in set(s.scalars(select(LoginFailure.key)))


def test_success_on_one_instance_resets_the_other(apps: tuple[FastAPI, FastAPI, Database]) -> None:
    first, second, database = apps
    a, b = TestClient(first), TestClient(second)
    assert _api(a, TARGET, "guess") == 401 and _api(b, TARGET, "guess") == 401
    assert _rows(database) == 2
    assert _api(a, TARGET, PASSWORD) == 200
    assert _rows(database) == 0
    # the count starts again: two more failures do not block
    assert _api(b, TARGET, "guess") == 401 and _api(a, TARGET, "guess") == 401
    assert _api(b, TARGET, PASSWORD) == 200


def test_failures_expire_after_the_window_and_old_rows_are_deleted(
    apps: tuple[FastAPI, FastAPI, Database], clock: Clock
) -> None:
    first, second, database = apps
    a, b = TestClient(first), TestClient(second)
    for _ in range(3):
        assert _api(a, TARGET, "guess") == 401
        clock.now += 10  # failures at t, t+10, t+20
    assert _api(b, TARGET, PASSWORD) == 429
    throttle: LoginThrottle = second.state.web.throttle
    assert throttle.blocked_for(database, TARGET) == pytest.approx(30)  # 60 s after the first of the three
    clock.now += 29
    assert 0 < throttle.blocked_for(database, TARGET) <= 1
    clock.now += 2
    assert throttle.blocked_for(database, TARGET) == 0
    # a new failure for another address deletes the rows older than the window
    assert _rows(database) == 3
    clock.now += 60
    assert _api(a, OTHER, "guess") == 401
    assert _rows(database) == 1
    assert _api(b, TARGET, PASSWORD) == 200


database_url = support.database_url  # SQLite and PostgreSQL


def test_the_limit_th_newest_failure_sets_the_wait(database_url: str, clock: Clock) -> None:
    database = Database(database_url)
    throttle = LoginThrottle(limit=3, window=60, clock=clock)
    for _ in range(4):  # four failures 10 s apart: the newest three count
        throttle.failed(database, "A@x.test")
        clock.now += 10
    assert throttle.blocked_for(database, " a@X.test ") == pytest.approx(60 - 30)
    assert throttle.blocked_for(database, "b@x.test") == 0
    clock.now += 30  # the third newest is now 60 s old: two recent failures remain, below the limit
    assert throttle.blocked_for(database, "a@x.test") == 0
    clock.now += 40
    throttle.failed(database, "b@x.test")  # deletes a@x.test's failures, all older than the window now
    assert _rows(database) == 1
    throttle.succeeded(database, "b@x.test")
    assert _rows(database) == 0 and throttle.blocked_for(database, "b@x.test") == 0
    throttle.succeeded(database, "never-failed@x.test")  # nothing to forget: no write
    database.dispose()
