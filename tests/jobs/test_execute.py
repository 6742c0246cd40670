"""Running a claimed job: retries with exponential backoff, failure after the last attempt with the error kept,
an admin retry, permanent errors, a task this worker does not have (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sparring.jobs import InProcessRunner, JobError, JobQueue, PermanentError, TaskContext, TaskRegistry


def _runner(queue: JobQueue, name: str = "r1", **kw: Any) -> InProcessRunner:
    return InProcessRunner(queue, worker_id=name, rng=random.Random(3).random, **kw)


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


def test_a_job_whose_task_is_not_installed_fails_with_a_hint(queue: JobQueue, registry: TaskRegistry) -> None:
    registry.task("gone")(lambda ctx, payload: None)
    job = queue.enqueue("gone", {})
    other = JobQueue(queue.database, TaskRegistry(), clock=queue.ledger.clock)
    assert _runner(other).run_once().status == "failed"  # type: ignore[union-attr]
    assert "is the plugin that provides it installed" in (queue.get(job.id).last_error or "")
