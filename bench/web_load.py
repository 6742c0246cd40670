"""Web load: N concurrent simulated learners, T turns each, against uvicorn on loopback (embedded engines,
SQLite in a temporary data directory).

    .venv/bin/python bench/web_load.py [--learners 100] [--turns 10] [--think-ms 1000-3000] [--workers 2] [--json]

A turn is measured from sending ``POST /reps/{id}/turns`` to receiving the SSE ``done`` event: the learner's
line is committed, the persona replies, the reply is stored and streamed back (and, when the persona ends the
rep on that turn, the rep is scored before ``done``). When a rep ends before T turns, the learner starts a new
rep (not timed) and goes on; the turns that end a rep (scoring included) are also reported apart.
Between turns each learner "thinks" for a random time in the --think-ms range
(default 1-3 s, shorter than a person needs to read a reply and type the next line, so the load is heavier
than real use); ``--think-ms 0`` measures saturation instead, every learner firing back-to-back.
Every learner line is different (see ``TEMPLATES``), so no turn is served from the embedder's text cache.
The load generator is a small HTTP/1.1 client (``bench/http_client.py``) that does what the practice page does
(session cookie, CSRF header, keep-alive, reading the SSE stream to the end) with less CPU than httpx: it shares
the two cores with the server, and its own CPU per turn is printed too.
Errors are any non-200 answer, a ``failure`` event, or a transport error.
Target: p95 <= 100 ms and 0 errors with 100 learners on 2 cores (docs/benchmarks.md). Latency depends on how
busy the machine is, so the server's CPU time per turn (from /proc) and the load average are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
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
from http_client import Client, HTTPError

from sparring.services.people import hash_password
from sparring.store.db import Database
from sparring.store.models import Organisation, Team, TeamMember, User

SCENARIOS = ["cs-renewal-discount", "sales-pricing-objection", "sales-guarded-discovery"]
#: Every measured turn says something new. The embedder caches sentence vectors, so a handful of repeated lines
#: would make the persona's main per-turn cost (embedding the learner's words) vanish from the benchmark. Learner
#: n's t-th line follows template (n + t) % 10, the same arc of a call as a real learner's; slots vary the words.
TEMPLATES: list[tuple[str, dict[str, list[str]]]] = [
    ("{ack} What would a good outcome look like for {who} {period}?", {
        "ack": ["Thanks for making the time.", "Thanks for fitting me in today.", "Good to see you again.",
                "Thanks for joining on short notice.", "I appreciate you making the time."],
        "who": ["you", "your team", "your group", "your department", "the business", "your managers"],
        "period": ["this year", "this quarter", "over the next six months", "by the summer", "in the next renewal",
                   "before the board review", "for the coming budget cycle", "by the end of the year",
                   "in the first ninety days", "for the rest of the contract"]}),
    ("{ack} It sounds like {who} {pressure} {why}.", {
        "ack": ["That makes sense.", "I hear you.", "Understood.", "Okay, that helps."],
        "who": ["you are", "your team is", "finance is", "your leadership is", "the whole department is",
                "your CFO is"],
        "pressure": ["under real pressure", "being pushed hard", "on the hook", "under a lot of scrutiny",
                     "stretched thin"],
        "why": ["to show savings", "to cut costs this year", "to justify every renewal", "to consolidate tools",
                "to prove the spend was worth it", "to hit a tighter budget", "to report results quickly",
                "to explain the price rise"]}),
    ("{lead} is driving that concern most right now, {a} or {b}?", {
        "lead": ["What", "So what", "Tell me, what", "Out of interest, what"],
        "a": ["the budget", "the timing", "the price rise", "adoption", "the contract length"],
        "b": ["the renewal date", "the approval process", "the competitor's offer", "the support experience",
              "the rollout effort", "the exit terms", "the headcount plan", "the reporting gaps", "the security review",
              "the onboarding time"]}),
    ("How are your {team} teams using {thing} day to day{tail}?", {
        "team": ["support", "finance", "sales", "operations", "marketing", "field", "regional", "clinical",
                 "warehouse", "customer success", "planning", "billing"],
        "thing": ["the product", "the dashboards", "the reporting", "the mobile app", "the integrations",
                  "the workflow tools", "the alerts", "the shared inbox", "the analytics", "the scheduling module"],
        "tail": ["", " at the moment", " since the last update"]}),
    ("What would {leader} need to see to feel good about {this}{when}?", {
        "leader": ["your leadership", "your CFO", "your boss", "the board", "procurement", "your COO",
                   "the steering group", "your finance partner", "your head of IT", "the budget owner"],
        "this": ["this", "the renewal", "the new terms", "the price", "a longer contract", "the rollout",
                 "the upgrade", "the proposal"],
        "when": ["", " by next month", " before signing"]}),
    ("Since you started, the {team} team has saved about {n} hours a week.", {
        "team": ["support", "finance", "sales", "operations", "marketing", "field", "regional", "clinical",
                 "warehouse", "customer success", "planning", "billing"],
        "n": [str(n) for n in range(5, 61)]}),
    ("{lead} you can commit to a {term} term, we can add {extra} after {review}.", {
        "lead": ["If", "Suppose", "Provided", "As long as"],
        "term": ["two-year", "three-year", "multi-year"],
        "extra": ["a review point", "a price check", "a usage review", "an exit option"],
        "review": ["year one", "six months", "the first quarter", "the pilot", "nine months"]}),
    ("How would your {team} team cope if {part} went away{when}?", {
        "team": ["support", "finance", "sales", "operations", "marketing", "field", "regional", "clinical",
                 "warehouse", "customer success", "planning", "billing"],
        "part": ["that part of the workflow", "the automated reports", "the integration", "the shared dashboards",
                 "the mobile access", "the approval flow", "the weekly exports", "the alerting"],
        "when": ["", " tomorrow", " next quarter"]}),
    ("{lead} part matters most to {who} when you compare {options}?", {
        "lead": ["Which", "So which", "Honestly, which", "In the end, which"],
        "who": ["you", "your team", "your group", "your department", "the business", "your managers"],
        "options": ["the options", "the two proposals", "vendors", "us with the alternatives", "the renewal offers",
                    "the quotes", "the tools on your list", "the plans"]}),
    ("Could we book {mins} minutes {day} to walk through {what} together?", {
        "mins": ["twenty", "thirty", "forty-five", "fifteen", "sixty"],
        "day": ["next week", "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "tomorrow"],
        "what": ["the numbers", "the proposal", "the rollout plan", "the pricing", "the usage data", "the options"]}),
]


def learner_lines(learners: int, turns: int, seed: int = 7) -> tuple[list[list[str]], int]:
    """Each learner's lines, and how many of them repeat an earlier line (0 unless a run needs more lines than
    the templates make: about 190 per template, so up to ~1,900 turns are all different)."""
    rng = random.Random(seed)
    pools: list[list[str]] = []
    for template, slots in TEMPLATES:
        names = list(slots)
        pool = [template.format(**dict(zip(names, combo, strict=True)))
                for combo in itertools.product(*(slots[n] for n in names))]
        rng.shuffle(pool)
        pools.append(pool)
    taken = [0] * len(TEMPLATES)
    repeated = 0
    out: list[list[str]] = []
    for n in range(learners):
        mine = []
        for t in range(turns):
            k = (n + t) % len(TEMPLATES)
            pool = pools[k]
            repeated += taken[k] >= len(pool)
            mine.append(pool[taken[k] % len(pool)])
            taken[k] += 1
        out.append(mine)
    return out, repeated
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


async def _login(host: str, port: int, email: str, errors: list[str]) -> Client | None:
    c = Client(host, port)
    try:
        r = await c.post("/api/auth/login", json_body={"email": email, "password": PASSWORD})
    except HTTPError as exc:
        errors.append(f"login transport: {exc}")
        return None
    if r.status != 200:
        errors.append(f"login {r.status}")
        await c.close()
        return None
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


async def _learner(c: Client, n: int, lines: list[str], think: tuple[float, float],
                   latencies: list[float], errors: list[str], ending: list[float], server: list[float]) -> None:
    rng = random.Random(n)
    await asyncio.sleep(rng.uniform(0, think[1]))  # learners do not all arrive in the same millisecond

    async def start() -> int | None:
        try:
            resp = await c.post("/reps", form={"scenario": SCENARIOS[n % len(SCENARIOS)], "difficulty": "hard"})
        except HTTPError as exc:
            errors.append(f"start transport: {exc}")
            return None
        if resp.status != 303:
            errors.append(f"start {resp.status}")
            return None
        return int(resp.headers["location"].rsplit("/", 1)[1])

    rep = await start()
    done = 0
    turns = len(lines)
    while rep is not None and done < turns:
        if done:
            await asyncio.sleep(rng.uniform(*think))
        text = lines[done]
        t0 = time.perf_counter()
        try:
            resp = await c.post(f"/reps/{rep}/turns", json_body={"text": text})
            body = resp.text
        except HTTPError as exc:
            errors.append(f"turn transport: {exc}")
            return
        elapsed = time.perf_counter() - t0
        if resp.status != 200 or "event: done" not in body:
            errors.append(f"turn {resp.status}: {body[:120]}")
            return
        latencies.append(elapsed)
        timing = resp.headers.get("server-timing", "")
        if "dur=" in timing:
            server.append(float(timing.split("dur=")[1]) / 1000)
        done += 1
        if '"ended": true' in body:
            ending.append(elapsed)
            if done < turns:
                rep = await start()


async def _run(port: int, emails: list[str], lines: list[list[str]], think: tuple[float, float],
               pid: int) -> dict[str, Any]:
    """Log every learner in (not measured), then play the turns and measure them and the server's CPU."""
    errors: list[str] = []
    clients = await asyncio.gather(*(_login("127.0.0.1", port, e, errors) for e in emails))
    latencies: list[float] = []
    ending: list[float] = []
    server: list[float] = []
    cpu0, own0, workers0 = _cpu_seconds(pid), time.process_time(), _children(pid)
    t0 = time.perf_counter()
    await asyncio.gather(*(_learner(c, i, lines[i], think, latencies, errors, ending, server)
                           for i, c in enumerate(clients) if c is not None))
    wall = time.perf_counter() - t0
    cpu, own = _cpu_seconds(pid) - cpu0, time.process_time() - own0
    restarted = len(_children(pid) - workers0)  # uvicorn replaces a worker that died or missed its health check
    for c in clients:
        if c is not None:
            await c.close()
    return {"latencies": latencies, "errors": errors, "wall": wall, "ending": ending, "cpu": cpu, "server": server,
            "client_cpu": own, "restarted": restarted}


def _children(pid: int) -> set[int]:
    try:
        return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and its children (the uvicorn workers), from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids, total = [root], 0.0
    while pids:
        pid = pids.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                pids.extend(int(c) for c in children)
        except (OSError, ValueError, IndexError):
            continue
    return total


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
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers (sparring serve's default on 2+ cores)")
    ap.add_argument("--think-ms", default="1000-3000", help="pause between a learner's turns: MS or MIN-MAX")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    lo, _, hi = args.think_ms.partition("-")
    think = (float(lo) / 1000, float(hi or lo) / 1000)
    with tempfile.TemporaryDirectory(prefix="sparring-load-") as tmp:
        data = Path(tmp)
        emails = _seed(data, args.learners)
        lines, repeated = learner_lines(args.learners, args.turns)
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
            # every worker embeds the built-in content at start-up: wait until the workers that answer say so
            warm_in_a_row = 0
            while warm_in_a_row < 10 * args.workers and time.monotonic() < deadline + 300:
                warm = httpx.get(f"{base}/healthz", timeout=5).json().get("warm")
                warm_in_a_row = warm_in_a_row + 1 if warm else 0
                time.sleep(0.05 if warm else 0.5)
            run = asyncio.run(_run(port, emails, lines, think, proc.pid))
            latencies, errors, wall = run["latencies"], run["errors"], run["wall"]
            ending, cpu = run["ending"], run["cpu"]
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    ms = [x * 1000 for x in latencies]
    end_ms = [x * 1000 for x in ending]
    server_ms = [x * 1000 for x in run["server"]]
    mid_ms = sorted(ms)
    for x in end_ms:  # the turns that did not end a rep
        mid_ms.remove(x)
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
        "p95_ms_without_rep_ends": round(_pct(mid_ms, 95), 1),
        # the same turns timed inside the server (queueing for a turn slot included, the network and the load
        # generator's own event loop excluded), from the Server-Timing header
        "server_p50_ms": round(_pct(server_ms, 50), 1),
        "server_p95_ms": round(_pct(server_ms, 95), 1),
        "rep_ending_turns": len(end_ms),
        "p50_ms_rep_ending_turns": round(_pct(end_ms, 50), 1) if end_ms else None,
        "turns_per_second": round(len(ms) / wall, 1) if wall else None,
        # server CPU per turn (rep starts included, logins not): independent of how busy the machine is
        "server_cpu_ms_per_turn": round(1000 * cpu / len(ms), 1) if ms else None,
        # the load generator's own CPU: it shares the machine with the server
        "client_cpu_ms_per_turn": round(1000 * run["client_cpu"] / len(ms), 1) if ms else None,
        "repeated_lines": repeated,
        "worker_restarts": run["restarted"],
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
