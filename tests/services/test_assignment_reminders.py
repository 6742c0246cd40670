"""The reminder task (sparring.services.assignment_reminders) on SQLite and PostgreSQL: it stores statuses, marks
overdue assignments and sends each reminder once however often it runs; registered as a periodic task."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import sparring_test_support as support
from sqlalchemy import select

from sparring.jobs.registry import TaskContext, TaskRegistry, load_task_plugins
from sparring.services import assignments
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.assignment_reminders import EVERY, TASK, assignment_reminders, refresh_assignments
from sparring.services.content import ContentService
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.coaching_models import AssigneeRow, NotificationRow
from sparring.store.db import Database

DUE = date.today() + timedelta(days=3)


def _day(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def _kinds(db: Database, user_id: int) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(NotificationRow.kind).where(NotificationRow.user_id == user_id)
                              .order_by(NotificationRow.id)))


def test_reminders_go_out_once_and_overdue_is_stored(db: Database, practice: PracticeService,
                                                     learner: UserRecord) -> None:
    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East")
    with db.session() as s:
        view = assignments.assign(s, None, lambda org, sid: ContentService(db, org).get_scenario(sid),
                                  support.TEST_SCENARIO, "lee@acme.test", reps=1, due_on=DUE)
        assignments.assign(s, None, lambda org, sid: ContentService(db, org).get_scenario(sid),
                           support.TEST_SCENARIO, "kim@acme.test", reps=1, due_on=DUE)
    support.scored_rep(practice, learner, "Why?")
    with db.session() as s:  # two days before: nothing to remind, Lee's status becomes in progress
        assert refresh_assignments(s, _day(DUE - timedelta(days=2))) == {
            "checked": 2, "status_changed": 1, "overdue": 0, "due_soon": 0}
    for _ in range(2):  # the day before, twice: one reminder each
        with db.session() as s:
            refresh_assignments(s, _day(DUE - timedelta(days=1)))
    assert _kinds(db, learner.id) == ["assigned", "due_soon"] and _kinds(db, kim.id) == ["assigned", "due_soon"]
    with db.session() as s:  # Lee submits; the next day both are past due
        assignments.submit(s, Viewer(learner.id, learner.org_id, "learner", "Lee", learner.email),
                           view.learners[0].assignee_id,
                           view_reps(db, learner.id)[0])
    for _ in range(2):
        with db.session() as s:
            counts = refresh_assignments(s, _day(DUE + timedelta(days=1)))
    assert counts == {"checked": 1, "status_changed": 0, "overdue": 0, "due_soon": 0}  # the second run: nothing new
    assert _kinds(db, learner.id) == ["assigned", "due_soon"]  # submitted: no overdue reminder
    assert _kinds(db, kim.id) == ["assigned", "due_soon", "overdue"]
    with db.read() as s:
        stored = {user: status for user, status in s.execute(select(AssigneeRow.user_id, AssigneeRow.status))}
        assert stored == {learner.id: "submitted", kim.id: "overdue"}


def view_reps(db: Database, user_id: int) -> list[int]:
    from sparring.store.models import Rep

    with db.read() as s:
        return list(s.scalars(select(Rep.id).where(Rep.user_id == user_id).order_by(Rep.id)))


def test_the_task_is_registered_as_periodic_and_runs_on_the_jobs_database(db: Database, learner: UserRecord) -> None:
    registry = load_task_plugins(TaskRegistry())
    task = registry.get(TASK)
    assert task.schedule is not None and task.schedule.every == EVERY
    ctx = TaskContext(job_id=1, task=TASK, attempt=1, max_attempts=3, database=db)
    assert assignment_reminders(ctx, {}) == {"checked": 0, "status_changed": 0, "overdue": 0, "due_soon": 0}


def test_the_periodic_slot_runs_through_the_job_queue_once(db: Database, practice: PracticeService,
                                                           learner: UserRecord) -> None:
    from sparring.jobs import InProcessRunner, JobQueue
    from sparring.services.assignment_reminders import register

    with db.session() as s:  # due today: a "due today" reminder on the first run
        assignments.assign(s, None, lambda org, sid: ContentService(db, org).get_scenario(sid),
                           support.TEST_SCENARIO, "lee@acme.test", reps=1, due_on=datetime.now(UTC).date())
    registry = TaskRegistry()
    register(registry)
    step = EVERY.total_seconds()  # a clock at the start of the current slot: a slot found late is skipped
    slot_start = (time.time() // step) * step + 1
    queue = JobQueue(db, registry, clock=lambda: slot_start)
    assert [j.task for j in queue.schedule_periodic()] == [TASK]
    assert queue.schedule_periodic() == []  # one job per slot
    InProcessRunner(queue, worker_id="t", periodic=False).run_until_idle()
    [job] = queue.ledger.list()
    assert job.status == "done" and job.result == {"checked": 1, "status_changed": 0, "overdue": 0, "due_soon": 1}
    assert _kinds(db, learner.id) == ["assigned", "due_soon"]
    with db.read() as s:
        assert s.scalar(select(NotificationRow.text).where(NotificationRow.kind == "due_soon")).startswith("Due today:")
