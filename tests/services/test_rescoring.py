"""``rescore_rep``: a stored rep scored again as a background job, end to end through the in-process runner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sparring.jobs import InProcessRunner, JobQueue, TaskRegistry
from sparring.root import Sparring
from sparring.services import rescoring
from sparring.services.accounts import Accounts
from sparring.services.errors import Conflict, NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.models import Rep, ScorecardRow


def _queue(practice: PracticeService) -> JobQueue:
    registry = TaskRegistry()
    rescoring.register(registry)
    # the application the worker runs: its scorer is the configured one (the embedded scorer by default)
    registry.app = Sparring(Settings(database_url=practice.db.url))
    return JobQueue(practice.db, registry)


def test_without_an_application_the_job_fails_and_says_why(practice: PracticeService, learner: UserRecord) -> None:
    rep_id = _ended_rep(practice, learner)
    registry = TaskRegistry()
    rescoring.register(registry)
    queue = JobQueue(practice.db, registry)
    job = rescoring.enqueue_rescore(queue, learner.org_id, rep_id)
    InProcessRunner(queue, worker_id="t").run_until_idle()
    failed = queue.get(job.id)
    assert failed.status == "failed" and "needs the application's scorer" in (failed.last_error or "")


def _ended_rep(practice: PracticeService, learner: UserRecord) -> int:
    rep = practice.start_rep(learner, "test-guarded-buyer", "easy")
    practice.submit_turn(rep.id, "What matters most to you this quarter?")
    practice.end_rep(rep.id)
    practice.score_rep(rep.id)  # the fake scorer's card
    return rep.id


def test_rescore_adds_a_scorecard_from_the_configured_scorer(practice: PracticeService, learner: UserRecord) -> None:
    rep_id = _ended_rep(practice, learner)
    queue = _queue(practice)
    job = rescoring.enqueue_rescore(queue, learner.org_id, rep_id)
    assert job.org_id == learner.org_id and job.payload == {"rep_id": rep_id}
    outcomes = InProcessRunner(queue, worker_id="t").run_until_idle()
    assert [o.status for o in outcomes] == ["done"]
    done = queue.get(job.id)
    assert done.result is not None and done.result["rep_id"] == rep_id and done.result["engine"] == "embedded"
    with practice.db.read() as s:
        conversation = s.get(Rep, rep_id).conversation_id  # type: ignore[union-attr]
        engines = list(s.scalars(select(ScorecardRow.engine).where(ScorecardRow.conversation_id == conversation)
                                 .order_by(ScorecardRow.id)))
    assert engines == ["fake", "embedded"]
    assert practice.get_rep(rep_id).scorecard.engine == "embedded"  # type: ignore[union-attr]


def test_only_an_ended_rep_of_the_organisation_can_be_queued(practice: PracticeService, learner: UserRecord) -> None:
    queue = _queue(practice)
    open_rep = practice.start_rep(learner, "test-guarded-buyer", "easy")
    with pytest.raises(Conflict, match="still in progress"):
        rescoring.enqueue_rescore(queue, learner.org_id, open_rep.id)
    other = Accounts(practice.db).create_user("Globex", "max@globex.test", None, role="learner")
    with pytest.raises(NotFound):
        rescoring.enqueue_rescore(queue, other.org_id, open_rep.id)
    with pytest.raises(NotFound):
        rescoring.enqueue_rescore(queue, learner.org_id, 10**30)
    assert queue.ledger.list() == []


def test_a_rep_that_is_gone_fails_at_once_with_the_reason(practice: PracticeService) -> None:
    queue = _queue(practice)
    job = queue.enqueue("rescore_rep", {"rep_id": 424242})
    bad = queue.enqueue("rescore_rep", {"rep_id": "seven"})
    InProcessRunner(queue, worker_id="t").run_until_idle()
    gone, invalid = queue.get(job.id), queue.get(bad.id)
    assert (gone.status, gone.attempts, gone.last_error) == ("failed", 1, "PermanentError: unknown rep 424242")
    assert invalid.status == "failed" and "rep_id must be a rep id" in (invalid.last_error or "")
