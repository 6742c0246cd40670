"""The one task API: ``JobQueue.enqueue`` and friends, the same whichever backend runs the jobs.

Every job is a row of the ``jobs`` table first (``JobLedger``): that is where idempotency keys are enforced and
where admins see attempts and errors. A ``Dispatcher`` then hands it to the backend: nothing to do for the
in-process runner (it polls the table; a runner in this process is woken at once), a Procrastinate job for the
Procrastinate backend (``sparring.jobs.procrastinate_backend``).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sparring.jobs.ledger import Clock, Job, JobLedger, error_text
from sparring.jobs.registry import JobError, TaskRegistry
from sparring.store.db import Database

log = logging.getLogger(__name__)

MAX_KEY_CHARS = 200
MAX_PAYLOAD_CHARS = 100_000
#: a periodic slot older than this when a runner first sees it is skipped (a restart after a long outage does not
#: fire every nightly task at once in the afternoon)
PERIODIC_MAX_DELAY = 600.0


class Dispatcher(Protocol):
    backend: str

    def dispatch(self, job: Job) -> int | None:
        """Hand a stored job to the backend; the backend's own job id, if it has one."""
        ...


class InProcessDispatcher:
    backend = "inprocess"

    def dispatch(self, job: Job) -> int | None:
        return None


def _payload(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise JobError(f"payload must be a JSON object (a dict), not {type(payload).__name__}")
    try:
        text = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise JobError(f"payload is not JSON: {exc}") from None
    if len(text) > MAX_PAYLOAD_CHARS:
        raise JobError(f"payload is too large ({len(text):,} characters; at most {MAX_PAYLOAD_CHARS:,})")
    return dict(json.loads(text))


def _run_at(run_at: datetime | None, now: float) -> float:
    if run_at is None:
        return now
    if not isinstance(run_at, datetime):
        raise JobError(f"run_at must be a datetime, not {type(run_at).__name__}")
    if run_at.tzinfo is None:
        raise JobError("run_at must be timezone-aware (e.g. datetime.now(UTC) + timedelta(minutes=5))")
    return run_at.timestamp()


class JobQueue:
    """Enqueue, look at and retry jobs. ``registry`` names the tasks that exist; ``dispatcher`` picks the backend."""

    def __init__(self, database: Database, registry: TaskRegistry, dispatcher: Dispatcher | None = None,
                 clock: Clock = time.time):
        self.registry = registry
        self.ledger = JobLedger(database, clock)
        self.dispatcher: Dispatcher = dispatcher or InProcessDispatcher()
        self._listeners: list[Callable[[Job], None]] = []
        self._periodic_seen: dict[str, float] = {}

    @property
    def database(self) -> Database:
        return self.ledger.db

    @property
    def backend(self) -> str:
        return self.dispatcher.backend

    def on_enqueue(self, listener: Callable[[Job], None]) -> None:
        """Call ``listener(job)`` after each new job (the in-process runner uses it to wake up)."""
        self._listeners.append(listener)

    def enqueue(self, task_name: str, payload: dict[str, Any] | None = None, *, idempotency_key: str | None = None,
                run_at: datetime | None = None, priority: int = 0, max_attempts: int | None = None,
                org_id: int | None = None) -> Job:
        """Store a job for ``task_name`` and hand it to the backend. With an ``idempotency_key`` that an earlier
        job has (whatever its state), that job is returned and nothing is added."""
        task = self.registry.get(task_name)
        body = _payload({} if payload is None else payload)
        if idempotency_key is not None and not (isinstance(idempotency_key, str) and
                                                0 < len(idempotency_key) <= MAX_KEY_CHARS):
            raise JobError(f"idempotency_key must be 1..{MAX_KEY_CHARS} characters")
        if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > 1_000_000:
            raise JobError("priority must be an integer between -1000000 and 1000000")
        attempts = task.max_attempts if max_attempts is None else max_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 100:
            raise JobError("max_attempts must be an integer from 1 to 100")
        when = _run_at(run_at, self.ledger.clock())
        if not math.isfinite(when):
            raise JobError("run_at is not a real time")
        job, created = self.ledger.insert(task=task.name, payload=body, backend=self.backend, run_at=when,
                                          priority=priority, max_attempts=attempts,
                                          idempotency_key=idempotency_key, org_id=org_id)
        if created:
            self._dispatch(job)
        return job

    def _dispatch(self, job: Job) -> Job:
        try:
            external = self.dispatcher.dispatch(job)
        except Exception as exc:  # the row is stored but no worker will see it: make that visible, then report it
            self.ledger.fail_queued(job.id, f"could not be handed to the {self.backend} backend: {error_text(exc)}")
            raise
        if external is not None:
            self.ledger.set_external_id(job.id, external)
        for listener in self._listeners:
            listener(job)
        return job

    def get(self, job_id: int) -> Job:
        job = self.ledger.get(job_id)
        if job is None:
            raise JobError(f"unknown job {job_id}")
        return job

    def retry(self, job_id: int) -> Job:
        """Queue a failed job again now, with a fresh round of its task's attempts."""
        job = self.get(job_id)
        extra = self.registry.tasks[job.task].max_attempts if job.task in self.registry else 1
        again = self.ledger.requeue_failed(job_id, extra)
        if again is None:
            raise JobError(f"job {job_id} is {job.status}; only failed jobs can be retried")
        return self._dispatch(again)

    # ---- periodic tasks ---------------------------------------------------------------------------------
    def schedule_periodic(self) -> list[Job]:
        """Enqueue the current slot of every periodic task that has not been enqueued yet. Safe to call from
        every runner and worker at once: the slot's idempotency key lets exactly one job through."""
        now = self.ledger.clock()
        added = []
        for task in self.registry.periodic():
            assert task.schedule is not None
            slot = task.schedule.latest_slot(now)
            if self._periodic_seen.get(task.name) == slot or now - slot > PERIODIC_MAX_DELAY:
                continue
            key = f"periodic:{task.name}:{int(slot)}"
            before = self.ledger.by_key(key)
            if before is None:
                added.append(self.enqueue(task.name, {"scheduled_for": slot}, idempotency_key=key,
                                          run_at=Job.at(slot)))
            self._periodic_seen[task.name] = slot
        return added
