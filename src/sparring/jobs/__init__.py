"""Background jobs: one task API (``TaskRegistry``, ``JobQueue``), two backends (docs/jobs.md).

- ``registry``: task functions by name, retry policy, schedules; plugins add tasks with ``register(registry)``.
- ``queue``: ``JobQueue.enqueue(task, payload, idempotency_key=, run_at=, priority=, max_attempts=)``.
- ``ledger``: the ``jobs`` table (atomic claim, leases, outcomes, the admin view).
- ``runner``: the in-process runner (SQLite default; a thread of ``sparring serve``, or ``sparring worker``).
- ``procrastinate_backend`` / ``procrastinate_schema``: Procrastinate on PostgreSQL.
- ``setup``: the backend and the tasks from settings.

This package uses the store only; it never imports the web app, the CLI or the services.
"""

from __future__ import annotations

from sparring.jobs.execute import Outcome
from sparring.jobs.ledger import Job, JobLedger
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import JobError, PermanentError, Schedule, Task, TaskContext, TaskRegistry
from sparring.jobs.runner import InProcessRunner

__all__ = [
    "InProcessRunner",
    "Job",
    "JobError",
    "JobLedger",
    "JobQueue",
    "Outcome",
    "PermanentError",
    "Schedule",
    "Task",
    "TaskContext",
    "TaskRegistry",
]
