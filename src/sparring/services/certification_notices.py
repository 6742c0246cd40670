"""Certification notifications (docs/programs.md, "Certification notifications"; docs/jobs.md, "Built-in tasks").

The task ``certification_notices`` tells people what happened to a certification, in the app and — when e-mail is
configured (``SPARRING_SMTP_HOST`` and ``SPARRING_SMTP_FROM``; ``integrations.email``) — by e-mail:

- an attempt **passed and waits for sign-off**: each manager of the learner's teams (the organisation's admins when
  no manager has one of their teams), kind ``sign_off``, key ``cert-pass:<attempt>:<manager>``;
- a manager **signed off** (the certificate is issued): the learner, kind ``certified``, key ``cert-issued:<id>``;
- a certificate was **revoked**: the learner, kind ``revoked``, key ``cert-revoked:<id>``.

It runs every ``EVERY`` (periodic: a scored attempt is recorded and its managers told within that time, wherever it
was scored) and is also queued by a sign-off and a revocation (``enqueue_notices``), so the learner hears at once.
Each notification's key is unique in the notifications table: a repeated or retried job writes nothing twice, and
only notifications new in this run are e-mailed, *after* they are committed — an SMTP failure is counted
(``email_failed``) and logged, never undoes the in-app notification, and is not retried (at most one e-mail each).
Only events of the last ``WINDOW`` are looked at, so a first run on an old database sends no backlog.

Registered by ``services.program_reminders.register`` (certification belongs to programs; one entry point).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.integrations.email import Mail, SmtpConfig, send_counted
from sparring.services.certification import learner_status, record_results
from sparring.services.notifications import notify
from sparring.settings import get_settings
from sparring.store.certification_models import CertificateRow, CertificationAttemptRow, CertificationRow
from sparring.store.models import TeamMember, User, utcnow
from sparring.store.program_models import ProgramRow

if TYPE_CHECKING:
    from sparring.jobs.queue import JobQueue
    from sparring.jobs.registry import TaskContext, TaskRegistry

TASK = "certification_notices"
EVERY = timedelta(minutes=5)
#: how far back events are notified (a pass recorded, a certificate issued or revoked)
WINDOW = timedelta(days=7)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """A notification just written, to be e-mailed once committed."""

    user_id: int
    email: str
    subject: str
    text: str
    link: str


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def managers_of(db: Session, learner: User) -> list[User]:
    """The active managers of the learner's teams, by id; the organisation's active admins when there are none."""
    teams = select(TeamMember.team_id).where(TeamMember.user_id == learner.id)
    found = list(db.scalars(select(User).join(TeamMember, TeamMember.user_id == User.id)
                            .where(TeamMember.team_id.in_(teams), User.role == "manager", User.org_id == learner.org_id,
                                   User.is_active.is_(True), User.id != learner.id)
                            .distinct().order_by(User.id)))
    if found:
        return found
    return list(db.scalars(select(User).where(User.org_id == learner.org_id, User.role == "admin",
                                              User.is_active.is_(True)).order_by(User.id)))


def _who(user: User) -> str:
    return user.name or user.email


def _passes(db: Session, program: ProgramRow, since: datetime, now: datetime) -> tuple[int, list[Notice]]:
    """Tell the managers of each learner whose recorded pass waits for their sign-off."""
    done, sent = 0, []
    attempts = db.scalars(select(CertificationAttemptRow).where(
        CertificationAttemptRow.program_id == program.id, CertificationAttemptRow.passed.is_(True),
        CertificationAttemptRow.recorded_at >= since).order_by(CertificationAttemptRow.id))
    for attempt in list(attempts):
        state = learner_status(db, program.id, attempt.user_id)
        learner = db.get(User, attempt.user_id)
        if learner is None or state is None or state.status != "awaiting_sign_off" or \
                state.passed_rep_id != attempt.rep_id:
            continue  # signed off already, or a pass spent by a revocation
        text = (f"{_who(learner)} passed the certification of {program.name} and waits for your sign-off "
                f"(rep {attempt.rep_id}).")
        link = f"/programs/{program.id}#certification"
        for manager in managers_of(db, learner):
            if notify(db, manager.id, "sign_off", text, link, key=f"cert-pass:{attempt.id}:{manager.id}", now=now):
                done += 1
                sent.append(Notice(manager.id, manager.email, f"Sign-off waiting: {_who(learner)}, {program.name}",
                                   text, link))
    return done, sent


def _certificates(db: Session, program: ProgramRow, since: datetime, now: datetime) -> tuple[int, int, list[Notice]]:
    """Tell each learner whose certificate was issued or revoked."""
    issued = revoked = 0
    sent: list[Notice] = []
    rows = db.scalars(select(CertificateRow).where(
        CertificateRow.program_id == program.id,
        (CertificateRow.issued_at >= since) | (CertificateRow.revoked_at >= since)).order_by(CertificateRow.id))
    for row in list(rows):
        learner = db.get(User, row.user_id)
        if learner is None:
            continue
        if _aware(row.issued_at) >= since:
            text = f"You are certified on {program.name}: your certification rep was signed off."
            if notify(db, learner.id, "certified", text, "/progress", key=f"cert-issued:{row.id}", now=now):
                issued += 1
                sent.append(Notice(learner.id, learner.email, f"Certified: {program.name}", text, "/progress"))
        if row.revoked_at is not None and _aware(row.revoked_at) >= since:
            text = (f"Your certificate on {program.name} was revoked on {_aware(row.revoked_at):%Y-%m-%d}: "
                    f"{row.revoked_reason or 'no reason given'}")
            if notify(db, learner.id, "revoked", text, "/progress", key=f"cert-revoked:{row.id}", now=now):
                revoked += 1
                sent.append(Notice(learner.id, learner.email, f"Certificate revoked: {program.name}", text,
                                   "/progress"))
    return issued, revoked, sent


def collect(db: Session, now: datetime | None = None, program_id: int | None = None
            ) -> tuple[dict[str, int], list[Notice]]:
    """Record the results of scored attempts, then write the notifications due (every program with a
    certification, or one); the counts and the notifications that are new (to be e-mailed once committed)."""
    now = _aware(now or utcnow())
    since = now - WINDOW
    counts = {"programs": 0, "sign_off": 0, "certified": 0, "revoked": 0}
    sent: list[Notice] = []
    q = select(ProgramRow).join(CertificationRow, CertificationRow.program_id == ProgramRow.id).order_by(ProgramRow.id)
    if program_id is not None:
        q = q.where(ProgramRow.id == program_id)
    for program in list(db.scalars(q)):
        counts["programs"] += 1
        if program.status == "active":
            record_results(db, program.id)
            n, new = _passes(db, program, since, now)
            counts["sign_off"] += n
            sent += new
        issued, revoked, new = _certificates(db, program, since, now)
        counts["certified"] += issued
        counts["revoked"] += revoked
        sent += new
    return counts, sent


def email_notices(config: SmtpConfig | None, notices: list[Notice], public_url: str | None) -> dict[str, int]:
    """E-mail each notice (nothing when e-mail is not configured); counts of sent and failed."""
    if config is None or not notices:
        return {"emailed": 0, "email_failed": 0}
    base = public_url.rstrip("/") if public_url else None
    mails = [Mail(n.email, n.subject, f"{n.text}\n\nOpen Sparring: {base}{n.link}\n" if base else f"{n.text}\n")
             for n in notices]
    return send_counted(config, mails, "certification notice")


def certification_notices(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, int]:
    """Notify managers of passes waiting for sign-off and learners of certificates issued or revoked (in-app, and
    by e-mail when configured); ``payload["program_id"]`` limits it to one program."""
    settings = ctx.app.settings if ctx.app is not None else get_settings()
    found = payload.get("program_id")
    program_id = found if isinstance(found, int) and not isinstance(found, bool) else None
    with ctx.database.session() as s:
        counts, new = collect(s, program_id=program_id)
    return {**counts, **email_notices(SmtpConfig.from_settings(settings), new, settings.public_url)}


def enqueue_notices(queue_of: Callable[[], JobQueue], program_id: int, event: str) -> None:
    """Queue the task for one program after ``event`` (e.g. ``issued:12``; one job per event) on the queue
    ``queue_of()`` builds. A queue that cannot be built or take it is logged, not raised: the sign-off or revocation
    is done, and the periodic run tells the learner."""
    try:
        queue_of().enqueue(TASK, {"program_id": program_id}, idempotency_key=f"{TASK}:{program_id}:{event}")
    except Exception as exc:
        log.warning("certification notices for program %s not queued: %s", program_id, exc)


def register(registry: TaskRegistry) -> None:
    registry.task(TASK, max_attempts=3, every=EVERY)(certification_notices)
