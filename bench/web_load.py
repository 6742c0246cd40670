"""Web load: N concurrent simulated learners, T turns each, against uvicorn on loopback (embedded engines,
SQLite in a temporary data directory).

    .venv/bin/python bench/web_load.py [--learners 100] [--turns 10] [--think-ms 1000-3000] [--workers 1] [--json]

A turn is measured from sending ``POST /reps/{id}/turns`` to receiving the SSE ``done`` event: the learner's
line is committed, the persona replies, the reply is stored and streamed back (and, when the persona ends the
rep on that turn, the rep is scored before ``done``). When a rep ends before T turns, the learner starts a new
rep (not timed) and goes on. Between turns each learner "thinks" for a random time in the --think-ms range
(default 1-3 s, shorter than a person needs to read a reply and type the next line, so the load is heavier
than real use); ``--think-ms 0`` measures saturation instead, every learner firing back-to-back.
Errors are any non-200 answer, a ``failure`` event, or a transport error.
Target: p95 <= 100 ms and 0 errors with 100 learners on 2 cores (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from sparring.services.people import hash_password
from sparring.store.db import Database
from sparring.store.models import Organisation, Team, TeamMember, User

SCENARIOS = ["cs-renewal-discount", "sales-pricing-objection", "sales-guarded-discovery"]
LINES = [
    "Thanks for making the time. What would a good outcome look like for you this year?",
    "That makes sense. It sounds like you are under real pressure to show savings.",
    "What is driving that concern most right now, the budget or the timing?",
    "How are your teams using the product day to day?",
    "What would your leadership need to see to feel good about this?",
    "Since you started, the team has saved about twenty hours a week.",
    "If you can commit to a two-year term, we can add a review point after year one.",
    "How would your team cope if that part of the workflow went away?",
    "Which part matters most to you when you compare the options?",
    "Could we book thirty minutes next week to walk through the numbers together?",
]
PASSWORD = "load-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(data: Path, learners: int) -> list[str]:
    database = Database(f"sqlite:///{data / 'sparring.db'}")
    pw = hash_password(PASSWORD)  # one hash for all: seeding speed, not login speed, is beside the point
    emails = [f"learner{i:03d}@load.test" for i in range(learners)]
    with database.session() as s:
        org = Organisation(slug="load", name="Load")
        s.add(org)
        s.flush()
        team = Team(org_id=org.id, name="Load team")
        s.add(team)
        s.flush()
        for e in emails:
            u = User(org_id=org.id, email=e, name=e.split("@")[0], role="learner", password_hash=pw)
            s.add(u)
            s.flush()
            s.add(TeamMember(team_id=team.id, user_id=u.id))
    database.dispose()
    return emails


async def _learner(base: str, email: str, n: int, turns: int, think: tuple[float, float], latencies: list[float],
                   errors: list[str]) -> None:
    rng = random.Random(n)
    await asyncio.sleep(rng.uniform(0, think[1]))  # learners do not all arrive in the same millisecond
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False) as c:
        r = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        if r.status_code != 200:
            errors.append(f"login {r.status_code}")
            return
        token = r.json()["csrf_token"]
        c.headers["X-CSRF-Token"] = token

        async def start() -> int | None:
            resp = await c.post("/reps", data={"scenario": SCENARIOS[n % len(SCENARIOS)], "difficulty": "hard"})
            if resp.status_code != 303:
                errors.append(f"start {resp.status_code}")
                return None
            return int(resp.headers["location"].rsplit("/", 1)[1])

        rep = await start()
        done = 0
        line = n
        while rep is not None and done < turns:
            if done:
                await asyncio.sleep(rng.uniform(*think))
            text = LINES[line % len(LINES)]
            line += 1
            t0 = time.perf_counter()
            try:
                resp = await c.post(f"/reps/{rep}/turns", json={"text": text})
                body = resp.text
            except httpx.HTTPError as exc:
                errors.append(f"turn transport: {exc!r}")
                return
            elapsed = time.perf_counter() - t0
            if resp.status_code != 200 or "event: done" not in body:
                errors.append(f"turn {resp.status_code}: {body[:120]}")
                return
            latencies.append(elapsed)
            done += 1
            if '"ended": true' in body and done < turns:
                rep = await start()


async def _run(base: str, emails: list[str], turns: int, think: tuple[float, float]) -> tuple[
        list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(_learner(base, e, i, turns, think, latencies, errors) for i, e in enumerate(emails)))
    return latencies, errors, time.perf_counter() - t0


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--learners", type=int, default=100)
    ap.add_argument("--turns", type=int, default=10)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--think-ms", default="1000-3000", help="pause between a learner's turns: MS or MIN-MAX")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    lo, _, hi = args.think_ms.partition("-")
    think = (float(lo) / 1000, float(hi or lo) / 1000)
    with tempfile.TemporaryDirectory(prefix="sparring-load-") as tmp:
        data = Path(tmp)
        emails = _seed(data, args.learners)
        port = _free_port()
        env = {**os.environ, "SPARRING_DATA_DIR": str(data), "SPARRING_LLM_PROVIDER": "none"}
        env.pop("SPARRING_DATABASE_URL", None)
        cmd = [sys.executable, "-m", "uvicorn", "sparring.web.asgi:app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--workers", str(args.workers)]
        proc = subprocess.Popen(cmd, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            # warm-up: one learner's rep loads the engines and the embedding model in the server
            asyncio.run(_run(base, emails[:1], 2, (0, 0)))
            latencies, errors, wall = asyncio.run(_run(base, emails, args.turns, think))
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    ms = [x * 1000 for x in latencies]
    result: dict[str, Any] = {
        "learners": args.learners,
        "turns_per_learner": args.turns,
        "workers": args.workers,
        "think_ms": args.think_ms,
        "turns_measured": len(ms),
        "errors": len(errors),
        "p50_ms": round(_pct(ms, 50), 1),
        "p95_ms": round(_pct(ms, 95), 1),
        "p99_ms": round(_pct(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
        "turns_per_second": round(len(ms) / wall, 1) if wall else None,
        "wall_seconds": round(wall, 2),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "error_samples": errors[:5],
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>20}: {v}")
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
