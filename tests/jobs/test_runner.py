"""The in-process runner on SQLite and PostgreSQL: results, scheduled jobs and priorities, heartbeats that keep
a lease, two runners sharing the table, graceful stop."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sparring.jobs import InProcessRunner, JobQueue, TaskContext, TaskRegistry
from sparring.store.db import Database


def _runner(queue: JobQueue, name: str = "r1", **kw: Any) -> InProcessRunner:
    return InProcessRunner(queue, worker_id=name, rng=random.Random(3).random, **kw)


def test_a_job_runs_once_and_keeps_its_result(queue: JobQueue, registry: TaskRegistry) -> None:
    seen: list[tuple[int, int, dict[str, Any]]] = []

    @registry.task("echo")
    def echo(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
        seen.append((ctx.job_id, ctx.attempt, payload))
        return {"got": payload["n"]}

    job = queue.enqueue("echo", {"n": 1})
    assert job.status == "queued" and job.attempts == 0
    outcomes = _runner(queue).run_until_idle()
    assert [o.status for o in outcomes] == ["done"]
    assert seen == [(job.id, 1, {"n": 1})]
    done = queue.get(job.id)
    assert (done.status, done.attempts, done.result, done.locked_by) == ("done", 1, {"got": 1}, None)
    assert _runner(queue).run_until_idle() == []


def test_scheduled_jobs_wait_and_priority_orders_due_jobs(queue: JobQueue, registry: TaskRegistry, clock: Any) -> None:
    order: list[str] = []
    registry.task("mark")(lambda ctx, payload: order.append(payload["name"]))
    later = datetime.fromtimestamp(clock.now, UTC) + timedelta(minutes=5)
    queue.enqueue("mark", {"name": "later"}, run_at=later, priority=100)
    queue.enqueue("mark", {"name": "low"}, priority=-1)
    queue.enqueue("mark", {"name": "high"}, priority=5)
    queue.enqueue("mark", {"name": "normal"})
    runner = _runner(queue)
    runner.run_until_idle()
    assert order == ["high", "normal", "low"]
    clock.now += 301
    runner.run_until_idle()
    assert order[-1] == "later"


def test_heartbeats_keep_a_long_job_s_lease(db: Database, registry: TaskRegistry) -> None:
    db.upgrade()
    queue = JobQueue(db, registry)  # the real clock: heartbeats run on time
    started, release = threading.Event(), threading.Event()

    @registry.task("long")
    def long(ctx: TaskContext, payload: dict[str, Any]) -> None:
        started.set()
        release.wait(30)

    job = queue.enqueue("long", {})
    first = _runner(queue, "first", lease_seconds=1.0)
    t = threading.Thread(target=first.run_once)
    t.start()
    assert started.wait(30)
    deadline = time.monotonic() + 2.5  # well past the 1 s lease: only heartbeats keep it
    other = _runner(queue, "other", lease_seconds=1.0)
    while time.monotonic() < deadline:
        other._last_sweep = float("-inf")
        assert other.run_once() is None
        time.sleep(0.1)
    release.set()
    t.join(30)
    assert queue.get(job.id).status == "done" and queue.get(job.id).attempts == 1


def test_two_runners_share_the_table_and_run_every_job_once(db: Database, registry: TaskRegistry) -> None:
    db.upgrade()
    runs: list[int] = []
    lock = threading.Lock()

    @registry.task("count")
    def count(ctx: TaskContext, payload: dict[str, Any]) -> None:
        with lock:
            runs.append(payload["n"])

    queue = JobQueue(db, registry)
    for n in range(40):
        queue.enqueue("count", {"n": n})
    runners = [_runner(JobQueue(db, registry), f"r{i}", poll_interval=0.05) for i in range(2)]
    for r in runners:
        r.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(queue.ledger.list(["done"], limit=1000)) < 40:
        time.sleep(0.05)
    for r in runners:
        assert r.stop(30)
    assert sorted(runs) == list(range(40))


def test_stop_lets_the_running_job_finish_and_takes_no_new_one(queue: JobQueue, registry: TaskRegistry) -> None:
    started, release = threading.Event(), threading.Event()

    @registry.task("slow")
    def slow(ctx: TaskContext, payload: dict[str, Any]) -> None:
        started.set()
        release.wait(30)

    first = queue.enqueue("slow", {})
    runner = InProcessRunner(JobQueue(queue.database, registry), worker_id="r", poll_interval=0.05)
    runner.start()
    assert started.wait(30)
    second = queue.enqueue("slow", {})
    assert runner.stop(timeout=0.2) is False, "stop waits for the running job"
    release.set()
    assert runner.stop(timeout=30) is True
    assert queue.get(first.id).status == "done"
    assert queue.get(second.id).status == "queued"
