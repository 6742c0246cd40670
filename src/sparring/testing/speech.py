"""Synthesised call recordings for tests and benchmarks of audio import (docs/calls.md, "Audio"; bench/asr.py).

``synthesize_call(script, path)`` speaks each line of a two-speaker script with Debian's ``espeak-ng`` (one voice
per speaker), places the lines on a timeline (a pause between turns, or a planted overlap or silence), and writes a
stereo WAV with one speaker per channel, mixed by ``sox -M`` as a call recorder would write it. The timeline it
planned is returned, so a test knows where every line starts and ends. ``encode(wav, suffix)`` re-encodes a file
as MP3 or M4A (AAC) with PyAV (the ``[asr]`` extra).

Nothing here is fetched: espeak-ng and sox are Debian packages (``./dev test`` installs them). ``missing()`` says
which tool is absent, for a test's skip reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: espeak-ng's output rate
RATE = 22_050
#: a voice per channel: left (the rep, by call recorders' habit) and right
VOICES = ("en-us", "en-us+f3")
#: words a minute
SPEED = 165
#: seconds between one turn's end and the next one's start, when a line says nothing else
GAP = 0.5


@dataclass(frozen=True)
class Line:
    """One line of a script: who says it (channel 0 or 1) and what. ``pause`` is extra silence before it (a planted
    long silence); ``overlap`` starts it that many seconds before the previous line ends (a planted interruption)."""

    channel: int
    text: str
    pause: float = 0.0
    overlap: float = 0.0


@dataclass(frozen=True)
class Spoken:
    """A line as placed on the call's timeline (seconds)."""

    channel: int
    text: str
    start: float
    end: float


@dataclass
class SynthCall:
    path: Path
    seconds: float
    lines: list[Spoken] = field(default_factory=list)


#: a short discovery call: the rep (left) opens; two of their lines in a row (one turn once merged); the rep cuts in
#: on the customer's price objection (a planted interruption, turns 3 → 4) and later answers after a long silence
#: (planted, turns 5 → 6)
CALL_SCRIPT = [
    Line(0, "Hi Dana, this is Sam from Acme. Thanks for taking the time today."),
    Line(1, "Sure, happy to talk. We are looking at options for next year."),
    Line(0, "Great."),
    Line(0, "What is the biggest problem with your current setup?"),
    Line(1, "Honestly the price is too high and the reports are slow."),
    Line(0, "Let me tell you about our new reporting dashboard right now.", overlap=1.5),
    Line(1, "We already use Beacon for reporting."),
    Line(0, "I see. What would have to change for you to switch?", pause=7.0),
]


def missing() -> str | None:
    """The name of a tool this module needs that is not installed, else None."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            return tool
    return None


def need_asr() -> None:
    """In a test: skip without the ``[asr]`` extra, espeak-ng or sox, saying which; a failure when CI=true (CI
    installs all three: ./dev test)."""
    import pytest

    from sparring.asr.engine import available

    extra, tool = available(), missing()
    if extra is None and tool is None:
        return
    problem = (f"the [asr] extra is not installed ({extra} missing; pip install 'sparring[asr]')" if extra
               else f"{tool} is not installed (apt-get install espeak-ng sox)")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem} (CI=true: the audio tests must run; ./dev test installs them)")
    pytest.skip(problem)


def heard(said: str, expected: str) -> float:
    """The share of the words of ``expected`` found in ``said`` (a tolerant check: tiny.en mishears some)."""
    want = set(re.findall(r"[a-z]+", expected.lower()))
    return len(want & set(re.findall(r"[a-z]+", said.lower()))) / max(1, len(want))


def _speak(text: str, voice: str, out: Path) -> list[int]:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(SPEED), "-w", str(out), text], check=True,
                   capture_output=True, timeout=60)
    with wave.open(str(out), "rb") as w:
        if w.getframerate() != RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise RuntimeError(f"espeak-ng wrote {w.getframerate()} Hz, {w.getnchannels()} channels")
        frames = w.readframes(w.getnframes())
    return list(memoryview(frames).cast("h"))


def _trim(samples: list[int]) -> list[int]:
    """Without espeak-ng's leading and trailing silence, so that a line's planned times are its speech."""
    loud = [i for i, s in enumerate(samples) if abs(s) > 300]
    return samples[loud[0]: loud[-1] + 1] if loud else samples


def _write_mono(path: Path, samples: Sequence[int]) -> None:
    import array

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(array.array("h", samples).tobytes())


def synthesize_call(script: Sequence[Line], path: Path, *, tail: float = 0.5) -> SynthCall:
    """Speak ``script`` into a stereo WAV at ``path`` (module docstring); returns the planned timeline."""
    placed: list[Spoken] = []
    tracks: list[list[int]] = [[], []]
    t = 0.3
    with tempfile.TemporaryDirectory(prefix="sparring-speech-") as tmp:
        for n, line in enumerate(script):
            samples = _trim(_speak(line.text, VOICES[line.channel], Path(tmp) / f"{n}.wav"))
            if placed:
                t = placed[-1].end + (GAP if not line.overlap else -line.overlap) + line.pause
            start = max(t, 0.0)
            end = start + len(samples) / RATE
            track = tracks[line.channel]
            at = int(start * RATE)
            if len(track) < at:
                track.extend([0] * (at - len(track)))
            track[at:at + len(samples)] = samples  # a speaker never overlaps themself in a script
            placed.append(Spoken(line.channel, line.text, start, end))
        total = int((max(p.end for p in placed) + tail) * RATE)
        sides = []
        for i, track in enumerate(tracks):
            track.extend([0] * (total - len(track)))
            side = Path(tmp) / f"side{i}.wav"
            _write_mono(side, track[:total])
            sides.append(str(side))
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["sox", "-M", *sides, str(path)], check=True, capture_output=True, timeout=120)
    return SynthCall(path, total / RATE, placed)


def mono(stereo: Path, out: Path) -> Path:
    """The two channels of ``stereo`` mixed down to one (``sox -c 1``): what a recorder without per-speaker tracks
    writes."""
    subprocess.run(["sox", str(stereo), "-c", "1", str(out)], check=True, capture_output=True, timeout=120)
    return out


def encode(wav: Path, suffix: str) -> Path:
    """``wav`` re-encoded as ``.mp3`` (LAME) or ``.m4a`` (AAC) beside it, with PyAV."""
    import av

    codec = {".mp3": "libmp3lame", ".m4a": "aac"}[suffix]
    out = wav.with_suffix(suffix)
    with av.open(str(wav)) as src, av.open(str(out), "w") as dst:
        stream: Any = dst.add_stream(codec, rate=RATE)
        stream.layout = "stereo"
        for frame in src.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return out


def synthesize_take(parts: Sequence[str], path: Path, *, pause: float = 0.0, lead: float = 0.4) -> Path:
    """One learner's spoken turn as a mono WAV at ``path``: each of ``parts`` spoken by espeak-ng, ``pause`` seconds
    of silence between them (a planted mid-turn pause), ``lead`` seconds of silence before and after (as a
    microphone records)."""
    samples: list[int] = [0] * int(lead * RATE)
    with tempfile.TemporaryDirectory(prefix="sparring-take-") as tmp:
        for n, text in enumerate(parts):
            if n:
                samples.extend([0] * int(pause * RATE))
            samples.extend(_trim(_speak(text, VOICES[0], Path(tmp) / f"{n}.wav")))
    samples.extend([0] * int(lead * RATE))
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_mono(path, samples)
    return path


def encode_webm(wav: Path) -> Path:
    """A mono ``wav`` re-encoded as WebM/Opus beside it (what Chromium's MediaRecorder uploads), with PyAV."""
    import av

    out = wav.with_suffix(".webm")
    with av.open(str(wav)) as src, av.open(str(out), "w", format="webm") as dst:
        stream: Any = dst.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        for frame in src.decode(audio=0):
            frame.pts = None
            for chunk in resampler.resample(frame):
                for packet in stream.encode(chunk):
                    dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return out
