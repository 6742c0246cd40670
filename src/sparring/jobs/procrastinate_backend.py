"""The PostgreSQL backend: Procrastinate runs the jobs (``sparring worker``), the ``jobs`` table stays their record.

- Enqueue (any process): the job row is stored, then one Procrastinate job ``sparring.run_job(job_id=...)`` is
  deferred with the row's priority and ``run_at`` (``ProcrastinateDispatcher``).
- A worker (``run_worker``) is a Procrastinate worker: Procrastinate fetches with ``FOR UPDATE SKIP LOCKED``,
  keeps a heartbeat per worker and handles SIGTERM/SIGINT (the running jobs finish, no new one starts). The
  task claims the row, runs the registered task (``execute.run_claimed``) and turns the outcome into
  Procrastinate's: a retry is scheduled at the time the ledger chose (same backoff as in-process), a failure
  fails the Procrastinate job too.
- Besides Procrastinate's worker, each ``sparring worker`` retries the jobs of stalled workers (no heartbeat for
  ``jobs_lease_seconds``: killed, or the machine died) and enqueues periodic slots.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from sparring.jobs.execute import run_claimed
from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.runner import worker_name

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

RUN_JOB = "sparring.run_job"


def conninfo(database_url: str) -> str:
    """A libpq connection string for Procrastinate (psycopg) from Sparring's SQLAlchemy URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"Procrastinate needs PostgreSQL, not {url.get_backend_name()}")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class RetryLater(Exception):
    """The task failed and the ledger queued it again for ``retry_at``."""

    def __init__(self, retry_at: float, error: str):
        super().__init__(error)
        self.retry_at = retry_at


class JobFailed(Exception):
    """The task failed for good (attempts used up, or a permanent error); the ledger has the error."""


def _retry_strategy() -> Any:
    from procrastinate import retry

    class LedgerRetry(retry.BaseRetryStrategy):
        """Retry exactly when ``execute.run_claimed`` decided to, and only then."""

        def get_retry_decision(self, *, exception: BaseException, job: Any) -> retry.RetryDecision | None:
            if isinstance(exception, RetryLater):
                return retry.RetryDecision(retry_at=datetime.fromtimestamp(exception.retry_at, UTC))
            return None

    return LedgerRetry()


def _register_run_job(app: procrastinate.App, queue: JobQueue, worker: str) -> None:
    rng = random.Random()

    @app.task(name=RUN_JOB, retry=_retry_strategy())
    def run_job(job_id: int) -> None:
        job = queue.ledger.claim(job_id, worker)
        if job is None:  # already done or failed (e.g. a stalled retry of a job that did finish)
            return
        outcome = run_claimed(queue.ledger, queue.registry, job, worker, rng=rng.random)
        if outcome.status == "retry":
            fresh = queue.ledger.get(job_id)
            raise RetryLater(fresh.run_at if fresh else queue.ledger.clock(), outcome.error or "")
        if outcome.status == "failed":
            raise JobFailed(outcome.error or "failed")


class ProcrastinateDispatcher:
    """Defers one Procrastinate job per stored job (a synchronous connection pool, opened on first use)."""

    backend = "procrastinate"

    def __init__(self, database_url: str, *, pool_max: int = 4):
        self._conninfo = conninfo(database_url)
        self._pool_max = pool_max
        self._app: Any = None
        self._lock = threading.Lock()

    def _open(self) -> Any:
        with self._lock:
            if self._app is None:
                import procrastinate

                connector = procrastinate.SyncPsycopgConnector(conninfo=self._conninfo, min_size=1,
                                                               max_size=self._pool_max)
                self._app = procrastinate.App(connector=connector).open()
            return self._app

    def dispatch(self, job: Job) -> int | None:
        deferrer = self._open().configure_task(RUN_JOB, priority=job.priority,
                                               schedule_at=datetime.fromtimestamp(job.run_at, UTC))
        return int(deferrer.defer(job_id=job.id))

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None


async def _recover_stalled(app: Any, every: float, stalled_after: float) -> None:
    """Retry the running jobs of workers whose heartbeat stopped (killed, or their machine died)."""
    while True:
        await asyncio.sleep(every)
        try:
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
        except Exception:
            log.warning("could not look for stalled jobs", exc_info=True)
            continue
        for job in stalled:
            try:
                await app.job_manager.retry_job(job)
                log.warning("job %s (procrastinate %s) of a stalled worker queued again",
                            job.task_kwargs.get("job_id"), job.id)
            except Exception:  # another worker retried it first
                log.debug("stalled job %s already handled", job.id, exc_info=True)


async def _schedule_periodic(queue: JobQueue, every: float) -> None:
    while True:
        try:
            await asyncio.to_thread(queue.schedule_periodic)
        except Exception:
            log.warning("could not enqueue periodic tasks", exc_info=True)
        await asyncio.sleep(every)


def run_worker(queue: JobQueue, database_url: str, *, concurrency: int = 1, lease_seconds: float = 30.0,
               poll_interval: float = 1.0, name: str | None = None) -> None:
    """Run a Procrastinate worker for ``queue``'s jobs until SIGTERM/SIGINT (the running jobs finish first)."""
    import procrastinate

    worker = name or worker_name("worker")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
    _register_run_job(app, queue, worker)

    async def main() -> None:
        async with app.open_async():
            side = [asyncio.create_task(_recover_stalled(app, max(0.5, lease_seconds / 3), lease_seconds)),
                    asyncio.create_task(_schedule_periodic(queue, poll_interval))]
            try:
                await app.run_worker_async(
                    name=worker, concurrency=concurrency, fetch_job_polling_interval=poll_interval,
                    update_heartbeat_interval=max(0.5, lease_seconds / 3), stalled_worker_timeout=lease_seconds,
                    install_signal_handlers=True,
                    # the jobs table is the record: Procrastinate's row of a job that succeeded is not needed
                    delete_jobs="successful",
                )
            finally:
                for task in side:
                    task.cancel()
                await asyncio.gather(*side, return_exceptions=True)

    asyncio.run(main())
