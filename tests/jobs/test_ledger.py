"""The jobs table: leases that expire and are taken over, conditional writes, one job per idempotency key under
concurrent enqueues (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import threading
from typing import Any

from sparring.jobs import InProcessRunner, JobQueue, TaskRegistry


def _runner(queue: JobQueue, name: str = "r1", **kw: Any) -> InProcessRunner:
    return InProcessRunner(queue, worker_id=name, rng=random.Random(3).random, **kw)


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
