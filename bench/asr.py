"""Benchmark: offline transcription of an audio call (``sparring.asr``; docs/calls.md "Audio", docs/benchmarks.md).

    .venv/bin/python bench/asr.py [--minutes 3] [--threads N] [--json]

Synthesises a two-speaker stereo call of about ``--minutes`` minutes with espeak-ng and sox
(``sparring.testing.speech``: a discovery call's lines, alternating speakers, repeated with variations until long
enough), then reads it through the ``audio`` format exactly as ``sparring call import`` does (decode, transcribe
each channel, merge), and prints:

- model load time (once per process) and transcription time (decode + both channels + merge);
- speed as a multiple of real time (audio seconds / transcription seconds; > 1 is faster than real time);
- peak resident memory of the process (model + decoded audio);
- the share of the script's words recognised (espeak-ng's synthetic voices: a real call recorded on a phone line
  is harder) and the turns found against the turns spoken.

Needs the ``[asr]`` extra and Debian's espeak-ng and sox. Runs in ~1 minute for a 3-minute call on 2 cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sparring.asr import engine
from sparring.asr.format import read_audio
from sparring.conversation.importers import ReadOptions
from sparring.testing.speech import Line, heard, missing, synthesize_call

LINES = [
    (0, "Hi Dana, this is Sam from Acme. Thanks for taking the time to talk with me today."),
    (1, "Sure, happy to talk. We are looking at a few options for next year."),
    (0, "Great. Could you tell me a little about how your team handles reporting right now?"),
    (1, "We export everything into spreadsheets every Friday, and it takes two people most of the day."),
    (0, "That sounds painful. What happens when the numbers are late?"),
    (1, "The regional managers make decisions without them, and we have had a few expensive mistakes."),
    (0, "How much would you say those mistakes cost you last quarter?"),
    (1, "Honestly, probably around forty thousand dollars, but the price of a new tool worries me."),
    (0, "I understand. If we could cut that reporting day down to an hour, what would that be worth to you?"),
    (1, "It would help a lot, but we already pay for Beacon and my boss likes it."),
    (0, "What does your boss like most about Beacon?"),
    (1, "Mostly that it is cheap and nobody has to learn anything new."),
    (0, "Would it make sense to set up a short call with your boss next week to compare the two?"),
    (1, "Maybe. Send me a summary first and I will see what she thinks."),
]


def script(minutes: float) -> list[Line]:
    """The lines, repeated until the spoken text is about ``minutes`` long (~150 words a minute, pauses included)."""
    out: list[Line] = []
    words = 0
    target = minutes * 140
    rnd = 0
    while words < target:
        for channel, text in LINES:
            out.append(Line(channel, text if rnd == 0 else f"{text} Round {rnd + 1}.", pause=0.3 * (rnd % 3)))
            words += len(text.split())
            if words >= target:
                break
        rnd += 1
    return out


def run(minutes: float, threads: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sparring-bench-asr-") as tmp:
        t0 = time.perf_counter()
        lines = script(minutes)
        call = synthesize_call(lines, Path(tmp) / "call.wav")
        synth = time.perf_counter() - t0
        data = call.path.read_bytes()
    t0 = time.perf_counter()
    engine.load_model("call.wav", threads)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    raws, _roles, _notes = read_audio(data, "call.wav", ReadOptions())
    took = time.perf_counter() - t0
    said = " ".join(r[1] for r in raws)
    spoken = 1 + sum(1 for a, b in itertools.pairwise(lines) if a.channel != b.channel)
    return {
        "audio_seconds": round(call.seconds, 1), "file_mb": round(len(data) / 1e6, 1),
        "synthesis_seconds": round(synth, 1), "model_load_seconds": round(load, 2),
        "transcription_seconds": round(took, 1), "times_real_time": round(call.seconds / took, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "words_recognised": round(heard(said, " ".join(line.text for line in lines)), 3),
        "turns_found": len(raws), "turns_spoken": spoken,
        "threads": threads or engine.default_threads(), "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(), "python": platform.python_version(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the synthesised call (2-5 is usual)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the recogniser (default: <= 4)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if engine.available() is not None or missing() is not None:
        print(f"needs the [asr] extra and espeak-ng + sox (missing: {engine.available() or missing()})",
              file=sys.stderr)
        return 2
    result = run(args.minutes, args.threads)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
