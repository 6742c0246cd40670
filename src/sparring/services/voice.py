"""Spoken practice turns (issue 15 item 1; docs/voice.md): the server hears a learner's recording, shows what it
heard for correction, and measures the delivery; the learner then sends the line (as heard or corrected) as an
ordinary turn that refers to the take.

- ``transcribe``: checks that the rep is the learner's own and still running *before* the slow part, then decodes
  and transcribes the recording offline (``sparring.asr.takes``; the optional ``[voice]`` extra), measures the
  take's delivery (``sparring.review.delivery``) and stores the take. The recording is written to the data folder
  only when the installation keeps audio (``SPARRING_VOICE_KEEP_AUDIO``) and the rep's organisation has not turned
  keeping recordings off (its retention, ``services.org_retention``); by default it is never written to disk.
- ``check_unused`` / ``attach``: a turn sent with a take id links the take to that learner turn (one take per turn;
  a take is used once, in its own rep, by its own learner).
- ``discard``: the learner drops a take not sent (the page heard the end of a turn early and the learner went on
  talking; docs/voice.md, "Hearing early"): the row and any kept recording are deleted.
- ``rep_delivery``: the delivery of a rep's spoken turns, as the scorecard shows it beside the rubric.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparring.asr.takes import TAKE_MAX_BYTES, transcribe_take
from sparring.review.delivery import RepDelivery, TakeDelivery, TimedWord, rep_delivery, take_delivery
from sparring.services import org_retention
from sparring.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from sparring.store.db import Database
from sparring.store.models import ConversationRow, Rep
from sparring.store.voice_models import SpeechTake

#: where kept recordings go, under the data folder: ``voice/<conversation id>/<take id><suffix>``
VOICE_DIR = "voice"
#: the containers browsers record in (and WAV, for tests and uploads); anything else is refused by name
SUFFIXES = (".webm", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".wav", ".mp3")
MAX_TAKE_BYTES = TAKE_MAX_BYTES


@dataclass(frozen=True)
class TakeRecord:
    """A transcribed take, as the practice page shows it for review."""

    id: int
    rep_id: int
    text: str
    seconds: float
    words: list[list[Any]]
    delivery: dict[str, Any]
    audio_kept: bool


class VoiceService:
    def __init__(self, db: Database, data_dir: Path | None = None, keep_audio: bool = False):
        self.db = db
        self.data_dir = data_dir
        self.keep_audio = keep_audio and data_dir is not None

    def _own_running_rep(self, s: Session, rep_id: int, owner_id: int) -> Rep:
        rep = s.get(Rep, rep_id)
        conversation = s.get(ConversationRow, rep.conversation_id) if rep is not None else None
        if rep is None or conversation is None or conversation.user_id != owner_id:
            raise NotFound("no such rep")
        if conversation.ended_at is not None or rep.outcome != "in_progress":
            raise Conflict(f"rep {rep_id} has ended: start a new rep to practise again")
        return rep

    def transcribe(self, rep_id: int, owner_id: int, data: bytes, filename: str, *, talked_over_seconds: float = 0.0,
                   waited_seconds: float | None = None) -> TakeRecord:
        """Hear one recording of the owner's running rep ``rep_id`` (``TranscriptError`` for a file that cannot be
        heard, naming it; ``InvalidInput`` for a kind of file that is not a recording)."""
        suffix = PurePath(filename or "take").suffix.lower()
        if suffix and suffix not in SUFFIXES:
            raise InvalidInput(f"{filename}: not a recording ({', '.join(SUFFIXES)} expected)")
        with self.db.read() as s:  # before the slow part: a wrong rep costs no transcription
            conversation_id = self._own_running_rep(s, rep_id, owner_id).conversation_id
        take = transcribe_take(data, filename or "take")
        words = [TimedWord(w.text, w.start, w.end) for w in take.words]
        delivery = take_delivery(words, talked_over_seconds=talked_over_seconds, waited_seconds=waited_seconds)
        with self.db.session() as s:
            row = SpeechTake(conversation_id=conversation_id, user_id=owner_id, text=take.text,
                             words=[[w.text, round(w.start, 3), round(w.end, 3)] for w in words],
                             seconds=round(take.seconds, 3), delivery=delivery.as_dict())
            s.add(row)
            s.flush()
            if self.keep_audio and self._org_keeps_audio(s, conversation_id):
                assert self.data_dir is not None
                rel = Path(VOICE_DIR) / str(conversation_id) / f"{row.id}{suffix or '.bin'}"
                target = self.data_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                row.audio_path = rel.as_posix()
            return TakeRecord(id=row.id, rep_id=rep_id, text=row.text, seconds=row.seconds, words=row.words,
                              delivery=row.delivery, audio_kept=row.audio_path is not None)

    @staticmethod
    def _org_keeps_audio(s: Session, conversation_id: int) -> bool:
        """Whether the conversation's organisation keeps recordings (asked only when the installation does)."""
        conversation = s.get(ConversationRow, conversation_id)
        return conversation is not None and org_retention.keeps_audio(s, conversation.org_id)

    def check_unused(self, take_id: int, rep_id: int, owner_id: int) -> None:
        """Refuse a take that is not this learner's, of this rep, or already sent (before the turn is stored)."""
        with self.db.read() as s:
            self._usable(s, take_id, rep_id, owner_id)

    def _usable(self, s: Session, take_id: int, rep_id: int, owner_id: int) -> SpeechTake:
        rep = s.get(Rep, rep_id)
        take = s.get(SpeechTake, take_id)
        if rep is None or take is None or take.user_id != owner_id or take.conversation_id != rep.conversation_id:
            raise NotFound(f"no such recording (speech_id {take_id}) in rep {rep_id}")
        if take.turn_index is not None:
            raise Conflict(f"recording {take_id} was already sent as turn {take.turn_index}")
        return take

    def attach(self, take_id: int, rep_id: int, owner_id: int, turn_index: int) -> None:
        """Link the take to the learner turn it was sent as."""
        try:
            with self.db.session() as s:
                self._usable(s, take_id, rep_id, owner_id).turn_index = turn_index
        except IntegrityError as exc:
            raise Conflict(f"turn {turn_index} of rep {rep_id} already has a recording") from exc

    def discard(self, take_id: int, rep_id: int, owner_id: int) -> None:
        """Delete the owner's take ``take_id`` of rep ``rep_id`` that was not sent as a turn, with its kept recording
        (``NotFound`` when it is not theirs or not of that rep, ``Conflict`` when it was already sent;
        ``ServiceError`` naming the file when a kept recording cannot be deleted: the take then stays, so the
        retention sweep still knows the file)."""
        with self.db.session() as s:
            take = self._usable(s, take_id, rep_id, owner_id)
            if take.audio_path and self.data_dir is not None:
                try:
                    (self.data_dir / take.audio_path).unlink(missing_ok=True)
                except OSError as exc:
                    raise ServiceError(f"recording {take_id} could not be deleted ({take.audio_path}: "
                                       f"{exc.strerror or exc})") from exc
            s.delete(take)

    def takes(self, rep_id: int) -> dict[int, TakeDelivery]:
        """Learner turn index → the delivery of the take it was sent as (spoken turns only)."""
        with self.db.read() as s:
            rep = s.get(Rep, rep_id)
            if rep is None:
                raise NotFound(f"unknown rep {rep_id}")
            rows = s.scalars(select(SpeechTake).where(SpeechTake.conversation_id == rep.conversation_id,
                                                      SpeechTake.turn_index.is_not(None)))
            return {int(r.turn_index): TakeDelivery.from_dict(r.delivery) for r in rows if r.turn_index is not None}

    def rep_delivery(self, rep_id: int) -> RepDelivery | None:
        """The delivery of the rep's spoken turns; None when none was spoken."""
        return rep_delivery(self.takes(rep_id))
