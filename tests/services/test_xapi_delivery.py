"""The xAPI outbox (sparring.services.xapi_delivery) without an LRS, on SQLite and PostgreSQL: the sweep does
nothing until an LRS is configured; with one, it batches each scored attempt once (per organisation, oldest first,
re-scores as new attempts) and queues one job per batch however often it runs; a batch whose job failed without
saying so is marked dead; a delivery without an LRS fails at once with the reason; admins see only their
organisation and only admins see anything. The delivery against a real LRS: tests/integrations/test_xapi_lrs.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.jobs import InProcessRunner, JobQueue, TaskRegistry
from sparring.services import xapi_delivery
from sparring.services.accounts import Accounts
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.models import Rep
from sparring.store.xapi_models import XapiBatchRow, XapiOutboxRow

#: nothing listens there: a delivery would fail, which these tests never let happen
LRS = Settings(xapi_lrs_url="http://127.0.0.1:9/xAPI", public_url="https://sparring.acme.test")


def _queue(db: Database, settings: Settings) -> JobQueue:
    registry = TaskRegistry()
    xapi_delivery.register(registry)
    queue = JobQueue(db, registry)
    registry.app = SimpleNamespace(settings=settings, jobs=queue)
    return queue


def _batches(db: Database) -> list[tuple[int, int, str, list[int]]]:
    with db.read() as s:
        return [(b.org_id, b.attempts_count, b.status,
                 list(s.scalars(select(XapiOutboxRow.scorecard_id).where(XapiOutboxRow.batch_id == b.id)
                                .order_by(XapiOutboxRow.scorecard_id))))
                for b in s.scalars(select(XapiBatchRow).order_by(XapiBatchRow.id))]


def _cards(db: Database, *rep_ids: int) -> list[int]:
    with db.read() as s:
        return [s.get(Rep, r).scorecard_id for r in rep_ids]  # type: ignore[union-attr,misc]


def test_without_an_lrs_the_sweep_does_nothing(db: Database, practice: PracticeService,
                                               learner: UserRecord) -> None:
    support.scored_rep(practice, learner, "Why?")
    queue = _queue(db, Settings())
    queue.enqueue(xapi_delivery.SWEEP, {})
    [outcome] = InProcessRunner(queue, periodic=False).run_until_idle()
    assert outcome.status == "done" and queue.get(outcome.job_id).result == {"configured": False}
    assert _batches(db) == []


def test_the_sweep_batches_each_attempt_once_per_organisation_and_queues_each_batch_once(
        db: Database, practice: PracticeService, learner: UserRecord, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xapi_delivery, "BATCH_ATTEMPTS", 2)
    other = Accounts(db).create_user("Globex", "gus@globex.test", None, role="learner")
    mine = [support.scored_rep(practice, learner, "Why?") for _ in range(3)]
    theirs = support.scored_rep(practice, other, "Why?")
    practice.start_rep(learner, support.TEST_SCENARIO)  # not scored: not an attempt
    queue = _queue(db, LRS)
    made = xapi_delivery.fill_batches(db)
    assert len(made) == 3
    a, b, c = _cards(db, *mine)
    assert _batches(db) == [(learner.org_id, 2, "queued", [a, b]), (learner.org_id, 1, "queued", [c]),
                            (other.org_id, 1, "queued", _cards(db, theirs))]
    assert xapi_delivery.fill_batches(db) == []  # nothing twice
    assert xapi_delivery.queue_batches(db, queue) == 3
    assert xapi_delivery.queue_batches(db, queue) == 0  # a job per batch, however often the sweep runs
    jobs = queue.ledger.list(["queued"], task=xapi_delivery.DELIVER)
    assert sorted(j.payload["batch_id"] for j in jobs) == sorted(made)
    assert {j.org_id for j in jobs} == {learner.org_id, other.org_id}

    practice.score_rep(mine[0])  # a re-score is a new attempt
    assert len(xapi_delivery.fill_batches(db)) == 1
    assert _batches(db)[-1] == (learner.org_id, 1, "queued", _cards(db, mine[0]))


def test_a_batch_whose_job_failed_without_recording_it_is_marked_dead(
        db: Database, practice: PracticeService, learner: UserRecord) -> None:
    support.scored_rep(practice, learner, "Why?")
    queue = _queue(db, LRS)
    xapi_delivery.fill_batches(db)
    xapi_delivery.queue_batches(db, queue)
    with db.read() as s:
        batch = s.scalars(select(XapiBatchRow)).one()
    assert batch.job_id is not None
    queue.ledger.fail_queued(batch.job_id, "worker lost its lease on the last attempt")
    xapi_delivery.queue_batches(db, queue)
    with db.read() as s:
        batch = s.scalars(select(XapiBatchRow)).one()
    assert (batch.status, batch.last_error) == ("dead", "worker lost its lease on the last attempt")


def test_a_delivery_without_an_lrs_fails_at_once_with_the_reason(
        db: Database, practice: PracticeService, learner: UserRecord) -> None:
    support.scored_rep(practice, learner, "Why?")
    [batch_id] = xapi_delivery.fill_batches(db)
    queue = _queue(db, Settings())
    job = queue.enqueue(xapi_delivery.DELIVER, {"batch_id": batch_id})
    bad = queue.enqueue(xapi_delivery.DELIVER, {"batch_id": "one"})
    InProcessRunner(queue, periodic=False).run_until_idle()
    assert queue.get(job.id).status == "failed" and queue.get(job.id).attempts == 1
    assert "no LRS is configured (SPARRING_XAPI_LRS_URL)" in (queue.get(job.id).last_error or "")
    assert "payload: batch_id must be a number" in (queue.get(bad.id).last_error or "")
    with db.read() as s:
        row = s.get(XapiBatchRow, batch_id)
        assert row is not None and row.status == "dead" and row.tries == 1


def test_admins_see_and_retry_their_own_organisation_only(
        db: Database, practice: PracticeService, learner: UserRecord) -> None:
    support.scored_rep(practice, learner, "Why?")
    support.scored_rep(practice, learner, "Why not?")
    acc = Accounts(db)
    ada = support.viewer_of(acc.create_user("Acme", "ada@acme.test", None, role="admin"))
    max_ = support.viewer_of(acc.create_user("Acme", "max@acme.test", None, role="manager", team="East"))
    gil = support.viewer_of(acc.create_user("Globex", "gil@globex.test", None, role="admin"))
    queue = _queue(db, LRS)
    with db.read() as s:
        view = xapi_delivery.overview(s, LRS, ada)
        assert (view.configured, view.lrs_url, view.waiting, view.dead) == (
            True, "http://127.0.0.1:9/xAPI/statements", 2, [])
        assert xapi_delivery.overview(s, Settings(), ada).configured is False
        with pytest.raises(InvalidInput, match="only admins"):
            xapi_delivery.overview(s, LRS, max_)
    [batch_id] = xapi_delivery.fill_batches(db)
    with pytest.raises(Conflict, match=f"xAPI delivery {batch_id} is queued, not failed"):
        xapi_delivery.retry(db, queue, ada, batch_id)
    with db.session() as s:
        s.get(XapiBatchRow, batch_id).status = "dead"  # type: ignore[union-attr]
    with pytest.raises(NotFound, match=f"unknown xAPI delivery {batch_id}"):
        xapi_delivery.retry(db, queue, gil, batch_id)
    with db.read() as s:
        assert [b.id for b in xapi_delivery.overview(s, LRS, ada).dead] == [batch_id]
        assert xapi_delivery.overview(s, LRS, ada).waiting == 0
        assert xapi_delivery.overview(s, LRS, gil).dead == []
    job = xapi_delivery.retry(db, queue, ada, batch_id)
    assert (job.task, job.payload, job.org_id) == (xapi_delivery.DELIVER, {"batch_id": batch_id}, learner.org_id)
