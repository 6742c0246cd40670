"""A task plugin for tests of real workers (tests/jobs, tests/deploy), loaded by ``sparring worker`` through
``SPARRING_JOBS_TASK_MODULES=sparring.testing.probe_tasks``, the way an outside plugin is; never registered by
default. Create its tables with ``create_tables(database)`` first.

``probe_record`` notes that it started, optionally sleeps, then records its run: one row in ``probe_runs`` per
completed run, written in one transaction at the end (so a run killed mid-way leaves no row and its retry adds
exactly one)."""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import text

from sparring.jobs import TaskContext, TaskRegistry
from sparring.store.db import Database

TABLES = (
    "CREATE TABLE IF NOT EXISTS probe_started (job_id integer NOT NULL, pid integer NOT NULL)",
    "CREATE TABLE IF NOT EXISTS probe_runs (job_id integer NOT NULL, n integer NOT NULL, pid integer NOT NULL)",
)


def create_tables(database: Database) -> None:
    """The tables ``probe_record`` writes to (idempotent)."""
    with database.engine.begin() as conn:
        for ddl in TABLES:
            conn.execute(text(ddl))


def probe_record(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    engine = ctx.database.engine
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO probe_started (job_id, pid) VALUES (:j, :p)"), {"j": ctx.job_id,
                                                                                      "p": os.getpid()})
    time.sleep(float(payload.get("sleep", 0)))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO probe_runs (job_id, n, pid) VALUES (:j, :n, :p)"),
                     {"j": ctx.job_id, "n": int(payload["n"]), "p": os.getpid()})
    return {"pid": os.getpid()}


def register(registry: TaskRegistry) -> None:
    registry.task("probe_record", max_attempts=3)(probe_record)
