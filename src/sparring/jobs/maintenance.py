"""Built-in housekeeping tasks. Registered through the ``sparring.tasks`` entry point, like any plugin's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sparring.jobs.ledger import JobLedger
from sparring.jobs.registry import PermanentError, TaskContext, TaskRegistry

#: finished (done) jobs are kept this many days; failed ones stay until an admin retries them
KEEP_DAYS = 14


def purge_finished_jobs(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Delete jobs that finished successfully more than ``keep_days`` (default 14) days ago."""
    keep = payload.get("keep_days", KEEP_DAYS)
    if isinstance(keep, bool) or not isinstance(keep, int | float) or keep < 0:
        raise PermanentError(f"keep_days must be a number of days >= 0 (got {keep!r})")
    ledger = JobLedger(ctx.database)
    deleted = ledger.purge_done(ledger.clock() - timedelta(days=keep).total_seconds())
    return {"deleted": deleted, "keep_days": keep}


def register(registry: TaskRegistry) -> None:
    registry.task("purge_finished_jobs", max_attempts=3, every=timedelta(hours=6))(purge_finished_jobs)
