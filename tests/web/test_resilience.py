"""Persist before compute, through the web: when the persona engine fails, the learner's line is kept and
the page can fetch the reply later."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.testing.web import PASSWORD, SCENARIO, sse_events
from sparring.web.app import create_app


class FlakyPersona:
    """The embedded engine, except that it fails while ``broken`` is set."""

    name = "embedded"

    def __init__(self) -> None:
        self.inner = EmbeddedPersonaEngine()
        self.broken = False

    def open(self, *args: Any) -> Any:
        return self.inner.open(*args)

    def reply(self, *args: Any) -> Any:
        if self.broken:
            raise RuntimeError("model server went away")
        return self.inner.reply(*args)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, FlakyPersona, PracticeService]]:
    settings = Settings(data_dir=tmp_path / "data")
    database = Database(settings.resolved_database_url)
    Accounts(database).create_user("Acme", "lee@acme.test", PASSWORD, role="learner", team="East")
    app = create_app(settings, warm_up=False)
    persona = FlakyPersona()
    practice = PracticeService(database, persona=persona)
    app.state.practice = practice
    client = TestClient(app, follow_redirects=False)
    r = client.post("/api/auth/login", json={"email": "lee@acme.test", "password": PASSWORD})
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    yield client, persona, practice
    database.dispose()


def test_engine_failure_keeps_the_line_and_the_reply_comes_later(
    setup: tuple[TestClient, FlakyPersona, PracticeService],
) -> None:
    client, persona, practice = setup
    r = client.post("/reps", data={"scenario": SCENARIO, "difficulty": "easy"})
    rep_id = int(r.headers["location"].rsplit("/", 1)[1])
    persona.broken = True
    events = sse_events(client.post(f"/reps/{rep_id}/turns", json={"text": "What matters most to you?"}).text)
    assert [e[0] for e in events] == ["saved", "failure"]
    assert "persona engine failed" in str(events[1][1]["message"])
    stored = practice.get_rep(rep_id)
    assert stored.awaiting_reply and stored.turns[-1].text == "What matters most to you?"
    page = client.get(f"/reps/{rep_id}")
    assert 'data-pending="true"' in page.text
    busy = client.post(f"/reps/{rep_id}/turns", json={"text": "Hello?"})
    assert busy.status_code == 409  # the saved line must be answered first
    persona.broken = False
    # asking for the reply writes a turn: never on a GET, and never without the CSRF header
    assert client.get(f"/reps/{rep_id}/reply").status_code == 405
    assert client.post(f"/reps/{rep_id}/reply", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert practice.get_rep(rep_id).awaiting_reply
    events = sse_events(client.post(f"/reps/{rep_id}/reply").text)
    assert events[-1][0] == "done" and events[-1][1]["text"]
    after = practice.get_rep(rep_id)
    assert not after.awaiting_reply and after.turns[-1].role == "counterpart"
    assert 'data-pending="false"' in client.get(f"/reps/{rep_id}").text


def test_bad_turns_get_clear_errors(setup: tuple[TestClient, FlakyPersona, PracticeService]) -> None:
    client, _persona, _practice = setup
    r = client.post("/reps", data={"scenario": SCENARIO, "difficulty": "easy"})
    rep_id = int(r.headers["location"].rsplit("/", 1)[1])
    empty = client.post(f"/reps/{rep_id}/turns", json={"text": "   "})
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    missing = client.post(f"/reps/{rep_id}/turns", json={})
    assert missing.status_code == 422 and "text" in missing.json()["detail"]
    unknown = client.post("/reps", data={"scenario": "no-such-scenario", "difficulty": "easy"})
    assert unknown.status_code == 404
    bad_level = client.post("/reps", data={"scenario": SCENARIO, "difficulty": "extreme"})
    assert bad_level.status_code == 400 and "difficulty" in bad_level.json()["detail"]
    client.post(f"/reps/{rep_id}/end", data={"csrf_token": client.headers["X-CSRF-Token"]})
    ended = client.post(f"/reps/{rep_id}/turns", json={"text": "One more thing"})
    assert ended.status_code == 409
