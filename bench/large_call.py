"""Benchmark: score a very large call through the CLI, as an operator would, and report wall time and peak memory.

    .venv/bin/python bench/large_call.py [--turns 20000] [--rubric discovery] [--one-line-mb 0] [--json]

The call is generated deterministically (seeded) by ``bench/scoring.py``'s generator — realistic turn lengths
(a rep's question or reflection, a customer's one to three sentences, short backchannels), ≈ 20 words a turn,
timed at ≈ 150 words a minute — cut to ``--turns`` turns and written as WebVTT. ``sparring score FILE --rubric R
--json`` then runs in a fresh process twice:

1. with the default transcript limits (``sparring.limits``): a call above them must be refused at once with one
   line on stderr and exit 1 (reported: exit code, seconds, the message);
2. with ``--max-turns`` / ``--max-words`` raised just enough for this call (the operator override; ``--no-limits``
   when the file is over the size cap): reported are
   wall seconds, CPU seconds and the peak resident memory of that process (``os.wait4`` rusage, so the numbers
   are the scoring process's own, model load included).

``--one-line-mb N`` also writes a transcript whose learner turn is one N-MB line (the case that used to take
40 s and 2.9 GB) and runs it the same two ways, the second with ``--no-limits``. On a shared machine wall time
includes waiting for a core; CPU time does not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scoring import _vtt, generate_call  # bench/scoring.py: the same generated calls

#: the installed command, run as the operator runs it
SPARRING = [sys.executable, "-c", "import sys; from sparring.cli import main; sys.exit(main(sys.argv[1:]))"]
#: words of the one-line transcript's vocabulary; sentences end every 8-25 words
VOCAB = ("we", "could", "look", "at", "the", "pricing", "and", "what", "matters", "most", "to", "your", "team", "this",
         "quarter", "so", "tell", "me", "more", "about", "how", "you", "decide", "on", "budget", "timing", "rollout",
         "sites", "owners", "weekly", "reports")


def _call_turns(n: int) -> list[dict[str, object]]:
    """At least ``n`` turns from the seeded generator (≈ 7 turns a minute), cut to ``n``."""
    minutes = n / 6.0 + 10
    turns = generate_call(11, minutes=minutes)
    while len(turns) < n:
        minutes *= 1.5
        turns = generate_call(11, minutes=minutes)
    return turns[:n]


def _one_line(path: Path, megabytes: float) -> None:
    rng = random.Random(5)
    target = int(megabytes * 1_000_000)
    parts: list[str] = []
    size = 0
    until_stop = rng.randint(8, 25)
    while size < target:
        word = rng.choice(VOCAB)
        until_stop -= 1
        if until_stop == 0:
            word += rng.choice(".?.,")
            until_stop = rng.randint(8, 25)
        parts.append(word)
        size += len(word) + 1
    path.write_text("# roles: Sam=learner, Jordan=counterpart\nJordan: Hello, thanks for calling.\nSam: "
                    + " ".join(parts) + "\nJordan: Okay.\n", encoding="utf-8")


def _run(argv: list[str]) -> dict[str, Any]:
    """Run one CLI command; its exit code, wall and CPU seconds, peak RSS (MB) and the first stderr line."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(SPARRING + argv, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").splitlines()
        out.seek(0)
        body = out.read()
    doc: dict[str, Any] = {
        "exit": proc.returncode, "seconds": round(wall, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "stderr_lines": len(lines),
        "stderr": lines[0][:300] if lines else "",
    }
    if proc.returncode == 0:
        card = json.loads(body)
        doc["overall"] = card["overall"]
    return doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=20_000, help="turns in the generated call (default 20,000)")
    ap.add_argument("--rubric", default="discovery", help="built-in rubric id (default: discovery)")
    ap.add_argument("--one-line-mb", type=float, default=0.0,
                    help="also score a transcript whose learner turn is one line of this many MB (default: skip)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from sparring.limits import MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPT_WORDS, MAX_TURN_WORDS, MAX_TURNS

    result: dict[str, Any] = {
        "limits": {"bytes": MAX_TRANSCRIPT_BYTES, "turns": MAX_TURNS, "turn_words": MAX_TURN_WORDS,
                   "words": MAX_TRANSCRIPT_WORDS},
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "call.vtt"
        turns = _call_turns(args.turns)
        path.write_text(_vtt(turns), encoding="utf-8")
        words = sum(len(str(t["text"]).split()) for t in turns)
        base = ["score", str(path), "--rubric", args.rubric, "--rep", "Sam Rivera", "--json"]
        result["call"] = {"turns": len(turns), "words": words, "bytes": path.stat().st_size,
                          "hours": round(float(turns[-1]["end"]) / 3600, 1)}  # type: ignore[arg-type]
        result["call"]["default_limits"] = _run(base)
        raised = ["--max-turns", str(max(len(turns), MAX_TURNS)), "--max-words", str(max(words, MAX_TRANSCRIPT_WORDS))]
        override = ["--no-limits"] if path.stat().st_size > MAX_TRANSCRIPT_BYTES else raised
        result["call"]["override"] = override
        result["call"]["scored"] = _run(base + override)
        if args.one_line_mb > 0:
            one = Path(tmp) / "one-line.txt"
            _one_line(one, args.one_line_mb)
            argv1 = ["score", str(one), "--rubric", args.rubric, "--json"]
            result["one_line"] = {"bytes": one.stat().st_size, "default_limits": _run(argv1),
                                  "no_limits": _run([*argv1, "--no-limits"])}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    c = result["call"]
    print(f"call: {c['turns']:,} turns, {c['words']:,} words, {c['bytes']:,} bytes of WebVTT, {c['hours']} h "
          f"({args.rubric}); limits {result['limits']}")
    d = c["default_limits"]
    print(f"  default limits: exit {d['exit']} in {d['seconds']} s ({d['stderr_lines']} stderr line): {d['stderr']}")
    s = c["scored"]
    print(f"  {' '.join(c['override'])}: exit {s['exit']}, {s['seconds']} s wall, {s['cpu_seconds']} s CPU, "
          f"peak RSS {s['peak_rss_mb']} MB, overall {s.get('overall')}")
    if "one_line" in result:
        o = result["one_line"]
        for label in ("default_limits", "no_limits"):
            r = o[label]
            print(f"one line of {o['bytes']:,} bytes, {label}: exit {r['exit']}, {r['seconds']} s wall, "
                  f"{r['cpu_seconds']} s CPU, peak RSS {r['peak_rss_mb']} MB {r['stderr'][:120]}")
    print(f"machine: {result['machine']}; load average before: {result['load_average_before']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
