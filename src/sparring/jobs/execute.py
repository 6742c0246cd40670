"""Running one claimed job: call its task, record the outcome, decide on a retry. Shared by both backends, so a
task behaves the same in-process and on Procrastinate.

Delivery is at least once: a job whose worker dies mid-run is run again, so a task must be safe to repeat (write
its result in one transaction, or check whether it is already there).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sparring.jobs.ledger import Job, JobLedger, error_text
from sparring.jobs.registry import JobError, PermanentError, TaskContext, TaskRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    job_id: int
    status: Literal["done", "retry", "failed", "lost"]
    #: seconds until the retry (status "retry")
    delay: float | None = None
    error: str | None = None


def _result(value: Any) -> dict[str, Any] | None:
    """What a task returned, stored when it is a JSON object (anything else is not kept)."""
    if not isinstance(value, dict):
        return None
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


class _Heartbeat:
    """Extends a job's lease every third of it while the task runs (a thread; stops with the task)."""

    def __init__(self, ledger: JobLedger, job_id: int, worker: str, lease: float):
        self._stop = threading.Event()
        self._args = (ledger, job_id, worker, lease)
        self._thread = threading.Thread(target=self._beat, name=f"sparring-job-{job_id}-heartbeat", daemon=True)

    def _beat(self) -> None:
        ledger, job_id, worker, lease = self._args
        while not self._stop.wait(lease / 3):
            try:
                if not ledger.heartbeat(job_id, worker, lease):
                    log.warning("job %s: lost its lease to another runner", job_id)
                    return
            except Exception:  # the database is briefly unreachable: try again at the next beat
                log.warning("job %s: heartbeat failed", job_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


#: progress is written to the job's row at most this often (seconds); the first report and 100 % always go out
PROGRESS_EVERY = 0.5


class _Progress:
    """``TaskContext.reporter``: writes a task's progress to its job's row, throttled; a failed write is logged and
    forgotten (progress is for people watching, never a reason to fail the job)."""

    def __init__(self, ledger: JobLedger, job_id: int, worker: str, clock: Callable[[], float] = time.monotonic):
        self.ledger, self.job_id, self.worker, self.clock = ledger, job_id, worker, clock
        self._last: float | None = None

    def __call__(self, fraction: float, note: str | None = None) -> None:
        now = self.clock()
        if self._last is not None and now - self._last < PROGRESS_EVERY and fraction < 1.0:
            return
        self._last = now
        try:
            self.ledger.set_progress(self.job_id, self.worker, fraction, note)
        except Exception:
            log.warning("job %s: could not record its progress", self.job_id, exc_info=True)


def run_claimed(ledger: JobLedger, registry: TaskRegistry, job: Job, worker: str, *,
                rng: Callable[[], float], lease: float | None = None) -> Outcome:
    """Run ``job`` (claimed by ``worker``; ``job.attempts`` counts this run) and record what happened."""
    if job.attempts > job.max_attempts:  # the previous run was the last one and its worker died during it
        error = job.last_error or "the worker stopped during the last attempt"
        ledger.mark_failed(job.id, worker, error)
        return Outcome(job.id, "failed", error=error)
    try:
        task = registry.get(job.task)
    except JobError as exc:
        error = f"{exc} in this worker; is the plugin that provides it installed here?"
        ledger.mark_failed(job.id, worker, error)
        return Outcome(job.id, "failed", error=error)
    ctx = TaskContext(job_id=job.id, task=job.task, attempt=job.attempts, max_attempts=job.max_attempts,
                      database=ledger.db, org_id=job.org_id, app=registry.app,
                      reporter=_Progress(ledger, job.id, worker))
    try:
        if lease is None:
            value = task.fn(ctx, dict(job.payload))
        else:
            with _Heartbeat(ledger, job.id, worker, lease):
                value = task.fn(ctx, dict(job.payload))
    except Exception as exc:
        error = error_text(exc)
        permanent = isinstance(exc, PermanentError)
        log.warning("job %s (%s) attempt %s/%s failed: %s", job.id, job.task, job.attempts, job.max_attempts,
                    error, exc_info=not permanent)
        if permanent or job.attempts >= job.max_attempts:
            recorded = ledger.mark_failed(job.id, worker, error)
            return Outcome(job.id, "failed" if recorded else "lost", error=error)
        delay = task.backoff(job.attempts, rng)
        recorded = ledger.mark_retry(job.id, worker, error, ledger.clock() + delay)
        return Outcome(job.id, "retry" if recorded else "lost", delay=delay, error=error)
    recorded = ledger.mark_done(job.id, worker, _result(value))
    return Outcome(job.id, "done" if recorded else "lost")
