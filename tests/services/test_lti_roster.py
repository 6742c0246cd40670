"""The roster sync as a background job (sparring.services.lti_roster; docs/lti.md, "Roster"), on SQLite and
PostgreSQL: only an admin of the registration's organisation can queue it; the job runs as that admin; a sync that
cannot start, or whose admin is gone, fails once with the reason; the page's list holds the organisation's runs of
that registration only."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from sparring.integrations.lti_http import HttpConfig
from sparring.integrations.webhooks import AddressPolicy
from sparring.jobs import InProcessRunner
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import TaskRegistry
from sparring.services import lti_registrations, lti_roster
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import NotFound
from sparring.store.db import Database
from sparring.store.models import User
from sparring.testing.lti_platform import LtiPlatform

HTTP = HttpConfig(AddressPolicy.parse("public", "127.0.0.1"), 5.0)


@pytest.fixture(scope="module")
def platform() -> Iterator[LtiPlatform]:
    with LtiPlatform() as p:
        yield p


def _viewer(db: Database, email: str, org: str) -> Viewer:
    user = Accounts(db).create_user(org, email, None, role="admin")
    return Viewer(id=user.id, org_id=user.org_id, role="admin", name="Admin", email=user.email)


def test_the_roster_job_runs_as_the_admin_who_asked(db: Database, platform: LtiPlatform) -> None:
    registry = TaskRegistry()
    lti_roster.register(registry, HTTP)
    queue = JobQueue(db, registry)
    registry.app = SimpleNamespace(jobs=queue)
    admin = _viewer(db, "admin@acme.test", "Acme")
    stranger = _viewer(db, "admin@globex.test", "Globex")
    with db.session() as s:
        reg_id = lti_registrations.create_registration(s, admin, HTTP.policy,
                                                       {"name": "LMS", **platform.registration()})
    with pytest.raises(NotFound):
        lti_roster.queue_roster(db, queue, stranger, reg_id)
    # no course has launched with a roster link yet: the job fails once, saying what to do
    job = lti_roster.queue_roster(db, queue, admin, reg_id)
    outcome = InProcessRunner(queue, worker_id="t", periodic=False).run_once()
    assert outcome is not None and outcome.status == "failed"
    assert "launch it once from the course" in (outcome.error or "")
    # the admin who asked is no longer an admin: the job refuses to act in their name
    second = lti_roster.queue_roster(db, queue, admin, reg_id)
    with db.session() as s:
        row = s.get(User, admin.id)
        assert row is not None
        row.role = "learner"
    outcome = InProcessRunner(queue, worker_id="t", periodic=False).run_once()
    assert outcome is not None and outcome.status == "failed" and "no longer an admin" in (outcome.error or "")
    syncs = lti_roster.recent_syncs(db, admin, reg_id)
    assert [j.id for j in syncs] == [second.id, job.id] and all(j.status == "failed" for j in syncs)
    assert lti_roster.recent_syncs(db, stranger, reg_id) == []
