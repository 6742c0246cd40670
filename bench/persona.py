"""Benchmark the embedded persona engine.

1. Reply latency: every built-in scenario x every difficulty x (skilled, poor) scripted learner, after warm-up
   (model loaded, example lines embedded once). The sentence-embedding cache is cleared before every reply, so
   each learner line is embedded from scratch, as in a real rep. Target: p95 <= 30 ms.
2. Cold start to the first persona line: a fresh ``sparring practice SCENARIO`` process (interactive mode, stdin
   piped) until the opening line appears on stdout; and, for reference, a fresh ``python -c`` that imports the
   engine and calls ``open``. Target: <= 1.5 s.

Run: ``.venv/bin/python bench/persona.py [--runs N]``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "tests" / "persona" / "scripts"
COLD_SCENARIO = "cs-renewal-discount"


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q * (len(s) - 1))))
    return s[k]


def reply_latency() -> dict[str, float]:
    from sparring.content.library import get_library
    from sparring.conversation.model import Conversation
    from sparring.nlp.embeddings import get_embedder
    from sparring.persona.embedded import EmbeddedPersonaEngine
    from sparring.persona.listen import read_turn
    from sparring.persona.moves import warm_up
    from sparring.persona.scripted import AdaptiveLearner, FixedLearner, Learner

    lib = get_library()
    scenarios = list(lib.scenarios.values())
    t0 = time.perf_counter()
    warm_up(scenarios)
    read_turn("Warm-up: what matters most to you here?", scenarios[0])
    warm = time.perf_counter() - t0

    poor_lines = yaml.safe_load((SCRIPTS / "poor.yaml").read_text(encoding="utf-8"))
    engine = EmbeddedPersonaEngine()
    embedder = get_embedder()
    times: list[float] = []
    # CPU time of the process (every thread: the reply embeds on a background thread while the act model reads on
    # this one, and nothing else runs here between replies): what the reply costs when the machine is not shared
    cpu: list[float] = []
    for sc in scenarios:
        for difficulty in ("easy", "medium", "hard"):
            learners: list[Learner] = [FixedLearner(list(poor_lines[sc.domain]))]
            bank = SCRIPTS / f"{sc.id}.yaml"
            if bank.is_file():
                learners.append(AdaptiveLearner.from_file(bank))
            for learner in learners:
                opening = engine.open(sc, difficulty)
                state = opening.state
                conv = Conversation()
                conv.add(sc.persona.name, "counterpart", opening.text)
                while not state.ended:
                    conv.add("Learner", "learner", learner.next_line(sc, state))
                    embedder.clear_cache()  # every learner line is new, as in a real rep
                    c, t = time.process_time(), time.perf_counter()
                    reply = engine.reply(sc, state, conv)
                    times.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.process_time() - c) * 1000)
                    state = reply.state
                    conv.add(sc.persona.name, "counterpart", reply.text)
    return {
        "scenarios": len(scenarios),
        "replies": len(times),
        "warm_up_s": warm,
        "p50_ms": statistics.median(times),
        "p95_ms": _pct(times, 0.95),
        "max_ms": max(times),
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p95_ms": _pct(cpu, 0.95),
        "load": os.getloadavg()[0],
    }


def _first_line_seconds(cmd: list[str], needle: str, env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from process start until ``needle`` appears on its stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True
    )
    seen = threading.Event()
    elapsed: list[float] = []

    def reader() -> None:
        assert proc.stdout is not None
        buf = ""
        while True:
            ch = proc.stdout.read(1)
            if not ch:
                return
            buf += ch
            if needle in buf and not seen.is_set():
                elapsed.append(time.perf_counter() - start)
                seen.set()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    seen.wait(timeout)
    proc.stdin.close() if proc.stdin else None
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not elapsed:
        raise RuntimeError(f"{' '.join(cmd)}: no persona line within {timeout} s")
    return elapsed[0]


def cold_start(runs: int) -> dict[str, float]:
    from sparring.content.library import get_library
    from sparring.persona.embedded import EmbeddedPersonaEngine

    sc = get_library().scenario(COLD_SCENARIO)
    opening = EmbeddedPersonaEngine().open(sc, "medium").text
    needle = opening[:40]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "SPARRING_DATA_DIR": data, "SPARRING_LLM_PROVIDER": "none", "COLUMNS": "400"}
        cli = [str(Path(sys.executable).parent / "sparring"), "practice", COLD_SCENARIO]
        snippet = (
            "from sparring.content.library import get_library;"
            "from sparring.persona.embedded import EmbeddedPersonaEngine;"
            f"print(EmbeddedPersonaEngine().open(get_library().scenario('{COLD_SCENARIO}'), 'medium').text, flush=True)"
        )
        if Path(cli[0]).exists():
            _first_line_seconds(cli, needle, env)  # first run creates the database; not counted
            cli_times = [_first_line_seconds(cli, needle, env) for _ in range(runs)]
            out["cli_median_s"] = statistics.median(cli_times)
            out["cli_max_s"] = max(cli_times)
        py_times = [_first_line_seconds([sys.executable, "-c", snippet], needle, env) for _ in range(runs)]
        out["python_c_median_s"] = statistics.median(py_times)
        out["python_c_max_s"] = max(py_times)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="cold-start runs (default 5)")
    args = ap.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus, python {platform.python_version()}")
    lat = reply_latency()
    print(
        f"embedded reply latency over {lat['replies']} replies in {lat['scenarios']} scenarios "
        f"(warm-up {lat['warm_up_s']:.2f} s): p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, "
        f"max {lat['max_ms']:.1f} ms  (target p95 <= 30 ms)"
    )
    print(
        f"  CPU time per reply: p50 {lat['cpu_p50_ms']:.1f} ms, p95 {lat['cpu_p95_ms']:.1f} ms "
        f"(load average {lat['load']:.1f} on {os.cpu_count()} cpus; wall time above includes waiting for a core)"
    )
    cold = cold_start(args.runs)
    if "cli_median_s" in cold:
        print(
            f"cold start to first persona line, `sparring practice {COLD_SCENARIO}`: "
            f"median {cold['cli_median_s']:.2f} s, max {cold['cli_max_s']:.2f} s over {args.runs} runs"
            "  (target <= 1.5 s)"
        )
    print(
        f"cold start, python -c import + engine.open: median {cold['python_c_median_s']:.2f} s, "
        f"max {cold['python_c_max_s']:.2f} s over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
