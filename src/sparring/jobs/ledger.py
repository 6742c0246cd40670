"""The ``jobs`` table: insert with idempotency keys, the atomic claim, leases and heartbeats, outcomes, the admin
view and retry. Both backends write it; only the in-process runner claims from it (``claim_next``).

The claim is one transaction: ``SELECT id ... FOR UPDATE SKIP LOCKED`` picks the next due job (PostgreSQL: two
runners never wait on or take the same row; SQLite ignores the clause, its writers are serialised by BEGIN
IMMEDIATE) and a conditional ``UPDATE ... WHERE status = 'queued'`` takes it, so a job is claimed once even if
two processes saw it. Every later write of a run is conditional on ``locked_by``: a runner whose lease expired
(and whose job another runner took over) cannot overwrite the new run's outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from sparring.store.db import Database
from sparring.store.models import JobRow

MAX_ERROR_CHARS = 2000
#: a progress note's characters (the column's size)
MAX_NOTE_CHARS = 200
Clock = Callable[[], float]


@dataclass(frozen=True)
class Job:
    """A job as the API returns it (times are Unix seconds; ``at()`` turns one into a UTC datetime)."""

    id: int
    task: str
    payload: dict[str, Any]
    status: str
    backend: str
    priority: int
    attempts: int
    max_attempts: int
    run_at: float
    idempotency_key: str | None
    org_id: int | None
    last_error: str | None
    result: dict[str, Any] | None
    locked_by: str | None
    external_id: int | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    #: how far the job is, 0 to 1, and what it is doing (``TaskContext.progress``); None when not reported
    progress: float | None = None
    progress_note: str | None = None

    @staticmethod
    def at(seconds: float | None) -> datetime | None:
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "task": self.task, "payload": self.payload, "status": self.status, "backend": self.backend,
            "priority": self.priority, "attempts": self.attempts, "max_attempts": self.max_attempts,
            "run_at": _iso(self.run_at), "idempotency_key": self.idempotency_key, "org_id": self.org_id,
            "last_error": self.last_error, "result": self.result, "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at), "finished_at": _iso(self.finished_at),
            "progress": self.progress, "progress_note": self.progress_note,
        }


def _iso(seconds: float | None) -> str | None:
    at = Job.at(seconds)
    return at.isoformat() if at else None


def _job(row: JobRow) -> Job:
    return Job(
        id=row.id, task=row.task, payload=dict(row.payload or {}), status=row.status, backend=row.backend,
        priority=row.priority, attempts=row.attempts, max_attempts=row.max_attempts, run_at=row.run_at,
        idempotency_key=row.idempotency_key, org_id=row.org_id, last_error=row.last_error,
        result=row.result, locked_by=row.locked_by, external_id=row.external_id, created_at=row.created_at,
        started_at=row.started_at, finished_at=row.finished_at, progress=row.progress,
        progress_note=row.progress_note,
    )


def _rows(result: Any) -> int:
    """Rows an UPDATE or DELETE touched (a CursorResult's rowcount)."""
    return int(result.rowcount)


def error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


class JobLedger:
    """Reads and writes of the ``jobs`` table. ``clock`` (Unix seconds) is injectable for tests."""

    def __init__(self, database: Database, clock: Clock = time.time):
        self.db = database
        self.clock = clock

    # ---- enqueueing -------------------------------------------------------------------------------------
    def insert(self, *, task: str, payload: dict[str, Any], backend: str, run_at: float, priority: int,
               max_attempts: int, idempotency_key: str | None, org_id: int | None) -> tuple[Job, bool]:
        """Add a job; (job, True). With an ``idempotency_key`` that a job already has: (that job, False)."""
        if idempotency_key is not None:
            found = self.by_key(idempotency_key)
            if found is not None:
                return found, False
        try:
            with self.db.session() as s:
                row = JobRow(task=task, payload=payload, status="queued", backend=backend, priority=priority,
                             attempts=0, max_attempts=max_attempts, run_at=run_at, idempotency_key=idempotency_key,
                             org_id=org_id, created_at=self.clock())
                s.add(row)
                s.flush()
                return _job(row), True
        except IntegrityError:
            if idempotency_key is None:
                raise
            found = self.by_key(idempotency_key)  # another process inserted it between our look and our insert
            if found is None:
                raise
            return found, False

    def by_key(self, key: str) -> Job | None:
        with self.db.read() as s:
            row = s.scalars(select(JobRow).where(JobRow.idempotency_key == key)).first()
            return _job(row) if row else None

    def get(self, job_id: int) -> Job | None:
        with self.db.read() as s:
            row = s.get(JobRow, job_id)
            return _job(row) if row else None

    def set_external_id(self, job_id: int, external_id: int) -> None:
        with self.db.session() as s:
            s.execute(update(JobRow).where(JobRow.id == job_id).values(external_id=external_id))

    # ---- claiming ---------------------------------------------------------------------------------------
    def has_due(self, backend: str) -> bool:
        """A cheap read: is any job of ``backend`` due? (The claim itself is a write transaction.)"""
        with self.db.read() as s:
            return s.scalar(select(JobRow.id).where(*self._due(backend)).limit(1)) is not None

    def _due(self, backend: str) -> tuple[Any, ...]:
        return (JobRow.backend == backend, JobRow.status == "queued", JobRow.run_at <= self.clock())

    def claim_next(self, worker: str, lease: float | None, backend: str = "inprocess") -> Job | None:
        """Take the next due job (highest priority, then oldest ``run_at``) for ``worker``: status running,
        attempts + 1, leased for ``lease`` seconds. None when nothing is due."""
        with self.db.session() as s:
            now = self.clock()
            job_id = s.scalar(
                select(JobRow.id).where(*self._due(backend))
                .order_by(JobRow.priority.desc(), JobRow.run_at, JobRow.id).limit(1)
                .with_for_update(skip_locked=True)
            )
            if job_id is None:
                return None
            taken = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.status == "queued")
                .values(status="running", attempts=JobRow.attempts + 1, locked_by=worker,
                        lease_until=None if lease is None else now + lease, started_at=now, progress=None,
                        progress_note=None)
                .execution_options(synchronize_session=False)
            )
            if _rows(taken) != 1:
                return None
            row = s.scalars(select(JobRow).where(JobRow.id == job_id).execution_options(populate_existing=True)).one()
            return _job(row)

    def claim(self, job_id: int, worker: str) -> Job | None:
        """Take one given job (the Procrastinate backend: Procrastinate already chose this worker). A job still
        marked running belonged to a worker that died: it is taken over. None when it is done or failed."""
        with self.db.session() as s:
            now = self.clock()
            taken = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.status.in_(("queued", "running")))
                .values(status="running", attempts=JobRow.attempts + 1, locked_by=worker, lease_until=None,
                        started_at=now, progress=None, progress_note=None)
                .execution_options(synchronize_session=False)
            )
            if _rows(taken) != 1:
                return None
            row = s.scalars(select(JobRow).where(JobRow.id == job_id).execution_options(populate_existing=True)).one()
            return _job(row)

    def heartbeat(self, job_id: int, worker: str, lease: float) -> bool:
        """Extend a running job's lease; False when this worker no longer holds it."""
        with self.db.session() as s:
            res = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.locked_by == worker, JobRow.status == "running")
                .values(lease_until=self.clock() + lease).execution_options(synchronize_session=False)
            )
            return _rows(res) == 1

    def expire_leases(self, backend: str = "inprocess") -> int:
        """Running jobs whose lease ran out (their runner died or hung): queued again at once, or failed when
        that run was their last attempt. Returns how many were released."""
        now = self.clock()
        lost = "the runner stopped while running it (its lease expired)"
        with self.db.session() as s:
            base = (JobRow.backend == backend, JobRow.status == "running", JobRow.lease_until < now)
            failed = s.execute(
                update(JobRow).where(*base, JobRow.attempts >= JobRow.max_attempts)
                .values(status="failed", last_error=lost, locked_by=None, lease_until=None, finished_at=now)
                .execution_options(synchronize_session=False)
            )
            again = s.execute(
                update(JobRow).where(*base)
                .values(status="queued", last_error=lost, locked_by=None, lease_until=None, run_at=now)
                .execution_options(synchronize_session=False)
            )
            return _rows(failed) + _rows(again)

    def set_progress(self, job_id: int, worker: str, fraction: float, note: str | None = None) -> bool:
        """Record how far a running job is (``fraction`` clamped to 0..1, ``note`` cut to ``MAX_NOTE_CHARS``);
        False when ``worker`` no longer holds the job (nothing is written then)."""
        value = min(1.0, max(0.0, float(fraction))) if fraction == fraction else 0.0  # NaN counts as 0
        text = None if note is None else (note if len(note) <= MAX_NOTE_CHARS else note[: MAX_NOTE_CHARS - 1] + "…")
        with self.db.session() as s:
            res = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.locked_by == worker, JobRow.status == "running")
                .values(progress=value, progress_note=text).execution_options(synchronize_session=False)
            )
            return _rows(res) == 1

    # ---- outcomes ---------------------------------------------------------------------------------------
    def _finish(self, job_id: int, worker: str, **values: Any) -> bool:
        with self.db.session() as s:
            res = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.locked_by == worker, JobRow.status == "running")
                .values(locked_by=None, lease_until=None, **values).execution_options(synchronize_session=False)
            )
            return _rows(res) == 1

    def fail_queued(self, job_id: int, error: str) -> bool:
        """A queued job that could not be handed to its backend: failed, so that an admin sees it and can retry."""
        with self.db.session() as s:
            res = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.status == "queued")
                .values(status="failed", last_error=error, finished_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            return _rows(res) == 1

    def mark_done(self, job_id: int, worker: str, result: dict[str, Any] | None) -> bool:
        return self._finish(job_id, worker, status="done", result=result, finished_at=self.clock())

    def mark_retry(self, job_id: int, worker: str, error: str, retry_at: float) -> bool:
        return self._finish(job_id, worker, status="queued", last_error=error, run_at=retry_at)

    def mark_failed(self, job_id: int, worker: str, error: str) -> bool:
        return self._finish(job_id, worker, status="failed", last_error=error, finished_at=self.clock())

    # ---- the admin view ---------------------------------------------------------------------------------
    def list(self, statuses: Iterable[str] | None = None, *, org_ids: Iterable[int | None] | None = None,
             task: str | None = None, limit: int = 100) -> list[Job]:
        """Jobs, newest first; ``org_ids`` may include None (installation-wide jobs)."""
        q = select(JobRow)
        if statuses is not None:
            q = q.where(JobRow.status.in_(list(statuses)))
        if org_ids is not None:
            ids = list(org_ids)
            cond = JobRow.org_id.in_([i for i in ids if i is not None])
            q = q.where(cond | JobRow.org_id.is_(None)) if None in ids else q.where(cond)
        if task is not None:
            q = q.where(JobRow.task == task)
        q = q.order_by(JobRow.id.desc()).limit(max(1, min(limit, 1000)))
        with self.db.read() as s:
            return [_job(r) for r in s.scalars(q)]

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        with self.db.read() as s:
            return {st: int(n) for st, n in s.execute(select(JobRow.status, func.count()).group_by(JobRow.status))}

    def requeue_failed(self, job_id: int, extra_attempts: int) -> Job | None:
        """A failed job queued again now with ``extra_attempts`` more attempts (its error stays until the next
        run). None when the job is not failed."""
        now = self.clock()
        with self.db.session() as s:
            res = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.status == "failed")
                .values(status="queued", run_at=now, finished_at=None, max_attempts=JobRow.attempts + extra_attempts)
                .execution_options(synchronize_session=False)
            )
            if _rows(res) != 1:
                return None
            row = s.scalars(select(JobRow).where(JobRow.id == job_id).execution_options(populate_existing=True)).one()
            return _job(row)

    def purge_done(self, older_than: float) -> int:
        """Delete jobs that finished successfully before ``older_than`` (Unix seconds)."""
        with self.db.session() as s:
            res = s.execute(delete(JobRow).where(JobRow.status == "done", JobRow.finished_at < older_than))
            return _rows(res)
