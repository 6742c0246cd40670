"""Spoken practice turns over the JSON API (docs/voice.md), with real audio made by espeak-ng and heard by the
offline recogniser: a learner sends a recording of their turn (WebM/Opus, as Chromium records), gets back what was
heard and its delivery, sends the line (corrected) with ``speech_id``, the counterpart answers, and the rep's
delivery counts the spoken turn. Errors: someone else's rep, no audio, a recording used twice, bad timings.
Skipped without the ``[voice]``/``[asr]`` extra and espeak-ng (a failure when CI=true)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.testing.speech import encode_webm, heard, need_asr, synthesize_take
from sparring.testing.web import World, login

LINE = "What would change for your team if the renewal price stayed where it is?"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    need_asr()
    wav = synthesize_take([LINE], tmp_path_factory.mktemp("voice") / "turn.wav")
    return encode_webm(wav).read_bytes()


def _start(c: object, scenario: str = "cs-renewal-discount") -> int:
    r = c.post("/api/reps", json={"scenario": scenario, "difficulty": "easy"})  # type: ignore[attr-defined]
    assert r.status_code in (200, 201), r.text
    return int(r.json()["id"])


def test_a_spoken_turn_end_to_end(world: World, recording: bytes) -> None:
    c = login(world.app, "learner_a1")
    rep_id = _start(c)
    r = c.post(f"/api/reps/{rep_id}/speech", files={"audio": ("turn.webm", recording, "audio/webm")},
               data={"talked_over_seconds": "0.4", "waited_seconds": "1.5"})
    assert r.status_code == 201, r.text
    take = r.json()
    assert heard(take["text"], LINE) >= 0.8, take["text"]
    assert take["delivery"]["words"] >= 10 and take["delivery"]["talked_over_seconds"] == 0.4
    assert take["audio_kept"] is False and take["words"][0][1] >= 0
    corrected = LINE  # the learner fixes a misheard word before sending
    turn = c.post(f"/api/reps/{rep_id}/turns", json={"text": corrected, "speech_id": take["speech_id"]})
    assert turn.status_code == 200, turn.text
    assert turn.json()["learner_turn"]["text"] == corrected and turn.json()["reply"]
    delivery = c.get(f"/api/reps/{rep_id}/delivery").json()["delivery"]
    assert delivery["spoken_turns"] == 1 and delivery["interruptions"] == 1
    assert any(f["kind"] == "interruption" for f in delivery["findings"])
    again = c.post(f"/api/reps/{rep_id}/turns", json={"text": "Same again.", "speech_id": take["speech_id"]})
    assert again.status_code == 409 and "already sent" in again.json()["detail"]
    typed = c.post(f"/api/reps/{rep_id}/turns", json={"text": "And what does the budget look like?"})
    assert typed.status_code == 200  # typed turns are unchanged


def test_errors_name_the_problem(world: World, recording: bytes) -> None:
    owner, other = login(world.app, "learner_a1"), login(world.app, "learner_a2")
    rep_id = _start(owner)
    files = {"audio": ("turn.webm", recording, "audio/webm")}
    assert other.post(f"/api/reps/{rep_id}/speech", files=files).status_code == 404
    assert other.get(f"/api/reps/{rep_id}/delivery").status_code == 404
    no_audio = owner.post(f"/api/reps/{rep_id}/speech", data={"waited_seconds": "1"}, files={"x": ("a", b"b")})
    assert no_audio.status_code == 400 and "audio" in no_audio.json()["detail"]
    bad = owner.post(f"/api/reps/{rep_id}/speech", files=files, data={"waited_seconds": "-2"})
    assert bad.status_code == 400 and "waited_seconds" in bad.json()["detail"]
    text = owner.post(f"/api/reps/{rep_id}/speech", files={"audio": ("notes.txt", b"hello", "text/plain")})
    assert text.status_code == 400 and "not a recording" in text.json()["detail"]
    junk = owner.post(f"/api/reps/{rep_id}/speech", files={"audio": ("turn.webm", b"not audio at all", "audio/webm")})
    assert junk.status_code == 400 and "turn.webm" in junk.json()["detail"]
    ghost = owner.post(f"/api/reps/{rep_id}/turns", json={"text": "Hello.", "speech_id": 987654})
    assert ghost.status_code == 404 and "no such recording" in ghost.json()["detail"]
    assert owner.get(f"/api/reps/{rep_id}/delivery").json() == {"rep_id": rep_id, "delivery": None}
    # nothing was stored by the refused turn
    rep = owner.get(f"/api/reps/{rep_id}").json()
    assert [t["text"] for t in rep["turns"] if t["role"] == "learner"] == []


def test_a_take_heard_early_is_discarded(world: World, recording: bytes) -> None:
    """The page hears a take early and the learner goes on talking (docs/voice.md, "Hearing early"): it discards
    that take; only the owner may, only a take not sent, and only with the CSRF header."""
    owner, other = login(world.app, "learner_a1"), login(world.app, "learner_a2")
    rep_id = _start(owner)
    take = owner.post(f"/api/reps/{rep_id}/speech", files={"audio": ("turn.webm", recording, "audio/webm")}).json()
    url = f"/api/reps/{rep_id}/speech/{take['speech_id']}"
    assert other.delete(url).status_code == 404
    no_token = owner.delete(url, headers={"X-CSRF-Token": "x"})
    assert no_token.status_code == 403
    gone = owner.delete(url)
    assert gone.status_code == 204 and gone.content == b""
    assert owner.delete(url).status_code == 404
    sent = owner.post(f"/api/reps/{rep_id}/turns", json={"text": LINE, "speech_id": take["speech_id"]})
    assert sent.status_code == 404 and "no such recording" in sent.json()["detail"]  # a discarded take is gone


def test_the_openapi_documents_the_speech_upload(world: World) -> None:
    c = login(world.app, "learner_a1")
    spec = c.get("/api/openapi.json").json()
    body = spec["paths"]["/api/reps/{rep_id}/speech"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert "audio" in body["schema"]["properties"]
    assert "speech_id" in spec["components"]["schemas"]["TurnIn"]["properties"]
    assert "204" in spec["paths"]["/api/reps/{rep_id}/speech/{speech_id}"]["delete"]["responses"]


def test_a_recording_file_is_never_written_unless_kept(world: World, recording: bytes, tmp_path: Path) -> None:
    data_dir = world.app.state.root.settings.data_dir
    before = set(Path(data_dir).rglob("*.webm"))
    c = login(world.app, "learner_a1")
    rep_id = _start(c)
    assert c.post(f"/api/reps/{rep_id}/speech", files={"audio": ("t.webm", recording, "audio/webm")}).status_code == 201
    assert set(Path(data_dir).rglob("*.webm")) == before


def test_the_scorecard_shows_how_it_sounded(world: World, recording: bytes) -> None:
    learner, manager = login(world.app, "learner_a1"), login(world.app, "manager_a")
    spoken, typed = _start(learner), _start(learner)
    take = learner.post(f"/api/reps/{spoken}/speech", files={"audio": ("t.webm", recording, "audio/webm")},
                        data={"talked_over_seconds": "1.0"}).json()
    assert learner.post(f"/api/reps/{spoken}/turns", json={"text": take["text"],
                                                           "speech_id": take["speech_id"]}).status_code == 200
    assert learner.post(f"/api/reps/{typed}/turns", json={"text": LINE}).status_code == 200
    for rep_id in (spoken, typed):
        assert learner.post(f"/api/reps/{rep_id}/end", json={}).status_code == 200
    page = learner.get(f"/reps/{spoken}/scorecard").text
    assert "How it sounded" in page and "You spoke 1 turn" in page and "words a minute" in page
    assert 'href="#turn-1">Turn 1</a>: talked over' in page
    assert "How it sounded" in manager.get(f"/reps/{spoken}/scorecard").text  # the manager sees the same facts
    assert "How it sounded" not in learner.get(f"/reps/{typed}/scorecard").text
    token = learner.headers["X-CSRF-Token"]
    privacy = learner.post(f"/reps/{spoken}/privacy", data={"private": "on", "csrf_token": token})
    assert privacy.status_code == 303
    assert "How it sounded" not in manager.get(f"/reps/{spoken}/scorecard").text  # private: the score only
