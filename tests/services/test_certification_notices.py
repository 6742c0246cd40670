"""Certification notifications (sparring.services.certification_notices) on SQLite and PostgreSQL: a pass waiting for
sign-off tells the managers of the learner's teams (the admins when there are none), a sign-off and a revocation
tell the learner; in the app, and by e-mail through a local SMTP sink on loopback when SMTP is configured; a repeated
or retried job writes and sends nothing twice; the task is periodic and queued by the sign-off and the revocation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import TaskContext, TaskRegistry, load_task_plugins
from sparring.services import certification as cert
from sparring.services import programs
from sparring.services.accounts import Accounts
from sparring.services.certification_notices import (
    EVERY,
    TASK,
    certification_notices,
    collect,
    enqueue_notices,
    managers_of,
)
from sparring.services.content import ContentService
from sparring.services.practice import PracticeService
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.settings import reset_settings_cache
from sparring.store.coaching_models import NotificationRow
from sparring.store.db import Database
from sparring.store.models import User
from sparring.testing.smtp_sink import SmtpSink

viewer = support.viewer_of
ZERO = {"programs": 1, "sign_off": 0, "certified": 0, "revoked": 0, "emailed": 0, "email_failed": 0}


@pytest.fixture
def line(db: Database) -> PracticeService:
    return support.line_practice(db)


@pytest.fixture
def setup(db: Database, line: PracticeService, learner: UserRecord) -> tuple[int, support.People]:
    people = support.make_people(db, learner)
    lookup = lambda org, sid: ContentService(db, org).get_scenario(sid)  # noqa: E731
    with db.session() as s:
        pid = programs.create_program(
            s, None, lookup, org_id=learner.org_id, name="Sprint", start_on=date(2026, 6, 1),
            end_on=date(2027, 3, 1), target_min=3, scenarios=[ScenarioChoice(support.TEST_SCENARIO)],
            teams=["East"], users=["ola@acme.test"]).id
        cert.configure(s, None, lookup, pid, scenario_id=support.TEST_SCENARIO, difficulty="hard", max_attempts=2,
                       bars={"asks-questions": 0.7, "next-step": "met"})
    return pid, people


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        monkeypatch.setenv("SPARRING_SMTP_HOST", sink.host)
        monkeypatch.setenv("SPARRING_SMTP_PORT", str(sink.port))
        monkeypatch.setenv("SPARRING_SMTP_FROM", "sparring@acme.test")
        monkeypatch.setenv("SPARRING_PUBLIC_URL", "https://sparring.acme.test")
        reset_settings_cache()
        yield sink
    reset_settings_cache()


def _attempt(line: PracticeService, who: UserRecord, program_id: int, text: str) -> int:
    rep = cert.start_attempt(line, who, program_id)
    line.submit_turn(rep, text)
    line.end_rep(rep)
    line.score_rep(rep)
    return rep


def _notes(db: Database, user_id: int) -> list[tuple[str, str]]:
    """The user's certification notifications (enrolment ones aside)."""
    with db.read() as s:
        return [(n.kind, n.text) for n in s.scalars(
            select(NotificationRow).where(NotificationRow.user_id == user_id,
                                          NotificationRow.kind.in_(("sign_off", "certified", "revoked")))
            .order_by(NotificationRow.id))]


def test_managers_of_a_learner_are_their_teams_managers_or_else_the_admins(
        db: Database, setup: tuple[int, support.People]) -> None:
    _, p = setup
    solo = Accounts(db).create_user("Acme", "sol@acme.test", None, role="learner", team="Solo", name="Sol")
    with db.read() as s:
        kim, ola, sol = (s.get(User, u.id) for u in (p.kim, p.ola, solo))
        assert kim is not None and ola is not None and sol is not None
        assert [u.email for u in managers_of(s, kim)] == ["max@acme.test"]
        assert [u.email for u in managers_of(s, ola)] == ["wes@acme.test"]
        assert [u.email for u in managers_of(s, sol)] == ["ada@acme.test"]  # nobody manages Solo


def test_pass_sign_off_and_revocation_each_notify_once_in_the_app_and_by_email(
        db: Database, line: PracticeService, setup: tuple[int, support.People], smtp: SmtpSink) -> None:
    pid, p = setup
    ctx = TaskContext(job_id=1, task=TASK, attempt=1, max_attempts=3, database=db)
    _attempt(line, p.lee, pid, "asks-questions=0.9 next-step=0.5")  # a fail: nobody is told
    rep = _attempt(line, p.kim, pid, "asks-questions=0.8 next-step=1")  # a pass, not recorded yet
    assert certification_notices(ctx, {}) == {**ZERO, "sign_off": 1, "emailed": 1}
    assert certification_notices(ctx, {}) == ZERO  # run again (a retry, the next period): nothing new
    assert _notes(db, p.max.id) == [("sign_off", f"Kim passed the certification of Sprint and waits for your sign-off "
                                              f"(rep {rep}).")]
    assert _notes(db, p.wes.id) == [] and _notes(db, p.ada.id) == [] and _notes(db, p.lee.id) == []
    [mail] = smtp.messages
    assert (mail["To"], mail["Subject"]) == ("max@acme.test", "Sign-off waiting: Kim, Sprint")
    assert f"https://sparring.acme.test/programs/{pid}#certification" in mail.get_payload(decode=True).decode()

    with db.session() as s:
        issued = cert.sign_off(s, viewer(p.max), pid, p.kim.id)
    assert certification_notices(ctx, {"program_id": pid + 1}) == {**ZERO, "programs": 0}  # another program
    assert certification_notices(ctx, {"program_id": pid}) == {**ZERO, "certified": 1, "emailed": 1}
    with db.session() as s:
        cert.revoke(s, viewer(p.max), pid, p.kim.id, "scripted answers")
    assert certification_notices(ctx, {}) == {**ZERO, "revoked": 1, "emailed": 1}
    assert certification_notices(ctx, {}) == ZERO
    kinds = [k for k, _ in _notes(db, p.kim.id)]
    assert kinds == ["certified", "revoked"]
    assert "revoked on" in _notes(db, p.kim.id)[1][1] and _notes(db, p.kim.id)[1][1].endswith(": scripted answers")
    assert [(m["To"], m["Subject"]) for m in smtp.messages[1:]] == [
        ("kim@acme.test", "Certified: Sprint"), ("kim@acme.test", "Certificate revoked: Sprint")]
    assert len(_notes(db, p.max.id)) == 1  # the spent pass is not announced again after the revocation
    assert issued.id > 0

    again = _attempt(line, p.kim, pid, "asks-questions=1 next-step=1")  # her last attempt passes: Max is told again
    with db.read() as s:
        assert cert.learner_status(s, pid, p.kim.id).passed_rep_id == again  # type: ignore[union-attr]
    assert certification_notices(ctx, {}) == {**ZERO, "sign_off": 1, "emailed": 1}


def test_without_smtp_the_app_notifications_only_and_a_dead_server_keeps_them(
        db: Database, line: PracticeService, setup: tuple[int, support.People],
        monkeypatch: pytest.MonkeyPatch) -> None:
    pid, p = setup
    ctx = TaskContext(job_id=1, task=TASK, attempt=1, max_attempts=3, database=db)
    reset_settings_cache()
    _attempt(line, p.kim, pid, "asks-questions=0.8 next-step=1")
    with db.session() as s:
        counts, new = collect(s)
    assert (counts["sign_off"], [n.email for n in new]) == (1, ["max@acme.test"])
    from sparring.testing.smtp_sink import _free_port

    monkeypatch.setenv("SPARRING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPARRING_SMTP_PORT", str(_free_port()))  # nothing listens
    monkeypatch.setenv("SPARRING_SMTP_FROM", "sparring@acme.test")
    reset_settings_cache()
    try:
        with db.session() as s:
            cert.sign_off(s, None, pid, p.kim.id)
        assert certification_notices(ctx, {}) == {**ZERO, "certified": 1, "email_failed": 1}
        assert certification_notices(ctx, {}) == ZERO  # the e-mail is not retried, the notification not repeated
    finally:
        reset_settings_cache()
    assert [k for k, _ in _notes(db, p.kim.id)] == ["certified"]


def test_the_task_is_periodic_and_queued_once_per_event(db: Database) -> None:
    registry = load_task_plugins(TaskRegistry())
    task = registry.get(TASK)
    assert task.schedule is not None and task.schedule.every == EVERY
    queue = JobQueue(db, registry)
    enqueue_notices(lambda: queue, 7, "issued:3")
    enqueue_notices(lambda: queue, 7, "issued:3")  # the same event twice (a double click): one job
    enqueue_notices(lambda: queue, 7, "revoked:3")

    def broken() -> JobQueue:
        raise RuntimeError("no backend")

    enqueue_notices(broken, 7, "issued:4")  # logged, not raised: the sign-off stands, the periodic run catches up
    jobs = queue.ledger.list(None, limit=10)
    assert sorted((j.task, j.payload["program_id"]) for j in jobs) == [(TASK, 7), (TASK, 7)]
