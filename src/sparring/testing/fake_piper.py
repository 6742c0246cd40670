"""A stand-in for piper's command line (``python -m sparring.testing.fake_piper --model M --output-dir D
--length-scale S``), for tests of the server voice without piper installed (docs/voice.md, "A server voice").

It speaks the same protocol as ``python -m piper``: one line of text per line on standard input, one WAV file per
line in the output folder, ``INFO:__main__:Wrote <path>`` on standard error. The "speech" is a tone whose length
grows with the text and with the length scale, as piper's does. A line ``crash`` ends the process with an error;
a line ``hang`` never answers. Every line heard is appended to ``<model>.heard`` (beside the model file), so a
test can count what was synthesised.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import time
import wave
from pathlib import Path

RATE = 22050


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--length-scale", type=float, default=1.0)
    args = parser.parse_args()
    model = Path(args.model)
    if not model.exists():
        raise SystemExit(f"ValueError: Unable to find voice: {model}")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        with open(f"{model}.heard", "a", encoding="utf-8") as heard:
            heard.write(line + "\n")
        if line == "crash":
            print("RuntimeError: the voice model is broken", file=sys.stderr, flush=True)
            raise SystemExit(1)
        if line == "hang":
            time.sleep(3600)
        frames = int(RATE * 0.06 * len(line.split()) * args.length_scale)
        path = out / f"{time.monotonic_ns()}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) for i in range(frames)))
        print(f"INFO:__main__:Wrote {path}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
