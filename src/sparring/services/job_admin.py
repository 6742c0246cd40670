"""Jobs as admins see them: failed jobs with their error and attempts, jobs waiting for a retry, and the retry
action. An admin sees their organisation's jobs and installation-wide ones (periodic housekeeping, which carries
no organisation's data); never another organisation's."""

from __future__ import annotations

from dataclasses import dataclass

from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import JobError
from sparring.services.access import Viewer
from sparring.services.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class JobOverview:
    failed: list[Job]
    #: queued again after a failed attempt (with the error of that attempt)
    retrying: list[Job]
    recent: list[Job]


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise InvalidInput("only admins may look at background jobs")


def _visible(job: Job, viewer: Viewer) -> bool:
    return job.org_id is None or job.org_id == viewer.org_id


def overview(queue: JobQueue, viewer: Viewer, limit: int = 50) -> JobOverview:
    _require_admin(viewer)
    scope = [viewer.org_id, None]
    failed = queue.ledger.list(["failed"], org_ids=scope, limit=limit)
    queued = queue.ledger.list(["queued"], org_ids=scope, limit=limit)
    recent = queue.ledger.list(["running", "done"], org_ids=scope, limit=limit)
    return JobOverview(failed=failed, retrying=[j for j in queued if j.last_error], recent=recent)


def failed_jobs(queue: JobQueue, viewer: Viewer, limit: int = 100) -> list[Job]:
    """Failed (dead) jobs the admin may see, newest first: task, payload, attempts, last error."""
    _require_admin(viewer)
    return queue.ledger.list(["failed"], org_ids=[viewer.org_id, None], limit=limit)


def retry(queue: JobQueue, viewer: Viewer, job_id: int) -> Job:
    """Queue a failed job again now, with a fresh round of attempts."""
    _require_admin(viewer)
    job = queue.ledger.get(job_id)
    if job is None or not _visible(job, viewer):
        raise NotFound(f"unknown job {job_id}")
    try:
        return queue.retry(job_id)
    except JobError as exc:
        raise Conflict(str(exc)) from exc
