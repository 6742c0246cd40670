"""Failed jobs as admins see them: their organisation's and installation-wide ones, never another's; retry."""

from __future__ import annotations

import pytest

from sparring.jobs import InProcessRunner, JobQueue, PermanentError, TaskRegistry
from sparring.services import job_admin
from sparring.services.access import Viewer
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.store.db import Database
from sparring.store.models import Organisation


def _org(db: Database, slug: str) -> int:
    with db.session() as s:
        org = Organisation(slug=slug, name=slug.title())
        s.add(org)
        s.flush()
        return org.id


def _viewer(org_id: int, role: str = "admin") -> Viewer:
    return Viewer(id=1, org_id=org_id, role=role, name="A", email="a@x.test")


def test_admins_see_their_failed_jobs_with_error_and_attempts_and_retry_them(db: Database) -> None:
    acme, globex = _org(db, "acme"), _org(db, "globex")
    registry = TaskRegistry()
    broken = {"on": True}

    @registry.task("sync_crm", max_attempts=1)
    def sync_crm(ctx, payload):  # type: ignore[no-untyped-def]
        if broken["on"]:
            raise PermanentError(f"CRM refused org {ctx.org_id}")

    queue = JobQueue(db, registry)
    mine = queue.enqueue("sync_crm", {}, org_id=acme)
    theirs = queue.enqueue("sync_crm", {}, org_id=globex)
    wide = queue.enqueue("sync_crm", {})
    InProcessRunner(queue, worker_id="t").run_until_idle()

    admin = _viewer(acme)
    failed = job_admin.failed_jobs(queue, admin)
    assert [j.id for j in failed] == [wide.id, mine.id]
    assert failed[1].attempts == 1 and failed[1].last_error == f"PermanentError: CRM refused org {acme}"
    assert [j.id for j in job_admin.overview(queue, admin).failed] == [wide.id, mine.id]

    with pytest.raises(NotFound):
        job_admin.retry(queue, admin, theirs.id)
    with pytest.raises(InvalidInput, match="only admins"):
        job_admin.failed_jobs(queue, _viewer(acme, "manager"))
    broken["on"] = False
    assert job_admin.retry(queue, admin, mine.id).status == "queued"
    with pytest.raises(Conflict, match="only failed jobs"):
        job_admin.retry(queue, admin, mine.id)
    InProcessRunner(queue, worker_id="t").run_until_idle()
    assert queue.get(mine.id).status == "done" and queue.get(theirs.id).status == "failed"
