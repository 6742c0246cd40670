"""The program reminder task (docs/programs.md, "Reminders"; docs/jobs.md, "Built-in tasks").

``program_reminders`` runs every hour (periodic, ``sparring.tasks``): for every active program that is running
today (UTC), each enrolled learner who is *behind* (``coaching.programs.should_remind``: fewer counting reps than
the pro-rata target) gets an in-app reminder, at most once per program week: the notification's key is
``behind:<program>:<user>:w<week>`` (unique in the notifications table), so repeating the task — at-least-once
delivery, several workers — never sends one twice.

When e-mail is configured (``SPARRING_SMTP_HOST`` and ``SPARRING_SMTP_FROM``; ``integrations.email``), each new
reminder is e-mailed too, *after* the reminders are committed: an SMTP failure is counted (``email_failed``) and
logged, never undoes the in-app reminder, and is not retried (at most one e-mail per reminder).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.coaching.programs import LearnerTally, reminder_key, should_remind, this_week
from sparring.integrations.email import Mail, SmtpConfig, send_counted
from sparring.jobs.registry import TaskContext, TaskRegistry
from sparring.services.notifications import notify
from sparring.services.program_progress import progress_of
from sparring.services.programs import enrolled_users, program_view
from sparring.settings import get_settings
from sparring.store.models import utcnow
from sparring.store.program_models import ProgramRow

TASK = "program_reminders"
EVERY = timedelta(hours=1)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    user_id: int
    email: str
    program: str
    text: str


def remind_behind(db: Session, now: datetime | None = None) -> tuple[dict[str, int], list[Reminder]]:
    """Send this week's in-app reminder to every learner behind in a running program; the counts and the reminders
    that are new (to be e-mailed once committed)."""
    now = now or utcnow()
    today = (now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)).date()
    counts = {"programs": 0, "checked": 0, "behind": 0}
    sent: list[Reminder] = []
    rows = db.scalars(select(ProgramRow).where(ProgramRow.status == "active", ProgramRow.start_on <= today,
                                               ProgramRow.end_on >= today).order_by(ProgramRow.id))
    for row in list(rows):
        counts["programs"] += 1
        view = program_view(db, row)
        plan = view.plan
        users = enrolled_users(db, row.id)
        progress = progress_of(db, view, users, today)
        for learner in progress.learners:
            counts["checked"] += 1
            if not should_remind(plan, learner.reps, today):
                continue
            advice = this_week(plan, LearnerTally(learner.reps, learner.passed, learner.last_rep_at,
                                                 learner.per_scenario), today)
            nxt = f" Next: {advice.next.title}." if advice.next else ""
            text = (f"{view.name}: you are behind — {learner.reps} of {plan.target_min} reps done, "
                    f"{progress.expected} expected by now. Do {max(1, advice.reps_this_week)} this week.{nxt}")
            if notify(db, learner.user_id, "behind", text, "/", key=reminder_key(row.id, learner.user_id, plan, today),
                      now=now):
                counts["behind"] += 1
                sent.append(Reminder(learner.user_id, learner.email, view.name, text))
    return counts, sent


def email_reminders(config: SmtpConfig | None, reminders: list[Reminder], public_url: str | None) -> dict[str, int]:
    """E-mail each reminder (nothing when e-mail is not configured); counts of sent and failed."""
    if config is None or not reminders:
        return {"emailed": 0, "email_failed": 0}
    link = f"\n\nOpen Sparring: {public_url.rstrip('/')}/" if public_url else ""
    return send_counted(config, [Mail(r.email, f"Practice reminder: {r.program}", f"{r.text}{link}\n")
                                 for r in reminders], "program reminder")


def program_reminders(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, int]:
    """Remind learners who are behind in a running program (in-app, and by e-mail when configured), once a week."""
    settings = ctx.app.settings if ctx.app is not None else get_settings()
    with ctx.database.session() as s:
        counts, new = remind_behind(s)
    return {**counts, **email_reminders(SmtpConfig.from_settings(settings), new, settings.public_url)}


def register(registry: TaskRegistry) -> None:
    """The programs' tasks: these reminders and the certification notifications (``certification_notices``)."""
    from sparring.services import certification_notices

    registry.task(TASK, max_attempts=3, every=EVERY)(program_reminders)
    certification_notices.register(registry)
