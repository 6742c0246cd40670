"""Audio that cannot be used fails with an error naming the file and the problem, before anything is transcribed
(sparring.asr.audio, sparring.asr.format): mono, mono saved as stereo, silence, not audio at all, damaged, too long
(from the header and while decoding), too large, and a missing ``[asr]`` extra."""

from __future__ import annotations

import builtins
import math
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

from sparring.asr import engine
from sparring.asr.audio import AsrUnavailable, decode
from sparring.asr.format import AUDIO
from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import BUILTIN_FORMATS, Formats, parse_transcript_bytes
from sparring.limits import TranscriptLimits
from sparring.testing.speech import SynthCall, encode, mono, need_asr

FORMATS = Formats([*BUILTIN_FORMATS.by_name.values(), AUDIO])


def _wav(path: Path, channels: list[list[int]], rate: int = 8000) -> bytes:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack(f"<{len(channels)}h", *frame) for frame in zip(*channels, strict=True)))
    return path.read_bytes()


def _tone(seconds: float, hz: float, rate: int = 8000) -> list[int]:
    return [int(8000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(seconds * rate))]


def _error(data: bytes, name: str, **kw: Any) -> str:
    with pytest.raises(TranscriptError) as exc:
        parse_transcript_bytes(data, name, formats=FORMATS, **kw)
    return str(exc.value)


@pytest.fixture(autouse=True)
def _needs_asr() -> None:
    need_asr()


def test_mono_is_refused_with_what_to_do(synth_call: SynthCall, tmp_path: Path) -> None:
    one = mono(synth_call.path, tmp_path / "mono.wav")
    text = _error(one.read_bytes(), str(one))
    assert text.startswith(f"{one}:0: channels: the audio is mono")
    assert "stereo with one speaker per channel" in text


def test_mono_saved_as_stereo_and_silence_are_refused(tmp_path: Path) -> None:
    tone = _tone(1.0, 440)
    assert "both channels carry the same sound" in _error(_wav(tmp_path / "same.wav", [tone, tone]), "same.wav")
    silent = [0] * 8000
    assert _error(_wav(tmp_path / "quiet.wav", [silent, silent]), "quiet.wav") == (
        "quiet.wav:0: audio: the audio is silent: no channel holds any sound")


def test_a_file_that_is_not_audio_or_is_damaged(synth_call: SynthCall) -> None:
    assert _error(b"WEBVTT\n\nnot audio at all\n" * 50, "call.wav") == (
        "call.wav:0: audio: not an audio file: it has no audio stream (wav, mp3 or m4a expected)")
    assert _error(bytes(range(256)) * 40, "noise.mp3").startswith(
        "noise.mp3:0: audio: not a readable audio file (wav, mp3 or m4a expected): ")
    data = synth_call.path.read_bytes()
    assert _error(data[:30], "cut.wav").startswith("cut.wav:0: audio: ")  # the header itself broken off


def test_an_mp3_damaged_in_the_middle_says_where(synth_call: SynthCall, tmp_path: Path) -> None:
    copy = tmp_path / "call.wav"
    copy.write_bytes(synth_call.path.read_bytes())
    data = bytearray(encode(copy, ".mp3").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 2048] = bytes(range(256)) * 8
    text = _error(bytes(data), "damaged.mp3")
    assert text.startswith("damaged.mp3:0: audio: the audio is damaged at about 0:00:1"), text


def test_speech_that_is_only_noise_has_no_turns(tmp_path: Path) -> None:
    left, right = _tone(2.0, 300), _tone(2.0, 1200)
    text = _error(_wav(tmp_path / "tones.wav", [left, right]), "tones.wav")
    assert text == "tones.wav:0: audio: no speech was recognised in the audio"


def test_too_long_by_the_header_and_too_large(synth_call: SynthCall) -> None:
    data = synth_call.path.read_bytes()
    limits = TranscriptLimits(max_audio_seconds=10).with_hints({"audio_seconds": "raise SPARRING_AUDIO_MAX_SECONDS"})
    assert _error(data, "long.wav", limits=limits) == (
        "long.wav:0: duration: the audio is too long (0:00:35; at most 0:00:10); raise SPARRING_AUDIO_MAX_SECONDS"
    ).replace("0:00:35", _clock(synth_call.seconds))
    small = TranscriptLimits(max_audio_bytes=1000)
    assert _error(data, "big.wav", limits=small).startswith(f"big.wav:0: file: the file is too large ({len(data):,} "
                                                           "bytes; at most 1,000)")


def test_too_long_found_while_decoding_when_the_header_does_not_say(tmp_path: Path) -> None:
    wav = _wav(tmp_path / "x.wav", [_tone(3.0, 300), _tone(3.0, 500)])
    with pytest.raises(TranscriptError, match=r"x.wav:0: duration: the audio is too long \(0:00:0[23]; at most "):
        decode(wav, "x.wav", max_seconds=1.0)  # the header says 3 s: refused before decoding
    # a WAV whose header gives no length (a stream written while recording): counted while decoding
    streamed = wav[:4] + b"\xff\xff\xff\xff" + wav[8:40] + b"\xff\xff\xff\xff" + wav[44:]
    with pytest.raises(TranscriptError, match=r"x.wav:0: duration: the audio is too long"):
        decode(streamed, "x.wav", max_seconds=1.0)


def test_a_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_whisper(name: str, *args: Any, **kw: Any) -> Any:
        if name.startswith("faster_whisper"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_whisper)
    with pytest.raises(AsrUnavailable) as exc:
        parse_transcript_bytes(b"RIFF....", "call.wav", formats=FORMATS)
    assert str(exc.value) == ("call.wav:0: asr: audio calls need the optional speech-to-text extra, which is not "
                              "installed (faster-whisper is missing): pip install 'sparring[asr]'")
    assert engine.available() == "faster_whisper"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}"
