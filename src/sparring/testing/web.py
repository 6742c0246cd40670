"""Helpers for tests of the web app and of web routers from plugins, on FastAPI's ``TestClient``: a world of two
organisations with every role and reps in every state (``build_world``), signing in through the JSON API
(``login``) or with an API token (``api_token``, ``bearer``), the CSRF token of a page (``csrf_of``) and the events
of a server-sent-events body (``sse_events``);
for browser tests, a real server over an organisation of a few people (``served_org``) and signing in on its login
page (``sign_in``).

The world's reps are played through the real embedded engines on the built-in scenario ``SCENARIO``; every user's
password is ``PASSWORD`` and their e-mail ``email(key)``, e.g. ``learner_a1@acme.test``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.store.db import Database

PASSWORD = "correct horse battery"
SCENARIO = "cs-renewal-discount"
LINES = [
    "Thanks for the time. What would a good outcome look like for you this year?",
    "That makes sense. It sounds like you are under pressure to show savings to the new COO.",
    "What is driving the concern most, the budget or the unused module?",
]


@dataclass
class World:
    app: FastAPI
    database: Database
    practice: PracticeService
    users: dict[str, int] = field(default_factory=dict)
    reps: dict[str, int] = field(default_factory=dict)


def _user(accounts: Accounts, org: str, key: str, role: str, team: str | None, world: World) -> None:
    rec = accounts.create_user(org, f"{key}@{org.lower()}.test", PASSWORD, role=role, team=team, name=key.title())
    world.users[key] = rec.id


def _rep(world: World, user: str, *, end: bool = True, score: bool = True, private: bool = False) -> int:
    svc = world.practice
    rep = svc.start_rep(Accounts(world.database).get_user(world.users[user]), SCENARIO, "easy", private=private)
    for line in LINES:
        if svc.submit_turn(rep.id, line).ended:
            break
    if end:
        svc.end_rep(rep.id)
        if score:
            svc.score_rep(rep.id)
    return rep.id


def build_world(app: FastAPI, database: Database) -> World:
    # the app's own engines (its composition root's), over the test's database
    practice = PracticeService(database, persona=lambda: app.state.root.persona, scorer=lambda: app.state.root.scorer)
    app.state.practice = practice
    w = World(app=app, database=database, practice=practice)
    accounts = Accounts(database)
    _user(accounts, "Acme", "admin_a", "admin", None, w)
    _user(accounts, "Acme", "manager_a", "manager", "East", w)
    _user(accounts, "Acme", "learner_a1", "learner", "East", w)
    _user(accounts, "Acme", "learner_a2", "learner", "East", w)
    _user(accounts, "Acme", "learner_a3", "learner", "West", w)
    _user(accounts, "Globex", "admin_b", "admin", None, w)
    _user(accounts, "Globex", "manager_b", "manager", "North", w)
    _user(accounts, "Globex", "learner_b1", "learner", "North", w)
    w.reps["a1_public"] = _rep(w, "learner_a1")
    w.reps["a1_private"] = _rep(w, "learner_a1", private=True)
    w.reps["a2_open"] = _rep(w, "learner_a2", end=False)
    w.reps["a3_west"] = _rep(w, "learner_a3")
    w.reps["b1"] = _rep(w, "learner_b1")
    return w


def email(key: str) -> str:
    org = "acme" if key.endswith(("_a", "_a1", "_a2", "_a3")) else "globex"
    return f"{key}@{org}.test"


def login(app: FastAPI, key: str) -> TestClient:
    return signed_in_client(app, email(key), PASSWORD)


def signed_in_client(app: FastAPI, address: str, password: str = PASSWORD) -> TestClient:
    """A TestClient of ``app`` signed in through the JSON API as ``address``, carrying its CSRF token."""
    client = TestClient(app, follow_redirects=False)
    r = client.post("/api/auth/login", json={"email": address, "password": password})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def api_token(world: World, key: str, *, role: str | None = None, name: str = "test token") -> str:
    """A new API token (docs/api.md) acting as ``key`` with ``role`` (default: the account's own), made by an admin
    of their organisation as the admin page does."""
    from sparring.services.access import Viewer
    from sparring.services.api_tokens import create_token
    from sparring.store.models import User

    with world.database.session() as s:
        user = s.get(User, world.users[key])
        assert user is not None
        admin = s.query(User).filter(User.org_id == user.org_id, User.role == "admin").order_by(User.id).first()
        assert admin is not None
        return create_token(s, Viewer.of(admin), name=name, role=role or user.role, user_id=user.id).secret


def bearer(app: FastAPI, token: str) -> TestClient:
    """A client that sends ``Authorization: Bearer <token>`` on every request (and no cookie)."""
    return TestClient(app, follow_redirects=False, headers={"Authorization": f"Bearer {token}"})


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


def sse_events(body: str) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in body.strip().split("\n\n"):
        name, data = "", ""
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        out.append((name, json.loads(data)))
    return out


@contextmanager
def served_org(data_dir: Path, org: str, people: Sequence[tuple[str, str, str]], *, team: str = "Field",
               settings: Mapping[str, object] | None = None) -> Iterator[str]:
    """A real server (``served_web_app``) over a new SQLite database in ``data_dir`` holding organisation ``org`` with
    ``people`` — (e-mail, role, name) each, all in ``team``, password ``PASSWORD``; yields its base URL."""
    from sparring.testing.processes import served_web_app

    database = Database(f"sqlite:///{data_dir / 'sparring.db'}")
    accounts = Accounts(database)
    for address, role, name in people:
        accounts.create_user(org, address, PASSWORD, role=role, team=team, name=name)
    database.dispose()
    with served_web_app(data_dir, settings) as base:
        yield base


def sign_in(page: Any, base: str, address: str, password: str = PASSWORD) -> None:
    """Sign in on the login page of a served app in a Playwright ``page`` (any earlier session's cookies dropped)."""
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#email", address)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def loopback_only(context: Any, base: str) -> list[str]:
    """Refuse every request of a Playwright browser ``context`` that does not go to ``base`` (the served app); the
    returned list collects the refused URLs, so a test can assert that nothing tried to leave (a CDN, a cloud
    service)."""
    refused: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return refused
