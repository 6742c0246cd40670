"""A learner's spoken turn heard offline (sparring.asr.takes): a mono recording as WAV and as WebM/Opus (what
Chromium's MediaRecorder uploads), made with espeak-ng, is transcribed with word times; the planted pause is
where the words say; too large, silent and non-audio recordings fail naming the take. Skipped without the extra
and tools (a failure when CI=true)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from sparring.conversation.errors import TranscriptError
from sparring.testing.speech import encode_webm, heard, need_asr, synthesize_take

FIRST = "What would change for your team if the invoices were checked automatically?"
SECOND = "And who else would need to agree?"


@pytest.fixture(scope="module")
def take_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_asr()
    return synthesize_take([FIRST, SECOND], tmp_path_factory.mktemp("take") / "take.wav", pause=2.5)


@pytest.mark.parametrize("kind", ["wav", "webm"])
def test_a_spoken_turn_is_heard_with_its_word_times(take_wav: Path, kind: str) -> None:
    from sparring.asr.takes import transcribe_take

    path = take_wav if kind == "wav" else encode_webm(take_wav)
    take = transcribe_take(path.read_bytes(), path.name)
    assert heard(take.text, f"{FIRST} {SECOND}") >= 0.8, take.text
    assert 8.0 < take.seconds < 11.0
    starts = [w.start for w in take.words]
    assert starts == sorted(starts)
    # the planted 2.5 s pause sits between "automatically" and "And"
    gaps = [(b.start - a.end, a.text, b.text) for a, b in zip(take.words, take.words[1:], strict=False)]
    widest = max(gaps)
    assert widest[0] > 1.8 and "automatic" in widest[1].lower(), gaps


def test_recordings_that_cannot_be_heard_name_the_take(take_wav: Path, tmp_path: Path) -> None:
    from sparring.asr.takes import transcribe_take

    with pytest.raises(TranscriptError, match=r"turn-3\.wav.*too large"):
        transcribe_take(take_wav.read_bytes(), "turn-3.wav", max_bytes=1000)
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(b"\0\0" * 16_000 * 2)
    with pytest.raises(TranscriptError, match=r"silent\.wav.*silent"):
        transcribe_take(silent.read_bytes(), "silent.wav")
    with pytest.raises(TranscriptError, match=r"notes\.webm.*not a readable audio file"):
        transcribe_take(b"these are my notes, not audio", "notes.webm")
    with pytest.raises(TranscriptError, match=r"long\.wav.*too long"):
        transcribe_take(take_wav.read_bytes(), "long.wav", max_seconds=3.0)
