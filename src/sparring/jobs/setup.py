"""Building the job queue from settings: which backend, which tasks. Called by whoever assembles the application
(the web app, the CLI, the worker); nothing here reads the environment by itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import TaskRegistry, load_task_plugins, split_modules
from sparring.store.db import Database

if TYPE_CHECKING:
    from sparring.settings import Settings

BACKENDS = ("auto", "inprocess", "procrastinate")


class BackendError(Exception):
    """The configured job backend cannot work with this database; the message says why and what to set."""


def resolve_backend(setting: str, database: Database) -> str:
    """``auto`` is Procrastinate on PostgreSQL and the in-process runner elsewhere."""
    if setting not in BACKENDS:
        raise BackendError(f"unknown jobs backend {setting!r} (use one of: {', '.join(BACKENDS)})")
    if setting == "auto":
        return "procrastinate" if database.dialect == "postgresql" else "inprocess"
    if setting == "procrastinate" and database.dialect != "postgresql":
        raise BackendError("SPARRING_JOBS_BACKEND=procrastinate needs PostgreSQL (SPARRING_DATABASE_URL=postgresql+"
                           "psycopg://...); on SQLite use auto or inprocess")
    return setting


def build_registry(settings: Settings) -> TaskRegistry:
    """The built-in tasks and every plugin's (``sparring.tasks`` entry points, ``SPARRING_JOBS_TASK_MODULES``)."""
    return load_task_plugins(TaskRegistry(), split_modules(settings.jobs_task_modules))


def build_queue(settings: Settings, database: Database, registry: TaskRegistry | None = None) -> JobQueue:
    """The queue for the configured backend. On Procrastinate, Procrastinate's schema is applied if missing."""
    registry = registry if registry is not None else build_registry(settings)
    backend = resolve_backend(settings.jobs_backend, database)
    if backend == "procrastinate":
        from sparring.jobs import procrastinate_schema
        from sparring.jobs.procrastinate_backend import ProcrastinateDispatcher

        if procrastinate_schema.applied_version(database) != procrastinate_schema.installed_version():
            procrastinate_schema.apply(database)
        return JobQueue(database, registry, ProcrastinateDispatcher(database.url))
    return JobQueue(database, registry)
