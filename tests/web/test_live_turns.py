"""A persona that writes over time (an LLM) reaches the page as it writes: ``saved`` as soon as the line is
committed, each sentence as the engine yields it, then ``done``. Checked through a real uvicorn server on
loopback, so the events are seen arriving before the reply is finished — not a buffered body."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from sparring.persona.base import PersonaReply
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.testing.web import PASSWORD, SCENARIO, sse_events
from sparring.web.app import create_app


class SlowWriter:
    """The embedded engine's reply, written sentence by sentence like an LLM; waits on ``gate`` before the last
    sentence, and records whether the learner's line was already committed when it started writing."""

    name = "llm"
    streams_text = True

    def __init__(self) -> None:
        self.inner = EmbeddedPersonaEngine()
        self.gate = threading.Event()
        self.practice: PracticeService | None = None
        self.saved_before_writing: list[bool] = []
        self.fail_after_first = False
        self.rep_ids: list[int] = []

    def open(self, *args: Any) -> Any:
        return self.inner.open(*args)

    def reply(self, *args: Any) -> Any:
        raise AssertionError("a streaming engine is asked for its stream")

    def stream_reply(self, scenario: Any, state: Any, conversation: Any) -> Iterator[str | PersonaReply]:
        last = conversation.turns[-1]
        assert self.practice is not None
        stored = [self.practice.get_rep(i) for i in self.rep_ids]
        self.saved_before_writing.append(any(r.turns and r.turns[-1].text == last.text for r in stored))
        reply = self.inner.reply(scenario, state, conversation).model_copy(
            update={"text": "First sentence here. Second one comes later.", "engine": "llm:fake"})
        yield "First sentence here. "
        if self.fail_after_first:
            raise RuntimeError("the model server went away mid-reply")
        assert self.gate.wait(10), "the test never opened the gate"
        yield "Second one comes later."
        yield reply


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, SlowWriter, dict[str, str], httpx.Cookies]]:
    settings = Settings(data_dir=tmp_path / "data")
    database = Database(settings.resolved_database_url)
    Accounts(database).create_user("Acme", "lee@acme.test", PASSWORD, role="learner", team="East")
    Accounts(database).create_user("Acme", "kim@acme.test", PASSWORD, role="learner", team="East")
    app = create_app(settings, warm_up=False)
    persona = SlowWriter()
    practice = PracticeService(database, persona=persona)
    persona.practice = practice
    app.state.practice = practice
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    r = httpx.post(f"{base}/api/auth/login", json={"email": "lee@acme.test", "password": PASSWORD})
    headers = {"X-CSRF-Token": r.json()["csrf_token"]}
    yield base, persona, headers, r.cookies
    persona.gate.set()
    server.should_exit = True
    thread.join(10)
    database.dispose()


def _start(base: str, headers: dict[str, str], cookies: httpx.Cookies, persona: SlowWriter) -> int:
    r = httpx.post(f"{base}/reps", data={"scenario": SCENARIO, "difficulty": "easy"}, headers=headers,
                   cookies=cookies)
    assert r.status_code == 303, r.text
    rep_id = int(r.headers["location"].rsplit("/", 1)[1])
    persona.rep_ids.append(rep_id)
    return rep_id


def _read_events(lines: Iterator[str], until: str) -> list[str]:
    seen = []
    for line in lines:
        if line.startswith("event: "):
            seen.append(line[7:])
            if line[7:] == until:
                return seen
    return seen


def test_sentences_arrive_while_the_model_is_still_writing(
    live: tuple[str, SlowWriter, dict[str, str], httpx.Cookies],
) -> None:
    base, persona, headers, cookies = live
    rep_id = _start(base, headers, cookies, persona)
    with httpx.stream("POST", f"{base}/reps/{rep_id}/turns", json={"text": "What matters most to you?"},
                      headers=headers, cookies=cookies, timeout=15) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        # the engine is blocked before its last sentence, yet the line and the first sentence are here
        assert _read_events(lines, "delta") == ["saved", "delta"]
        persona.gate.set()
        rest = _read_events(lines, "done")
    assert rest == ["delta", "done"]
    assert persona.saved_before_writing == [True]  # committed before the engine wrote a word
    page = httpx.get(f"{base}/reps/{rep_id}", cookies=cookies).text
    assert "Second one comes later." in page  # the reply is stored


def test_problems_before_saving_are_http_errors_and_after_saving_a_failure_event(
    live: tuple[str, SlowWriter, dict[str, str], httpx.Cookies],
) -> None:
    base, persona, headers, cookies = live
    rep_id = _start(base, headers, cookies, persona)
    empty = httpx.post(f"{base}/reps/{rep_id}/turns", json={"text": "  "}, headers=headers, cookies=cookies)
    assert empty.status_code == 400
    kim = httpx.post(f"{base}/api/auth/login", json={"email": "kim@acme.test", "password": PASSWORD})
    foreign = httpx.post(f"{base}/reps/{rep_id}/turns", json={"text": "Hi"}, cookies=kim.cookies,
                         headers={"X-CSRF-Token": kim.json()["csrf_token"]})
    assert foreign.status_code == 404
    persona.fail_after_first = True
    r = httpx.post(f"{base}/reps/{rep_id}/turns", json={"text": "What matters most to you?"}, headers=headers,
                   cookies=cookies, timeout=15)
    events = sse_events(r.text)
    assert [e[0] for e in events] == ["saved", "delta", "failure"]
    assert "persona engine failed" in str(events[-1][1]["message"])
    assert persona.practice is not None and persona.practice.get_rep(rep_id).awaiting_reply  # the line is kept
