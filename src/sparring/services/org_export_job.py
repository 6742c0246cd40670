"""The organisation export as a background job, for the admin's button (docs/org-export.md, "From the web").

``queue_export`` queues ``org_export`` for the signed-in admin; the task writes the file under the data directory
(``org-exports/<slug>-<job>.json``, the same document as ``sparring org export`` without credentials) and logs
``org.exported`` under the admin. ``export_job`` gives the job back only to the admin who queued it. Registered by
``services.retention.register`` (the data-ownership tasks sit together; no entry point of its own). Only the newest
export of an organisation is kept on disk: a new one deletes the one before (its download then answers 410).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import JobError, TaskContext, TaskRegistry
from sparring.services import org_export
from sparring.services.access import Viewer
from sparring.services.errors import NotFound
from sparring.settings import get_settings
from sparring.store.db import Database
from sparring.store.models import Organisation

TASK = "org_export"
#: the folder under the data directory the job writes exports into
FOLDER = "org-exports"


def export_path(data_dir: Path, slug: str, job_id: int) -> Path:
    return data_dir / FOLDER / f"{slug}-{job_id}.json"


def run_export(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, object]:
    """Payload ``{"org_id": N, "user_id": M}`` → ``{"path": ..., "rows": ...}`` (path relative to the data
    directory). The file is written under a temporary name and renamed when complete."""
    settings = ctx.app.settings if ctx.app is not None else get_settings()
    org_id = int(payload["org_id"])
    with ctx.database.read() as s:
        slug = s.scalar(select(Organisation.slug).where(Organisation.id == org_id))
    if slug is None:
        raise NotFound(f"org_id: no organisation {org_id}")
    data_dir = Path(settings.data_dir)
    out = export_path(data_dir, slug, ctx.job_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as fh:
            summary = org_export.export_org(ctx.database, slug, fh, actor_id=payload.get("user_id"), via="web")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    mine = re.compile(rf"{re.escape(slug)}-\d+\.json")
    for older in out.parent.iterdir():  # only the newest export of an organisation is kept (it holds personal data)
        if older != out and mine.fullmatch(older.name):
            older.unlink(missing_ok=True)
    return {"path": str(out.relative_to(data_dir)), "rows": summary.total, "slug": slug}


def queue_export(database: Database, queue: JobQueue, viewer: Viewer) -> Job:
    """Queue the export of the admin's own organisation (NotFound for anyone but an admin)."""
    if viewer.role != "admin":
        raise NotFound("no such export")
    return queue.enqueue(TASK, {"org_id": viewer.org_id, "user_id": viewer.id}, org_id=viewer.org_id)


def export_job(queue: JobQueue, viewer: Viewer, job_id: int) -> Job:
    """The export job ``job_id`` that ``viewer`` queued (NotFound for anyone else's)."""
    try:
        job = queue.get(job_id)
    except JobError as exc:
        raise NotFound("no such export") from exc
    if (job.task != TASK or job.payload.get("user_id") != viewer.id
            or job.payload.get("org_id") != viewer.org_id or viewer.role != "admin"):
        raise NotFound("no such export")
    return job


def register(registry: TaskRegistry) -> None:
    registry.task(TASK, max_attempts=1, description="export everything of an organisation as JSON")(run_export)
