"""The program reminder task (sparring.services.program_reminders) on SQLite and PostgreSQL: learners behind in a
running program get one in-app reminder per program week however often it runs, nobody else does, and with SMTP
configured each new reminder is e-mailed once through a local SMTP sink on loopback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sparring_test_support as support
from sqlalchemy import delete, select, update

from sparring.jobs.registry import TaskContext, TaskRegistry, load_task_plugins
from sparring.services import programs
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.practice import PracticeService
from sparring.services.program_reminders import EVERY, TASK, program_reminders, remind_behind
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.settings import reset_settings_cache
from sparring.store.coaching_models import NotificationRow
from sparring.store.db import Database
from sparring.store.models import Rep
from sparring.testing.smtp_sink import SmtpSink


def _program(db: Database, org_id: int, start: date, end: date, **kw: object) -> int:
    with db.session() as s:
        return programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=org_id, name="Sprint",
            start_on=start, end_on=end, target_min=10, scenarios=[ScenarioChoice(support.TEST_SCENARIO)],
            teams=["East"], **kw).id  # type: ignore[arg-type]


def _behind(db: Database, user_id: int) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(NotificationRow.key).where(NotificationRow.user_id == user_id,
                                                                NotificationRow.kind == "behind")
                              .order_by(NotificationRow.id)))


def test_one_reminder_per_week_to_whoever_is_behind(db: Database, practice: PracticeService,
                                                    learner: UserRecord) -> None:
    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East", name="Kim")
    pid = _program(db, learner.org_id, date(2026, 3, 2), date(2026, 3, 29))
    _program(db, learner.org_id, date(2026, 4, 6), date(2026, 4, 30))  # not running yet: nobody is reminded
    for day in range(5):  # Kim keeps up: 5 reps by day 15
        rep_id = support.scored_rep(practice, kim, "Why?")
        with db.session() as s:
            s.execute(update(Rep).where(Rep.id == rep_id).values(created_at=datetime(2026, 3, 2 + day, tzinfo=UTC)))
    with db.session() as s:  # the first day: nobody is behind yet
        assert remind_behind(s, datetime(2026, 3, 2, 9, tzinfo=UTC))[0] == {"programs": 1, "checked": 2,
                                                                            "behind": 0}
    for hour in (9, 10):  # day 10, twice: one reminder for Lee
        with db.session() as s:
            counts, new = remind_behind(s, datetime(2026, 3, 11, hour, tzinfo=UTC))
    assert counts == {"programs": 1, "checked": 2, "behind": 0} and new == []  # the second run: nothing new
    assert _behind(db, learner.id) == [f"behind:{pid}:{learner.id}:w2"]
    assert _behind(db, kim.id) == []
    with db.session() as s:  # later the same week: nothing; next week: the next reminder
        remind_behind(s, datetime(2026, 3, 15, 23, tzinfo=UTC))
        _, new = remind_behind(s, datetime(2026, 3, 16, 0, 30, tzinfo=UTC))
    assert [(r.email, r.program) for r in new] == [("lee@acme.test", "Sprint")]
    assert "0 of 10 reps done, 5 expected by now" in new[0].text and "Next: " in new[0].text
    assert _behind(db, learner.id) == [f"behind:{pid}:{learner.id}:w2", f"behind:{pid}:{learner.id}:w3"]
    with db.session() as s:  # after the end: no more reminders
        assert remind_behind(s, datetime(2026, 3, 30, 9, tzinfo=UTC))[0]["programs"] == 0


def test_the_task_is_periodic_and_emails_new_reminders_once(db: Database, practice: PracticeService,
                                                            learner: UserRecord,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    registry = load_task_plugins(TaskRegistry())
    task = registry.get(TASK)
    assert task.schedule is not None and task.schedule.every == EVERY
    today = datetime.now(UTC).date()
    _program(db, learner.org_id, today - timedelta(days=14), today + timedelta(days=13))
    ctx = TaskContext(job_id=1, task=TASK, attempt=1, max_attempts=3, database=db)
    with SmtpSink() as sink:
        monkeypatch.setenv("SPARRING_SMTP_HOST", sink.host)
        monkeypatch.setenv("SPARRING_SMTP_PORT", str(sink.port))
        monkeypatch.setenv("SPARRING_SMTP_FROM", "sparring@acme.test")
        monkeypatch.setenv("SPARRING_PUBLIC_URL", "https://sparring.acme.test")
        reset_settings_cache()
        first = program_reminders(ctx, {})
        second = program_reminders(ctx, {})
    reset_settings_cache()
    assert first == {"programs": 1, "checked": 1, "behind": 1, "emailed": 1, "email_failed": 0}
    assert second == {"programs": 1, "checked": 1, "behind": 0, "emailed": 0, "email_failed": 0}
    [mail] = sink.messages
    assert (mail["To"], mail["Subject"]) == ("lee@acme.test", "Practice reminder: Sprint")
    body = mail.get_payload(decode=True).decode()
    assert "Sprint: you are behind" in body and "https://sparring.acme.test/" in body


def test_without_smtp_no_email_and_an_smtp_failure_keeps_the_in_app_reminder(
        db: Database, practice: PracticeService, learner: UserRecord, monkeypatch: pytest.MonkeyPatch) -> None:
    today = datetime.now(UTC).date()
    _program(db, learner.org_id, today - timedelta(days=14), today + timedelta(days=13))
    ctx = TaskContext(job_id=1, task=TASK, attempt=1, max_attempts=3, database=db)
    from sparring.testing.smtp_sink import _free_port

    monkeypatch.setenv("SPARRING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPARRING_SMTP_PORT", str(_free_port()))  # nothing listens: the e-mail fails
    monkeypatch.setenv("SPARRING_SMTP_FROM", "sparring@acme.test")
    reset_settings_cache()
    try:
        assert program_reminders(ctx, {}) == {"programs": 1, "checked": 1, "behind": 1, "emailed": 0,
                                              "email_failed": 1}
    finally:
        reset_settings_cache()
    assert len(_behind(db, learner.id)) == 1
    monkeypatch.delenv("SPARRING_SMTP_HOST")
    reset_settings_cache()
    with db.session() as s:  # as if a new week began, without SMTP: the in-app reminder only
        s.execute(delete(NotificationRow).where(NotificationRow.kind == "behind"))
    after = program_reminders(ctx, {})
    assert (after["behind"], after["emailed"], after["email_failed"]) == (1, 0, 0)


def test_an_archived_program_sends_no_reminders_and_leaves_the_card(db: Database, practice: PracticeService,
                                                                      learner: UserRecord) -> None:
    from sparring.services.access import Viewer
    from sparring.services.program_progress import my_week, program_progress

    today = datetime.now(UTC).date()
    pid = _program(db, learner.org_id, today - timedelta(days=14), today + timedelta(days=13))
    me = Viewer(learner.id, learner.org_id, "learner", "Lee", learner.email)
    with db.session() as s:
        assert programs.set_archived(s, None, pid).status == "archived"
    with db.session() as s:
        assert remind_behind(s)[0] == {"programs": 0, "checked": 0, "behind": 0}
        assert my_week(s, me) == []
        assert len(program_progress(s, None, pid).learners) == 1  # its progress stays readable
    with db.session() as s:
        assert programs.set_archived(s, None, pid, archived=False).status == "active"
        assert remind_behind(s)[0]["behind"] == 1 and len(my_week(s, me)) == 1
