"""The task API: idempotency keys, validation with the reason, periodic slots enqueued once, a refused dispatch
made visible (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from sparring.jobs import InProcessRunner, JobError, JobQueue, TaskRegistry
from sparring.store.db import Database


def _runner(queue: JobQueue, name: str = "r1", **kw: Any) -> InProcessRunner:
    return InProcessRunner(queue, worker_id=name, rng=random.Random(3).random, **kw)


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
