"""Job progress (TaskContext.progress → the job's row), on SQLite and PostgreSQL: what a task reports is stored
(clamped, its note cut), throttled, readable by the admin view and the JSON; only the runner holding the job writes
it; a new attempt starts without the last one's progress; a task that does not report has none; migration
0013_job_progress adds the two columns and its downgrade removes them."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import inspect

from sparring.jobs import InProcessRunner, JobQueue, TaskContext, TaskRegistry
from sparring.jobs.execute import PROGRESS_EVERY, _Progress
from sparring.jobs.ledger import MAX_NOTE_CHARS
from sparring.store import migrate
from sparring.store.db import Database


def _runner(queue: JobQueue) -> InProcessRunner:
    return InProcessRunner(queue, worker_id="r1", rng=random.Random(3).random)


def test_a_task_reports_progress_that_the_job_shows(queue: JobQueue, registry: TaskRegistry) -> None:
    seen: list[tuple[float | None, str | None]] = []

    @registry.task("long")
    def long(ctx: TaskContext, payload: dict[str, Any]) -> None:
        ctx.progress(0.25, "a quarter")
        job = queue.get(ctx.job_id)
        seen.append((job.progress, job.progress_note))
        assert job.as_json()["progress"] == 0.25 and job.as_json()["progress_note"] == "a quarter"
        ctx.progress(1.0, "done transcribing")  # 100 % always goes out, however soon after

    job = queue.enqueue("long", {})
    assert queue.get(job.id).progress is None
    assert _runner(queue).run_once().status == "done"  # type: ignore[union-attr]
    assert seen == [(0.25, "a quarter")]
    done = queue.get(job.id)
    assert (done.progress, done.progress_note) == (1.0, "done transcribing")


def test_a_task_that_does_not_report_has_no_progress(queue: JobQueue, registry: TaskRegistry) -> None:
    registry.task("quiet")(lambda ctx, payload: None)
    job = queue.enqueue("quiet", {})
    _runner(queue).run_once()
    assert (queue.get(job.id).progress, queue.get(job.id).progress_note) == (None, None)
    ctx = TaskContext(job_id=1, task="quiet", attempt=1, max_attempts=1, database=queue.database)
    ctx.progress(0.5, "nobody listens")  # without a reporter (a task called directly): nothing happens


def test_only_the_holder_writes_values_are_clamped_and_a_new_attempt_starts_afresh(queue: JobQueue,
                                                                                   registry: TaskRegistry) -> None:
    registry.task("t")(lambda ctx, payload: None)
    job = queue.enqueue("t", {})
    ledger = queue.ledger
    claimed = ledger.claim_next("w1", lease=30)
    assert claimed is not None and claimed.id == job.id
    assert ledger.set_progress(job.id, "w1", 1.7, "x" * 500)
    got = queue.get(job.id)
    assert got.progress == 1.0 and got.progress_note is not None and len(got.progress_note) == MAX_NOTE_CHARS
    assert ledger.set_progress(job.id, "w1", float("nan")) and queue.get(job.id).progress == 0.0
    assert ledger.set_progress(job.id, "w1", -3, None) and queue.get(job.id).progress == 0.0
    assert not ledger.set_progress(job.id, "someone-else", 0.5, "stale")
    assert queue.get(job.id).progress == 0.0
    ledger.mark_retry(job.id, "w1", "boom", retry_at=0.0)
    again = ledger.claim_next("w2", lease=30)
    assert again is not None and (again.progress, again.progress_note) == (None, None)


def test_reports_are_throttled_but_the_first_and_the_last_go_out() -> None:
    written: list[tuple[float, str | None]] = []

    class Ledger:
        def set_progress(self, job_id: int, worker: str, fraction: float, note: str | None = None) -> bool:
            written.append((fraction, note))
            return True

    now = [100.0]
    report = _Progress(Ledger(), 1, "w", clock=lambda: now[0])  # type: ignore[arg-type]
    report(0.1, "a")
    report(0.2, "b")  # too soon
    now[0] += PROGRESS_EVERY
    report(0.3, "c")
    report(1.0, "done")  # too soon, but 100 %
    assert written == [(0.1, "a"), (0.3, "c"), (1.0, "done")]


def test_a_failing_progress_write_does_not_fail_the_job(queue: JobQueue, registry: TaskRegistry,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kw: Any) -> bool:
        raise ConnectionError("database away for a moment")

    monkeypatch.setattr(queue.ledger, "set_progress", broken)
    registry.task("t")(lambda ctx, payload: ctx.progress(0.5, "half"))
    queue.enqueue("t", {})
    assert _runner(queue).run_once().status == "done"  # type: ignore[union-attr]


def test_migration_0013_adds_and_removes_the_columns(db: Database) -> None:
    migrate.upgrade(db.engine, "0012_loops")
    assert {"progress", "progress_note"}.isdisjoint(c["name"] for c in inspect(db.engine).get_columns("jobs"))
    assert db.upgrade() == ("0012_loops", migrate.SCHEMA_HEAD)
    assert {"progress", "progress_note"} <= {c["name"] for c in inspect(db.engine).get_columns("jobs")}
    migrate.downgrade(db.engine, "0012_loops")
    assert {"progress", "progress_note"}.isdisjoint(c["name"] for c in inspect(db.engine).get_columns("jobs"))
