"""Benchmark: reviewing and importing real calls (issue 13, docs/calls.md, docs/moments.md).

    .venv/bin/python bench/calls.py [--minutes 60] [--folder 100] [--json]

1. **One long call, reviewed**: a seeded ``--minutes`` call (``bench/scoring.py``'s generator: two speakers,
   realistic turn lengths, timed) written as a Teams WebVTT file, then what ``sparring call review`` does in one
   process: read and route it (``services.calls.review_call``), score it with the embedded scorer, and find its key
   moments (``review.summarise_call``). Reported cold (the first call of the process; model loading is reported
   apart, as ``load_seconds``) and warm (median of 3). Target: ≤ 2 s warm on 2 cores.
2. **A folder through the job queue**: ``--folder`` seeded calls of 5 to 15 minutes, each saved as an upload and
   queued as an ``import_call`` job (``services.calls.enqueue_import``), then one in-process worker drains the
   queue against a fresh SQLite database (read, route, score, store). Reported: wall and CPU seconds, calls per
   minute for one worker, and seconds per call. More workers (``sparring worker`` on PostgreSQL) scale this by the
   cores they get; the per-call CPU is the number to plan with.

Audio transcription speed is measured by ``bench/asr.py``. On a shared machine wall time includes waiting for a
core; CPU time does not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scoring import _vtt, generate_call  # bench/scoring.py: the same generated calls


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def review_once(data: bytes, app: Any) -> dict[str, float]:
    from sparring.content.library import builtin_rubric
    from sparring.review.moments import summarise_call
    from sparring.review.routing import load_routing
    from sparring.services.calls import review_call

    t0 = time.perf_counter()
    reviewed = review_call(data, "call.vtt", scorer=lambda: app.scorer, rubric_for=builtin_rubric,
                           formats=app.formats, routing=load_routing(app.settings), rep="Sam Rivera")
    t1 = time.perf_counter()
    summary = summarise_call(reviewed.conversation, reviewed.scorecard, rubric=reviewed.rubric)
    t2 = time.perf_counter()
    return {"read_and_score": t1 - t0, "moments": t2 - t1, "total": t2 - t0, "moments_found": len(summary.moments),
            "turns": len(reviewed.conversation.turns)}


def long_call(minutes: float) -> dict[str, Any]:
    from sparring.root import Sparring
    from sparring.settings import Settings

    turns = generate_call(7, minutes=minutes)
    data = _vtt(turns).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        app = Sparring(Settings(data_dir=Path(tmp)))
        t0 = time.perf_counter()
        from sparring.nlp.act_model import read_act
        from sparring.nlp.embeddings import embed

        read_act("warm up the act model", "")
        embed(["warm up the sentence model"])
        _ = app.scorer
        load = time.perf_counter() - t0
        cpu0 = _cpu()
        cold = review_once(data, app)
        warm = [review_once(data, app) for _ in range(3)]
        cpu = _cpu() - cpu0
    return {"minutes": minutes, "turns": cold["turns"], "words": sum(len(str(t["text"]).split()) for t in turns),
            "load_seconds": round(load, 2), "cold_seconds": round(cold["total"], 3),
            "warm_seconds": round(statistics.median(w["total"] for w in warm), 3),
            "warm_read_and_score_seconds": round(statistics.median(w["read_and_score"] for w in warm), 3),
            "warm_moments_seconds": round(statistics.median(w["moments"] for w in warm), 3),
            "moments_found": cold["moments_found"], "cpu_seconds_4_reviews": round(cpu, 2)}


def folder(n: int) -> dict[str, Any]:
    from sparring.jobs import InProcessRunner
    from sparring.root import Sparring
    from sparring.services import calls
    from sparring.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app = Sparring(Settings(data_dir=Path(tmp)))
        user = app.accounts().create_user("Bench", "rep@bench.example", None, team="Sales", name="Sam Rivera")
        queue = app.jobs
        uploads = []
        for i in range(n):
            minutes = 5 + (i * 7919 % 11)  # 5..15 minutes, spread deterministically
            data = _vtt(generate_call(100 + i, minutes=minutes)).encode("utf-8")
            uploads.append(calls.save_upload(Path(tmp), f"call-{i:03d}.vtt", data))
        for upload in uploads:
            calls.enqueue_import(queue, upload, user.id, user.org_id, rep="Sam Rivera")
        _ = app.scorer  # model loading is not the import's cost
        from sparring.nlp.act_model import read_act

        read_act("warm up", "")
        cpu0, t0 = _cpu(), time.perf_counter()
        outcomes = InProcessRunner(queue, worker_id="bench").run_until_idle()
        wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
        done = sum(o.status == "done" for o in outcomes)
    return {"calls": n, "jobs_done": done, "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "calls_per_minute_one_worker": round(n / wall * 60, 1), "seconds_per_call": round(wall / n, 3),
            "cpu_seconds_per_call": round(cpu / n, 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the long call (default 60)")
    ap.add_argument("--folder", type=int, default=100, help="calls imported through the job queue (0: skip)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                              "load_average": [round(x, 1) for x in os.getloadavg()]}
    result["long_call"] = long_call(args.minutes)
    if args.folder:
        result["folder"] = folder(args.folder)
    result["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        lc = result["long_call"]
        print(f"{lc['minutes']:g}-minute call ({lc['turns']} turns, {lc['words']:,} words): review cold "
              f"{lc['cold_seconds']} s, warm {lc['warm_seconds']} s (read+score {lc['warm_read_and_score_seconds']} s, "
              f"moments {lc['warm_moments_seconds']} s; {lc['moments_found']} moments); model load "
              f"{lc['load_seconds']} s apart; target <= 2 s warm")
        if "folder" in result:
            f = result["folder"]
            print(f"{f['calls']} calls through the job queue, one worker: {f['jobs_done']} done in "
                  f"{f['wall_seconds']} s ({f['calls_per_minute_one_worker']} calls/min; "
                  f"{f['cpu_seconds_per_call']} CPU-s per call)")
        print(f"load average before/after: {result['load_average']} / {result['load_average_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
