"""The in-process runner on SQLite and PostgreSQL: retries with backoff, idempotency, scheduled and periodic jobs,
failure visibility, lease expiry, concurrent runners, graceful stop."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sparring.jobs import InProcessRunner, JobError, JobQueue, PermanentError, TaskContext, TaskRegistry
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


def test_retries_back_off_exponentially_then_succeed(queue: JobQueue, registry: TaskRegistry, clock: Any) -> None:
    calls: list[int] = []

    @registry.task("flaky", max_attempts=4, retry_base=10.0)
    def flaky(ctx: TaskContext, payload: dict[str, Any]) -> None:
        calls.append(ctx.attempt)
        if ctx.attempt < 3:
            raise ConnectionError(f"provider down (attempt {ctx.attempt})")

    job = queue.enqueue("flaky", {})
    runner = _runner(queue)
    delays = []
    for attempt in (1, 2):
        outcome = runner.run_once()
        assert outcome is not None and outcome.status == "retry"
        assert outcome.delay is not None
        delays.append(outcome.delay)
        waiting = queue.get(job.id)
        assert waiting.status == "queued" and waiting.attempts == attempt
        assert waiting.last_error == f"ConnectionError: provider down (attempt {attempt})"
        assert waiting.run_at == pytest.approx(clock.now + outcome.delay)
        assert runner.run_once() is None, "a retry must wait for its backoff"
        clock.now += outcome.delay + 0.01
    assert 5.0 <= delays[0] <= 10.0 and 10.0 <= delays[1] <= 20.0  # base * 2**(n-1), jitter in [0.5, 1]
    assert runner.run_once().status == "done"  # type: ignore[union-attr]
    assert calls == [1, 2, 3]
    assert queue.get(job.id).status == "done"


def test_used_up_attempts_fail_visibly_and_an_admin_retry_runs_it_again(
    queue: JobQueue, registry: TaskRegistry, clock: Any
) -> None:
    state = {"broken": True}

    @registry.task("fragile", max_attempts=2, retry_base=1.0)
    def fragile(ctx: TaskContext, payload: dict[str, Any]) -> None:
        if state["broken"]:
            raise ValueError("bad data")

    job = queue.enqueue("fragile", {"x": 1}, org_id=None)
    runner = _runner(queue)
    assert runner.run_once().status == "retry"  # type: ignore[union-attr]
    clock.now += 5
    assert runner.run_once().status == "failed"  # type: ignore[union-attr]
    failed = queue.ledger.list(["failed"])
    assert [(j.id, j.attempts, j.max_attempts, j.last_error) for j in failed] == [
        (job.id, 2, 2, "ValueError: bad data")
    ]
    pending = queue.enqueue("fragile", {})
    with pytest.raises(JobError, match="only failed jobs"):
        queue.retry(pending.id)
    state["broken"] = False
    again = queue.retry(job.id)
    assert (again.status, again.attempts, again.max_attempts) == ("queued", 2, 4)
    outcomes = runner.run_until_idle()
    assert {o.job_id: o.status for o in outcomes}[job.id] == "done"
    assert queue.get(job.id).attempts == 3


def test_a_permanent_error_fails_at_once(queue: JobQueue, registry: TaskRegistry) -> None:
    @registry.task("hopeless", max_attempts=5)
    def hopeless(ctx: TaskContext, payload: dict[str, Any]) -> None:
        raise PermanentError("rep 9 was deleted")

    job = queue.enqueue("hopeless", {})
    assert _runner(queue).run_once().status == "failed"  # type: ignore[union-attr]
    assert (queue.get(job.id).attempts, queue.get(job.id).last_error) == (1, "PermanentError: rep 9 was deleted")


def test_idempotency_key_returns_the_existing_job(queue: JobQueue, registry: TaskRegistry, db: Database) -> None:
    registry.task("once")(lambda ctx, payload: None)
    first = queue.enqueue("once", {"a": 1}, idempotency_key="invoice-42")
    again = queue.enqueue("once", {"a": 2}, idempotency_key="invoice-42")
    assert again.id == first.id and again.payload == {"a": 1}
    _runner(queue).run_until_idle()
    after_run = queue.enqueue("once", {"a": 3}, idempotency_key="invoice-42")  # still the same, even when done
    assert after_run.id == first.id and after_run.status == "done"
    other = queue.enqueue("once", {}, idempotency_key="invoice-43")
    assert other.id != first.id
    assert len(queue.ledger.list()) == 2


def test_concurrent_enqueues_with_one_key_make_one_job(queue: JobQueue, registry: TaskRegistry) -> None:
    registry.task("once")(lambda ctx, payload: None)
    ids: list[int] = []
    errors: list[BaseException] = []

    def go() -> None:
        try:
            ids.append(queue.enqueue("once", {}, idempotency_key="same").id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(set(ids)) == 1 and len(ids) == 6
    assert len(queue.ledger.list()) == 1


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


def test_periodic_tasks_are_enqueued_once_per_slot_by_any_number_of_runners(
    db: Database, registry: TaskRegistry, clock: Any
) -> None:
    db.upgrade()
    ran: list[float] = []
    registry.task("tick", every=timedelta(seconds=60))(lambda ctx, payload: ran.append(payload["scheduled_for"]))
    clock.now = 1_800_000_030.0
    a = _runner(JobQueue(db, registry, clock=clock), "a")
    b = _runner(JobQueue(db, registry, clock=clock), "b")  # another process's runner: its own queue and memory
    a.run_until_idle()
    b.run_until_idle()
    assert ran == [1_800_000_000.0]
    clock.now += 60
    b.run_until_idle()
    a.run_until_idle()
    assert ran == [1_800_000_000.0, 1_800_000_060.0]
    keys = sorted(j.idempotency_key or "" for j in a.queue.ledger.list())
    assert keys == ["periodic:tick:1800000000", "periodic:tick:1800000060"]


def test_an_expired_lease_is_taken_over_and_the_late_runner_cannot_overwrite(
    queue: JobQueue, registry: TaskRegistry, clock: Any
) -> None:
    registry.task("work", max_attempts=3)(lambda ctx, payload: {"by": "survivor"})
    job = queue.enqueue("work", {})
    dead = queue.ledger.claim_next("dead-runner", lease=30.0)  # claimed, then its process died
    assert dead is not None and dead.id == job.id and dead.attempts == 1
    survivor = _runner(queue, "survivor", lease_seconds=30.0)
    assert survivor.run_once() is None, "a live lease is respected"
    clock.now += 31
    survivor._last_sweep = float("-inf")
    outcome = survivor.run_once()
    assert outcome is not None and outcome.status == "done"
    after = queue.get(job.id)
    assert (after.status, after.attempts, after.result) == ("done", 2, {"by": "survivor"})
    assert "lease expired" in (after.last_error or "")
    assert queue.ledger.mark_done(job.id, "dead-runner", {"by": "ghost"}) is False
    assert queue.get(job.id).result == {"by": "survivor"}


def test_an_expired_lease_on_the_last_attempt_fails_the_job(queue: JobQueue, registry: TaskRegistry,
                                                           clock: Any) -> None:
    registry.task("work", max_attempts=1)(lambda ctx, payload: None)
    job = queue.enqueue("work", {})
    assert queue.ledger.claim_next("dead-runner", lease=10.0) is not None
    clock.now += 11
    assert _runner(queue).run_once() is None
    failed = queue.get(job.id)
    assert failed.status == "failed" and "lease expired" in (failed.last_error or "")


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


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"payload": [1, 2]}, "payload must be a JSON object"),
    ({"payload": {"x": object()}}, "payload is not JSON"),
    ({"payload": {"x": float("nan")}}, "payload is not JSON"),
    ({"run_at": datetime(2030, 1, 1)}, "timezone-aware"),
    ({"max_attempts": 0}, "max_attempts must be"),
    ({"priority": "high"}, "priority must be"),
    ({"idempotency_key": ""}, "idempotency_key must be"),
])
def test_bad_enqueues_are_refused_with_the_reason(queue: JobQueue, registry: TaskRegistry,
                                                  kwargs: dict[str, Any], message: str) -> None:
    registry.task("t")(lambda ctx, payload: None)
    kwargs = dict(kwargs)
    payload = kwargs.pop("payload", {})
    with pytest.raises(JobError, match=message):
        queue.enqueue("t", payload, **kwargs)
    with pytest.raises(JobError, match="unknown task"):
        queue.enqueue("nope", {})
    assert queue.ledger.list() == []


def test_a_job_whose_task_is_not_installed_fails_with_a_hint(queue: JobQueue, registry: TaskRegistry) -> None:
    registry.task("gone")(lambda ctx, payload: None)
    job = queue.enqueue("gone", {})
    other = JobQueue(queue.database, TaskRegistry(), clock=queue.ledger.clock)
    assert _runner(other).run_once().status == "failed"  # type: ignore[union-attr]
    assert "is the plugin that provides it installed" in (queue.get(job.id).last_error or "")


def test_a_job_the_backend_refused_is_failed_visibly(db: Database, registry: TaskRegistry) -> None:
    db.upgrade()
    registry.task("t")(lambda ctx, payload: None)

    class Down:
        backend = "inprocess"

        def dispatch(self, job: Any) -> int | None:
            raise ConnectionError("broker unreachable")

    queue = JobQueue(db, registry, Down())
    with pytest.raises(ConnectionError):
        queue.enqueue("t", {})
    [job] = queue.ledger.list()
    assert job.status == "failed"
    assert job.last_error == "could not be handed to the inprocess backend: ConnectionError: broker unreachable"
