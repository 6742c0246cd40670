"""The assignment reminder task (docs/assignments.md, "Statuses and reminders"; docs/jobs.md, "Built-in tasks").

``assignment_reminders`` runs every 15 minutes (periodic, ``sparring.tasks``): for every assignee who has not
submitted, it stores the status their reps give now (``coaching.assignments.status_of``; ``overdue`` once the due
day is over) and sends the reminders due (``coaching.assignments.reminders_due``): "due tomorrow/today" on the day
before and on the due day, "overdue" once. Each reminder is keyed ``due_soon:<assignee>`` / ``overdue:<assignee>``
(unique in the notifications table), so repeating the task — at-least-once delivery, several workers — never sends
one twice. One transaction for the whole pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.coaching.assignments import counting_reps, reminders_due, status_of
from sparring.jobs.registry import TaskContext, TaskRegistry
from sparring.services.notifications import notify
from sparring.store.coaching_models import AssigneeRow, AssignmentRow
from sparring.store.models import utcnow

TASK = "assignment_reminders"
EVERY = timedelta(minutes=15)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def refresh_assignments(db: Session, now: datetime | None = None) -> dict[str, int]:
    """Store every open assignee's status and send the reminders due by ``now``; counts of what changed."""
    now = now or utcnow()
    counts = {"checked": 0, "status_changed": 0, "overdue": 0, "due_soon": 0}
    rows = db.execute(select(AssigneeRow, AssignmentRow)
                      .join(AssignmentRow, AssignmentRow.id == AssigneeRow.assignment_id)
                      .where(AssigneeRow.submitted_rep_id.is_(None))
                      .order_by(AssigneeRow.id))
    for assignee, a in rows:
        counts["checked"] += 1
        progress = counting_reps(db, assignee.user_id, a.scenario_id, a.difficulty, _utc(a.created_at))
        status = status_of(progress, reps_required=a.reps_required, submit_best=a.submit_best, submitted=False,
                           due_on=a.due_on, now=now)
        if status != assignee.status:
            assignee.status = status
            counts["status_changed"] += 1
        for kind in reminders_due(status, a.due_on, now):
            if kind == "overdue":
                text = f"Overdue: {a.title} was due on {a.due_on:%d %b %Y} ({progress.done} of " \
                       f"{a.reps_required} reps done)"
            else:
                day = "today" if _utc(now).date() == a.due_on else "tomorrow"
                text = f"Due {day}: {a.title} ({progress.done} of {a.reps_required} reps done)"
            if notify(db, assignee.user_id, kind, text, "/assignments", key=f"{kind}:{assignee.id}", now=now):
                counts[kind] += 1
    return counts


def assignment_reminders(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, int]:
    """Mark overdue assignments and send due-soon and overdue reminders, once each."""
    with ctx.database.session() as s:
        return refresh_assignments(s)


def register(registry: TaskRegistry) -> None:
    registry.task(TASK, max_attempts=3, every=EVERY)(assignment_reminders)
