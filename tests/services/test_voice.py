"""Spoken practice turns as a use case (sparring.services.voice) on SQLite and PostgreSQL: a take is stored with
what was heard and its delivery, checked against the rep *before* the recogniser runs, kept on disk only when the
installation keeps audio and the rep's organisation has not turned keeping off, used once for one learner turn of
its own rep, and summed into the rep's delivery. The recogniser is replaced here by a stub that returns fixed words
(its own tests: tests/asr/test_takes.py; the whole path with real audio: tests/web/test_voice_api.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sparring.services.voice as voice_module
from sparring.asr.takes import Take
from sparring.asr.turns import Word
from sparring.services import org_retention
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.services.voice import VoiceService
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.models import User

SCENARIO = "test-guarded-buyer"
HEARD = "um what would change for you if the checks ran by themselves"


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def fake(data: bytes, file: str = "take", **_: object) -> Take:
        calls.append(file)
        words = tuple(Word(w, 0.4 * i, 0.4 * i + 0.3) for i, w in enumerate(HEARD.split()))
        return Take(text=HEARD, words=words, seconds=5.0)

    monkeypatch.setattr(voice_module, "transcribe_take", fake)
    return calls


def test_a_take_is_stored_and_becomes_a_turn(db: Database, practice: PracticeService, learner: UserRecord,
                                             heard: list[str]) -> None:
    svc = VoiceService(db)
    rep = practice.start_rep(learner, SCENARIO)
    take = svc.transcribe(rep.id, learner.id, b"RIFF...", "turn.webm", talked_over_seconds=0.6, waited_seconds=1.0)
    assert heard == ["turn.webm"] and take.text == HEARD and not take.audio_kept
    assert take.delivery["words"] == 12 and take.delivery["fillers"] == 1
    assert take.delivery["talked_over_seconds"] == 0.6 and take.words[0] == ["um", 0.0, 0.3]
    svc.check_unused(take.id, rep.id, learner.id)
    result = practice.submit_turn(rep.id, "What would change for you if the checks ran by themselves?")
    svc.attach(take.id, rep.id, learner.id, result.learner_turn.index)
    assert set(svc.takes(rep.id)) == {result.learner_turn.index}
    delivery = svc.rep_delivery(rep.id)
    assert delivery is not None and delivery.spoken_turns == 1 and delivery.interruptions == 1
    with pytest.raises(Conflict, match="already sent as turn"):
        svc.check_unused(take.id, rep.id, learner.id)


def test_the_rep_is_checked_before_the_recogniser_runs(db: Database, practice: PracticeService,
                                                       learner: UserRecord, heard: list[str]) -> None:
    svc = VoiceService(db)
    rep = practice.start_rep(learner, SCENARIO)
    other = Accounts(db).create_user("Acme", "kai@acme.test", None, role="learner", team="East")
    with pytest.raises(NotFound):
        svc.transcribe(rep.id, other.id, b"x", "turn.webm")
    with pytest.raises(NotFound):
        svc.transcribe(999_999, learner.id, b"x", "turn.webm")
    with pytest.raises(InvalidInput, match=r"notes\.txt: not a recording"):
        svc.transcribe(rep.id, learner.id, b"x", "notes.txt")
    practice.end_rep(rep.id)
    with pytest.raises(Conflict, match="has ended"):
        svc.transcribe(rep.id, learner.id, b"x", "turn.webm")
    assert heard == []
    assert svc.rep_delivery(rep.id) is None


def test_a_take_belongs_to_its_rep_and_learner(db: Database, practice: PracticeService, learner: UserRecord,
                                               heard: list[str]) -> None:
    svc = VoiceService(db)
    first, second = practice.start_rep(learner, SCENARIO), practice.start_rep(learner, SCENARIO)
    take = svc.transcribe(first.id, learner.id, b"x", "turn.webm")
    other = Accounts(db).create_user("Acme", "kai@acme.test", None, role="learner", team="East")
    with pytest.raises(NotFound, match="no such recording"):
        svc.check_unused(take.id, second.id, learner.id)
    with pytest.raises(NotFound, match="no such recording"):
        svc.check_unused(take.id, first.id, other.id)
    turn = practice.submit_turn(first.id, HEARD).learner_turn.index
    svc.attach(take.id, first.id, learner.id, turn)
    again = svc.transcribe(first.id, learner.id, b"x", "turn.webm")
    with pytest.raises(Conflict, match="already has a recording"):
        svc.attach(again.id, first.id, learner.id, turn)


def test_audio_is_kept_only_when_the_installation_says_so(db: Database, practice: PracticeService,
                                                          learner: UserRecord, heard: list[str],
                                                          tmp_path: Path) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    tmp_path = tmp_path / "data"
    dropped = VoiceService(db, tmp_path, keep_audio=False).transcribe(rep.id, learner.id, b"OggS-1", "a.ogg")
    kept = VoiceService(db, tmp_path, keep_audio=True).transcribe(rep.id, learner.id, b"OggS-2", "b.ogg")
    assert not dropped.audio_kept and kept.audio_kept
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 1 and files[0].startswith("voice/") and files[0].endswith(f"/{kept.id}.ogg")
    assert (tmp_path / files[0]).read_bytes() == b"OggS-2"


def test_audio_is_discarded_when_the_organisation_turned_keeping_off(db: Database, practice: PracticeService,
                                                                     learner: UserRecord, heard: list[str],
                                                                     tmp_path: Path) -> None:
    """The installation keeps audio; Acme's admin turns keeping off (docs/data-ownership.md, "Retention"): Acme's
    takes are transcribed and their audio never written, another organisation's still are."""
    admin = Accounts(db).create_user("Acme", "ada@acme.test", None, role="admin")
    other = Accounts(db).create_user("Globex", "max@globex.test", None, role="learner", team="North")
    with db.session() as s:
        org_retention.update(s, Viewer.of(s.get(User, admin.id)), {"keep_audio": ""}, Settings(voice_keep_audio=True))
    svc = VoiceService(db, tmp_path / "data", keep_audio=True)
    mine = svc.transcribe(practice.start_rep(learner, SCENARIO).id, learner.id, b"OggS-1", "a.ogg")
    theirs = svc.transcribe(practice.start_rep(other, SCENARIO).id, other.id, b"OggS-2", "b.ogg")
    assert not mine.audio_kept and mine.text == HEARD and theirs.audio_kept
    files = [p.name for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert files == [f"{theirs.id}.ogg"]


def test_a_take_not_sent_can_be_discarded_with_its_recording(db: Database, practice: PracticeService,
                                                             learner: UserRecord, heard: list[str],
                                                             tmp_path: Path) -> None:
    """The page hears the end of a turn early and the learner goes on talking (docs/voice.md, "Hearing early"): the
    early take is discarded, row and kept recording; a take already sent, or another learner's, is refused."""
    tmp_path = tmp_path / "data"
    svc = VoiceService(db, tmp_path, keep_audio=True)
    rep = practice.start_rep(learner, SCENARIO)
    early = svc.transcribe(rep.id, learner.id, b"OggS-early", "a.ogg")
    sent = svc.transcribe(rep.id, learner.id, b"OggS-whole", "b.ogg")
    assert early.audio_kept and len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2
    other = Accounts(db).create_user("Globex", "max@globex.test", None, role="learner", team="North")
    with pytest.raises(NotFound):
        svc.discard(early.id, rep.id, other.id)
    svc.discard(early.id, rep.id, learner.id)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{sent.id}.ogg"]
    with pytest.raises(NotFound):
        svc.discard(early.id, rep.id, learner.id)  # gone
    result = practice.submit_turn(rep.id, HEARD)
    svc.attach(sent.id, rep.id, learner.id, result.learner_turn.index)
    with pytest.raises(Conflict, match="already sent"):
        svc.discard(sent.id, rep.id, learner.id)
    assert set(svc.takes(rep.id)) == {result.learner_turn.index}


def test_a_recording_that_cannot_be_deleted_keeps_its_take(db: Database, practice: PracticeService,
                                                           learner: UserRecord, heard: list[str],
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = tmp_path / "data"
    svc = VoiceService(db, tmp_path, keep_audio=True)
    rep = practice.start_rep(learner, SCENARIO)
    take = svc.transcribe(rep.id, learner.id, b"OggS-early", "a.ogg")

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(ServiceError, match=rf"recording {take.id} could not be deleted \(voice/.*Permission denied"):
        svc.discard(take.id, rep.id, learner.id)
    monkeypatch.undo()
    svc.check_unused(take.id, rep.id, learner.id)  # still there: the sweep still knows its file
