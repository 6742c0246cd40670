"""Outgoing webhooks end to end on SQLite and PostgreSQL (sparring.services.webhooks; docs/integrations.md
"Webhooks"): each of the four events is published by the real service call that makes the change, fanned out
after the commit to the subscribed endpoints as jobs, POSTed to a real receiver on loopback that checks the
signature; a 500 is retried with backoff, the last failure is recorded and can be sent again; a rolled-back change
publishes nothing; the sweep delivers what a crash left behind; organisations never see each other's endpoints."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.integrations import events
from sparring.integrations.webhooks import AddressPolicy
from sparring.jobs import InProcessRunner, JobQueue, TaskRegistry
from sparring.jobs.registry import load_task_plugins
from sparring.root import Sparring
from sparring.scoring.embedded import EmbeddedScorer
from sparring.services import assignments, loops, programs, webhooks
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.calls import CallImporter
from sparring.services.content import ContentService
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.settings import Settings, reset_settings_cache
from sparring.store.db import Database
from sparring.store.integration_models import IntegrationEventRow, WebhookDeliveryRow
from sparring.testing.fakes import FakeClock
from sparring.testing.webhook_receiver import WebhookReceiver

CONFIG = webhooks.WebhookConfig(AddressPolicy.parse("public", "127.0.0.1"), max_attempts=3, timeout=5)
CALLS = Path(__file__).parents[1] / "fixtures" / "loops"


@dataclass
class Hooks:
    queue: JobQueue
    runner: InProcessRunner
    clock: FakeClock
    admin: Viewer
    outsider: Viewer

    def run(self) -> None:
        self.runner.run_until_idle()


def viewer(u: UserRecord) -> Viewer:
    return Viewer(id=u.id, org_id=u.org_id, role=u.role, name=u.name or u.email, email=u.email)


@pytest.fixture
def hooks(db: Database, learner: UserRecord) -> Iterator[Hooks]:
    clock = FakeClock(time.time())
    registry = TaskRegistry()
    webhooks.register(registry, config=CONFIG)
    queue = JobQueue(db, registry, clock=clock)
    events.after_commit(db, lambda ids: webhooks.fan_out(queue, CONFIG, ids))
    acc = Accounts(db)
    admin = acc.create_user("Acme", "ada@acme.test", None, role="admin")
    outsider = acc.create_user("Globex", "gus@globex.test", None, role="admin")
    yield Hooks(queue, InProcessRunner(queue, rng=random.Random(3).random, periodic=False), clock, viewer(admin),
                viewer(outsider))


def _endpoint(db: Database, who: Viewer, url: str, types: tuple[str, ...] = events.EVENT_TYPES) -> tuple[int, str]:
    with db.session() as s:
        endpoint_id = webhooks.create_endpoint(s, who, CONFIG.policy, url, list(types), "CRM")
        return endpoint_id, webhooks.get_endpoint(s, who, endpoint_id).secret


def _log(db: Database, who: Viewer, endpoint_id: int) -> list[webhooks.DeliveryView]:
    with db.read() as s:
        return webhooks.deliveries(s, who, endpoint_id)


def test_a_scored_rep_is_posted_signed_to_the_subscribed_endpoint(db: Database, hooks: Hooks,
                                                                   practice: PracticeService,
                                                                   learner: UserRecord) -> None:
    with WebhookReceiver() as receiver, WebhookReceiver() as other_org:
        endpoint_id, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.REP_SCORED,))
        _muted, _ = _endpoint(db, hooks.admin, receiver.url + "/muted", (events.LOOP_CLOSED,))
        _, other_org.secret = _endpoint(db, hooks.outsider, other_org.url)
        rep_id = support.scored_rep(practice, learner, "Why?")
        hooks.run()
    (got,) = receiver.received
    assert got.signature_ok and got.path == "/hook"
    body = got.json
    assert body["type"] == "rep.scored" and body["id"].startswith("evt_")
    assert body["organisation"]["slug"] == "acme" and body["created_at"].endswith("Z")
    data = body["data"]
    assert (data["rep_id"], data["user"]["email"], data["scenario_id"]) == (rep_id, "lee@acme.test",
                                                                          support.TEST_SCENARIO)
    assert data["overall"] == 100.0 and data["passed"] is True and data["criteria"]
    assert got.headers["Sparring-Event"] == "rep.scored"
    assert other_org.received == []  # another organisation's endpoint hears nothing of Acme
    (logged,) = _log(db, hooks.admin, endpoint_id)
    assert (logged.status, logged.attempts, logged.last_status_code, logged.event_id) == (
        "delivered", 1, 200, body["id"])
    assert got.headers["Sparring-Delivery"] == str(logged.id)


def test_a_500_is_retried_with_backoff_then_delivered(db: Database, hooks: Hooks, practice: PracticeService,
                                                      learner: UserRecord) -> None:
    with WebhookReceiver(answers=[500]) as receiver:
        endpoint_id, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.REP_SCORED,))
        support.scored_rep(practice, learner, "Why?")
        first = hooks.runner.run_once()
        assert first is not None and first.status == "retry" and first.delay is not None and first.delay >= 5
        (waiting,) = _log(db, hooks.admin, endpoint_id)
        assert (waiting.status, waiting.attempts, waiting.last_status_code, waiting.last_error) == (
            "retrying", 1, 500, "the receiver answered HTTP 500")
        assert hooks.runner.run_once() is None, "the retry waits for its backoff"
        hooks.clock.now += first.delay + 0.01
        hooks.run()
    assert [r.status for r in receiver.received] == [500, 200]
    assert all(r.signature_ok for r in receiver.received)
    assert receiver.received[0].json["id"] == receiver.received[1].json["id"]  # the same event, for deduplication
    (done,) = _log(db, hooks.admin, endpoint_id)
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == ("delivered", 2, 200, None)


def test_the_last_failure_is_recorded_and_an_admin_sends_it_again(db: Database, hooks: Hooks,
                                                                  practice: PracticeService,
                                                                  learner: UserRecord) -> None:
    with WebhookReceiver(answers=[503, 503, 503]) as receiver:
        endpoint_id, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.REP_SCORED,))
        support.scored_rep(practice, learner, "Why?")
        for _ in range(CONFIG.max_attempts):
            hooks.run()
            hooks.clock.now += 700
        (failed,) = _log(db, hooks.admin, endpoint_id)
        assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 3, 503)
        with pytest.raises(NotFound):
            webhooks.redeliver(hooks.queue, CONFIG, hooks.outsider, failed.id)
        job = webhooks.redeliver(hooks.queue, CONFIG, hooks.admin, failed.id)
        assert job.status == "queued"
        hooks.run()
        with pytest.raises(Conflict, match="only a failed delivery"):
            webhooks.redeliver(hooks.queue, CONFIG, hooks.admin, failed.id)
    assert [r.status for r in receiver.received] == [503, 503, 503, 200]
    (again,) = _log(db, hooks.admin, endpoint_id)
    assert (again.status, again.attempts) == ("delivered", 4)


def test_an_assignment_submission_is_published_by_submit(db: Database, hooks: Hooks, practice: PracticeService,
                                                         learner: UserRecord) -> None:
    with WebhookReceiver() as receiver:
        _, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.ASSIGNMENT_SUBMITTED,))
        with db.session() as s:
            view = assignments.assign(s, None, lambda org, sid: ContentService(db, org).get_scenario(sid),
                                      support.TEST_SCENARIO, "lee@acme.test", reps=1,
                                      due_on=date.today() + timedelta(days=3))
        rep_id = support.scored_rep(practice, learner, "Why?")
        with db.session() as s:
            assignments.submit(s, viewer(learner), view.learners[0].assignee_id, rep_id)
        hooks.run()
    (got,) = receiver.received
    assert got.signature_ok and got.json["type"] == "assignment.submitted"
    data = got.json["data"]
    assert (data["assignment_id"], data["rep_id"], data["user_id"], data["late"]) == (view.id, rep_id, learner.id,
                                                                                      False)


def test_a_program_completion_is_published_once_when_the_target_is_reached(db: Database, hooks: Hooks,
                                                                           practice: PracticeService,
                                                                           learner: UserRecord) -> None:
    today = date.today()
    with db.session() as s:
        program = programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=learner.org_id,
            name="Sprint", start_on=today - timedelta(days=1), end_on=today + timedelta(days=7), target_min=2,
            scenarios=[ScenarioChoice(support.TEST_SCENARIO, 1)], users=["lee@acme.test"])
    with WebhookReceiver() as receiver:
        _, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.PROGRAM_COMPLETED,))
        support.scored_rep(practice, learner, "Why?")
        hooks.run()
        assert receiver.received == []  # one rep of two
        for _ in range(2):  # the second reaches the target; the third is past it: no second event
            support.scored_rep(practice, learner, "No.")
            hooks.run()
    (got,) = receiver.received
    assert got.signature_ok and got.json["type"] == "program.completed"
    data = got.json["data"]
    assert (data["program_id"], data["name"], data["user"]["id"], data["reps"], data["target"]) == (
        program.id, "Sprint", learner.id, 2, 2)


def test_a_closed_coaching_loop_is_published_by_the_next_call(db: Database, hooks: Hooks,
                                                              learner: UserRecord) -> None:
    manager = Accounts(db).create_user("Acme", "max@acme.test", None, role="manager", team="East")
    importer = CallImporter(db, lambda: EmbeddedScorer(), formats=Sparring(Settings()).formats)

    def call(name: str) -> int:
        result = importer.import_one((CALLS / name).read_bytes(), name, learner.id)
        assert result.ok and result.conversation_id, result.error
        return result.conversation_id

    first = call("first-call-missed.txt")
    with db.session() as s:
        loop_id = loops.open_loop(s, viewer_or_creator=viewer(manager), call_conversation_id=first, start_turn=1,
                                  end_turn=4, criterion_id="explore-objection",
                                  drill_scenario_id="sales-pricing-objection")
    with WebhookReceiver() as receiver:
        _, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.LOOP_CLOSED,))
        new = call("next-call-improved.txt")
        hooks.run()
    (got,) = receiver.received
    assert got.signature_ok and got.json["type"] == "loop.closed"
    data = got.json["data"]
    assert (data["loop_id"], data["verdict"], data["criterion_id"], data["next_call_conversation_id"]) == (
        loop_id, "improved", "explore-objection", new)
    assert data["user"]["email"] == "lee@acme.test"


def test_a_rolled_back_change_publishes_nothing(db: Database, hooks: Hooks, learner: UserRecord) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        events.publish(s, learner.org_id, events.REP_SCORED, {"rep_id": 1})
        raise RuntimeError("the change failed")
    with db.read() as s:
        assert s.scalars(select(IntegrationEventRow)).all() == []
    with pytest.raises(ValueError, match="unknown event type"), db.session() as s:
        events.publish(s, learner.org_id, "rep.deleted", {})


def test_the_sweep_delivers_events_whose_fan_out_never_ran(db: Database, hooks: Hooks,
                                                           learner: UserRecord) -> None:
    with WebhookReceiver() as receiver:
        _, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.REP_SCORED,))
        events.after_commit(db, lambda ids: None)  # the process "died" before the fan-out
        with db.session() as s:
            event_id = events.publish(s, learner.org_id, events.REP_SCORED, {"rep_id": 7})
        assert webhooks.sweep(hooks.queue, CONFIG) == 0  # too recent: the commit hook may still be running
        later = webhooks.utcnow() + timedelta(minutes=2)
        assert webhooks.sweep(hooks.queue, CONFIG, now=later) == 1
        assert webhooks.sweep(hooks.queue, CONFIG, now=later) == 0
        hooks.run()
    (got,) = receiver.received
    assert got.json["id"] == event_id and got.json["data"] == {"rep_id": 7}
    assert webhooks.purge(db) == 0  # kept for KEEP (30 days) with its delivery log
    assert webhooks.purge(db, now=later + webhooks.KEEP) == 1
    with db.read() as s:
        assert s.scalars(select(IntegrationEventRow)).all() == [] and s.scalars(select(WebhookDeliveryRow)).all() == []


def test_a_test_event_goes_to_one_endpoint_and_a_turned_off_endpoint_gets_nothing(
        db: Database, hooks: Hooks, practice: PracticeService, learner: UserRecord) -> None:
    with WebhookReceiver() as receiver:
        endpoint_id, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.LOOP_CLOSED,))
        webhooks.send_test(hooks.queue, CONFIG, hooks.admin, endpoint_id)
        with pytest.raises(NotFound):
            webhooks.send_test(hooks.queue, CONFIG, hooks.outsider, endpoint_id)
        hooks.run()
        with db.session() as s:
            webhooks.update_endpoint(s, hooks.admin, CONFIG.policy, endpoint_id, receiver.url,
                                     [events.REP_SCORED], "CRM", active=False)
        support.scored_rep(practice, learner, "Why?")
        hooks.run()
    (ping,) = receiver.received
    assert ping.signature_ok and ping.json["type"] == "ping" and ping.json["data"]["endpoint_id"] == endpoint_id
    assert [d.event_type for d in _log(db, hooks.admin, endpoint_id)] == ["ping"]


def test_a_secret_that_cannot_be_unsealed_fails_the_delivery_once_without_retries(
        db: Database, hooks: Hooks, practice: PracticeService, learner: UserRecord,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The installation key changed: nothing can be signed, so nothing is sent; the delivery fails at its first
    attempt with the reason (the job dead-lettered, not retried), and the admin page shows what to do."""
    with WebhookReceiver() as receiver:
        endpoint_id, receiver.secret = _endpoint(db, hooks.admin, receiver.url, (events.REP_SCORED,))
        monkeypatch.setenv("SPARRING_SECRET_KEY", "a key that sealed nothing here")
        reset_settings_cache()
        support.scored_rep(practice, learner, "Why?")
        outcome = hooks.runner.run_once()
        assert outcome is not None and outcome.status == "failed" and "cannot be read" in (outcome.error or "")
        hooks.clock.now += 3600
        hooks.run()
    assert receiver.received == []
    (failed,) = _log(db, hooks.admin, endpoint_id)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 1, None)
    assert failed.last_error and "webhook_endpoints.secret" in failed.last_error and "rotate" in failed.last_error
    with db.read() as s:
        shown = webhooks.get_endpoint(s, hooks.admin, endpoint_id).secret
    assert shown.startswith("(cannot be read") and "rotate the secret" in shown


def test_endpoints_are_checked_and_kept_per_organisation(db: Database, hooks: Hooks, learner: UserRecord) -> None:
    endpoint_id, secret = _endpoint(db, hooks.admin, "https://hooks.example.com/in")
    assert secret.startswith("whsec_")
    with db.session() as s:
        for url, types, problem in [("ftp://x.example/", ["rep.scored"], "url: only http"),
                                    ("https://x.example/", [], "events: choose"),
                                    ("https://x.example/", ["rep.deleted"], "events: unknown"),
                                    ("http://10.0.0.8/", ["rep.scored"], "not a public address")]:
            with pytest.raises(InvalidInput, match=problem):
                webhooks.create_endpoint(s, hooks.admin, webhooks.WebhookConfig().policy, url, types)
        with pytest.raises(NotFound):
            webhooks.create_endpoint(s, viewer(learner), CONFIG.policy, "https://x.example/", ["rep.scored"])
    with db.session() as s:
        assert [e.id for e in webhooks.list_endpoints(s, hooks.admin)] == [endpoint_id]
        assert webhooks.list_endpoints(s, hooks.outsider) == []
        for act in (lambda: webhooks.get_endpoint(s, hooks.outsider, endpoint_id),
                    lambda: webhooks.deliveries(s, hooks.outsider, endpoint_id),
                    lambda: webhooks.rotate_secret(s, hooks.outsider, endpoint_id),
                    lambda: webhooks.delete_endpoint(s, hooks.outsider, endpoint_id),
                    lambda: webhooks.update_endpoint(s, hooks.outsider, CONFIG.policy, endpoint_id,
                                                     "https://evil.example/", ["rep.scored"], "", True)):
            with pytest.raises(NotFound):
                act()
        assert webhooks.rotate_secret(s, hooks.admin, endpoint_id) != secret
        webhooks.delete_endpoint(s, hooks.admin, endpoint_id)
    with db.read() as s:
        assert webhooks.list_endpoints(s, hooks.admin) == []
        assert s.scalars(select(WebhookDeliveryRow)).all() == []


def test_the_tasks_are_registered_by_the_entry_point(db: Database) -> None:
    registry = load_task_plugins(TaskRegistry())
    deliver, sweeper = registry.get(webhooks.TASK), registry.get(webhooks.SWEEP_TASK)
    assert deliver.max_attempts == 8 and deliver.schedule is None
    assert sweeper.schedule is not None and "5" in sweeper.schedule.describe()
