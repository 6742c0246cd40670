"""Replies spoken by the server voice (sparring.services.reply_voice; docs/voice.md, "A server voice") on SQLite
and PostgreSQL, with the piper protocol double (``sparring.testing.fake_piper``; piper itself: tests/tts): only a
counterpart turn of the viewer's own rep is spoken, a spoken reply is kept and not synthesised twice, the persona's
gender hint picks the voice model and its rate the speed, and a server without a voice says why."""

from __future__ import annotations

import io
import sys
import wave
from pathlib import Path

import pytest

from sparring.content.scenario import PersonaVoice
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.services.reply_voice import ReplyVoice
from sparring.store.db import Database
from sparring.store.models import User
from sparring.tts.piper import SpeechError

SCENARIO = "test-guarded-buyer"
FAKE = f"{sys.executable} -m sparring.testing.fake_piper"


def _viewer(db: Database, user: UserRecord) -> Viewer:
    with db.read() as s:
        row = s.get(User, user.id)
        assert row is not None
        return Viewer.of(row)


def _models(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name in ("female", "male"):
        path = tmp_path / f"{name}.onnx"
        path.write_bytes(b"model")
        out[name] = str(path)
    return out


def _heard(model: str) -> list[str]:
    path = Path(f"{model}.heard")
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


def test_a_reply_is_spoken_once_in_the_personas_voice(db: Database, practice: PracticeService, learner: UserRecord,
                                                      tmp_path: Path) -> None:
    models = _models(tmp_path)
    voice = ReplyVoice(db, tmp_path / "data", voices=models, command=FAKE)
    rep = practice.start_rep(learner, SCENARIO)
    reply = practice.submit_turn(rep.id, "What would change for you if the checks ran by themselves?").reply
    assert reply is not None
    viewer = _viewer(db, learner)
    female = PersonaVoice(gender="female", rate=1.0)
    try:
        first = voice.turn_audio(viewer, rep.id, reply.index, lambda *_: female)
        again = voice.turn_audio(viewer, rep.id, reply.index, lambda *_: female)
        assert first == again and first[:4] == b"RIFF"
        assert _heard(models["female"]) == [" ".join(reply.text.split())]  # kept: synthesised once
        slow = voice.turn_audio(viewer, rep.id, reply.index, lambda *_: PersonaVoice(gender="male", rate=0.8))
        fast = voice.turn_audio(viewer, rep.id, reply.index, lambda *_: PersonaVoice(gender="male", rate=1.25))
        assert len(_heard(models["male"])) == 2 and _seconds(slow) > _seconds(fast)
        # no voice in the scenario: the fallback model (the first configured when there is no "any" nor package)
        assert voice.turn_audio(viewer, rep.id, reply.index, lambda *_: None)[:4] == b"RIFF"
    finally:
        voice.close()


def test_only_a_counterpart_turn_of_ones_own_rep(db: Database, practice: PracticeService, learner: UserRecord,
                                                 tmp_path: Path) -> None:
    voice = ReplyVoice(db, tmp_path / "data", voices=_models(tmp_path), command=FAKE)
    rep = practice.start_rep(learner, SCENARIO)
    result = practice.submit_turn(rep.id, "Hello, thanks for your time today.")
    other = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East")
    stranger = Accounts(db).create_user("Globex", "max@globex.test", None, role="admin", team="HQ")
    try:
        for who in (other, stranger):
            with pytest.raises(NotFound):
                voice.turn_audio(_viewer(db, who), rep.id, 1, lambda *_: None)
        with pytest.raises(NotFound, match="no counterpart turn"):
            voice.turn_audio(_viewer(db, learner), rep.id, result.learner_turn.index, lambda *_: None)
        with pytest.raises(NotFound, match="no counterpart turn 99"):
            voice.turn_audio(_viewer(db, learner), rep.id, 99, lambda *_: None)
    finally:
        voice.close()


def test_a_server_without_a_voice_says_why(db: Database, practice: PracticeService, learner: UserRecord,
                                          tmp_path: Path) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    reply = practice.submit_turn(rep.id, "Hello, thanks for your time today.").reply
    assert reply is not None
    off = ReplyVoice(db, tmp_path, enabled=False, voices=_models(tmp_path), command=FAKE)
    assert "SPARRING_TTS=browser" in (off.missing() or "")
    with pytest.raises(SpeechError, match="SPARRING_TTS=browser"):
        off.turn_audio(_viewer(db, learner), rep.id, reply.index, lambda *_: None)
    nowhere = ReplyVoice(db, tmp_path, voices=_models(tmp_path), command=f"{tmp_path / 'nope'} -m piper")
    assert "does not exist" in (nowhere.missing() or "")
