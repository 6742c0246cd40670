"""The server voice over HTTP (docs/voice.md, "A server voice"): ``GET /api/reps/{id}/turns/{index}/audio`` speaks a
counterpart turn of the caller's own rep as WAV when the installation chose ``SPARRING_TTS=piper`` (here with the
piper protocol double), and the practice page asks for it; otherwise 503 and the page keeps the browser's voice.
Another learner's rep is 404 whatever the setting."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.testing.web import World, build_world, login
from sparring.web.app import create_app

FAKE = f"{sys.executable} -m sparring.testing.fake_piper"


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data: Path = tmp_path_factory.mktemp("tts-web")
    model = data / "voice.onnx"
    model.write_bytes(b"model")
    settings = Settings(data_dir=data, tts="piper", tts_command=FAKE, tts_voices={"any": str(model)})
    app = create_app(settings)
    yield build_world(app, get_database(settings.resolved_database_url))
    app.state.root.reply_voice.close()
    forget_databases()


def _reply(c: object) -> tuple[int, int, str]:
    r = c.post("/api/reps", json={"scenario": "cs-renewal-discount", "difficulty": "easy"})  # type: ignore[attr-defined]
    assert r.status_code in (200, 201), r.text
    rep_id = int(r.json()["id"])
    turn = c.post(f"/api/reps/{rep_id}/turns", json={"text": "What matters most to you in this renewal?"})  # type: ignore[attr-defined]
    assert turn.status_code == 200, turn.text
    return rep_id, int(turn.json()["reply"]["index"]), str(c.get(f"/reps/{rep_id}").text)  # type: ignore[attr-defined]


def test_the_server_speaks_a_reply(spoken: World) -> None:
    c = login(spoken.app, "learner_a1")
    rep_id, index, page = _reply(c)
    assert 'data-tts="server"' in page
    assert re.search(r'data-tts-gender="female"', page)  # Nadia Brooks
    r = c.get(f"/api/reps/{rep_id}/turns/{index}/audio")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content[:4] == b"RIFF"
    assert c.get(f"/api/reps/{rep_id}/turns/{index - 1}/audio").status_code == 404  # the learner's own line
    other = login(spoken.app, "learner_a2")
    assert other.get(f"/api/reps/{rep_id}/turns/{index}/audio").status_code == 404
    assert other.get(f"/api/reps/{rep_id}/turns/-1/audio").status_code == 422


def test_without_a_server_voice_the_browser_reads(world: World) -> None:
    c = login(world.app, "learner_a1")
    rep_id, index, page = _reply(c)
    assert 'data-tts="browser"' in page
    r = c.get(f"/api/reps/{rep_id}/turns/{index}/audio")
    assert r.status_code == 503 and "SPARRING_TTS=browser" in r.json()["detail"]
