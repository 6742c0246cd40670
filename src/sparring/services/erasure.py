"""Erasing a person's data on request (issue 16 item 6; docs/data-ownership.md, "Erasing a person").

An admin erases one person of their organisation: the ``users`` row goes, and with it — through the schema's
``ON DELETE CASCADE`` foreign keys — every row that is theirs: conversations (practice reps and imported calls)
with their turns, scorecards, criterion results, moments and comments, speech takes, saved lines, assignments
given to them, enrolments, certificates and attempts, notifications, sessions, sign-in codes. Rows that belong to
someone else but point at the person (a comment they wrote on another's rep, a team line taken from their rep, a
program they created) stay, with the reference set to nothing (``ON DELETE SET NULL``). Files go too: kept
recordings of their spoken turns and the uploads of their calls; so do the background jobs that name them.

What is counted is found from the schema itself (``plan``, through ``store.ownership``, shared with the
organisation export): every table whose rows are deleted or detached through a chain of foreign keys from
``users`` — a table added later is covered without a change here, and tests/services/test_erasure.py
checks that nothing pointing at the person remains in any table.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.accounts import leaves_no_admin
from sparring.services.calls import UPLOADS_DIR
from sparring.services.errors import Conflict, NotFound
from sparring.store import ownership
from sparring.store.db import Database
from sparring.store.integration_models import IntegrationEventRow, WebhookDeliveryRow
from sparring.store.models import JobRow, User
from sparring.store.voice_models import SpeechTake

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a person removes (``deleted``: rows per table), what it keeps with the reference removed
    (``detached``), and the files and jobs that go with them."""

    user_id: int
    email: str
    name: str
    deleted: dict[str, int] = field(default_factory=dict)
    detached: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    jobs: int = 0
    #: files that could not be deleted after the rows were: "path: reason" (the admin is told to remove them)
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _jobs_of(s: Session, org_id: int, user_id: int) -> list[JobRow]:
    """Background jobs of the organisation whose payload names the person (``user_id``)."""
    rows = s.scalars(select(JobRow).where(or_(JobRow.org_id == org_id, JobRow.org_id.is_(None)) if org_id else false()))
    return [j for j in rows if isinstance(j.payload, dict) and j.payload.get("user_id") == user_id]


def _target(s: Session, org_id: int, user_id: int, acting_admin_id: int) -> User:
    user = s.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise NotFound(f"no such person (user {user_id}) in this organisation")
    if user.id == acting_admin_id:
        raise Conflict("user: you cannot erase yourself; ask another admin")
    if leaves_no_admin(s, user, None, False):
        raise Conflict("user: the organisation's last admin cannot be erased")
    return user


def plan(s: Session, org_id: int, user_id: int, acting_admin_id: int, data_dir: Path | None = None) -> ErasurePlan:
    """What ``erase`` would remove, without changing anything (for the confirmation page and ``--dry-run``)."""
    user = _target(s, org_id, user_id, acting_admin_id)
    doomed = ownership.cascade_conditions("users", user_id)
    tables = {t.name: t for t in ownership.tables()}
    deleted = {name: int(s.scalar(select(func.count()).select_from(tables[name]).where(cond)) or 0)
               for name, cond in doomed.items()}
    detached = {name: int(s.scalar(select(func.count()).select_from(tables[name]).where(cond)) or 0)
                for name, cond in ownership.detached_conditions(doomed).items()}
    jobs = _jobs_of(s, org_id, user_id)
    files = _files(s, user_id, jobs, data_dir)
    events = _events_of(s, org_id, user.id, user.email)
    if events:  # integration events naming them (not linked by a key), and their pending webhook deliveries
        deleted["integration_events"] = len(events)
        deleted["webhook_deliveries"] = int(s.scalar(select(func.count()).select_from(WebhookDeliveryRow).where(
            WebhookDeliveryRow.event_row_id.in_([e.id for e in events]))) or 0)
    return ErasurePlan(user_id=user.id, email=user.email, name=user.name or user.email,
                       deleted={k: v for k, v in deleted.items() if v},
                       detached={k: v for k, v in detached.items() if v}, files=files, jobs=len(jobs))


def _names(doc: Any, user_id: int, email: str) -> bool:
    """Whether an event's document names the person: a ``user_id`` of theirs, or a person ``{"id", "email"}``."""
    if isinstance(doc, dict):
        if doc.get("user_id") == user_id or (doc.get("id") == user_id and doc.get("email") == email):
            return True
        return any(_names(v, user_id, email) for v in doc.values())
    if isinstance(doc, list):
        return any(_names(v, user_id, email) for v in doc)
    return False


def _events_of(s: Session, org_id: int, user_id: int, email: str) -> list[IntegrationEventRow]:
    """The organisation's integration events (the webhooks' outbox, kept 30 days) whose document names the person:
    deleted with them, so that no delivery still pending sends their name after the erasure."""
    rows = s.scalars(select(IntegrationEventRow).where(IntegrationEventRow.org_id == org_id))
    return [e for e in rows if _names(e.data, user_id, email)]


def _files(s: Session, user_id: int, jobs: list[JobRow], data_dir: Path | None) -> list[str]:
    """The person's files under the data folder, relative to it: kept recordings and call uploads."""
    if data_dir is None:
        return []
    out = [p for p in s.scalars(select(SpeechTake.audio_path).where(SpeechTake.user_id == user_id,
                                                                    SpeechTake.audio_path.is_not(None))) if p]
    for job in jobs:
        upload: Any = job.payload.get("upload")
        if isinstance(upload, str) and "/" in upload and ".." not in upload:
            out.append(f"{UPLOADS_DIR}/{upload.split('/')[0]}")
    return sorted(set(out))


def erase(db: Database, org_id: int, user_id: int, acting_admin_id: int, data_dir: Path | None = None,
          via: str = "web") -> ErasurePlan:
    """Erase the person (one transaction for the rows; their files after it commits). Returns what was removed.
    The audit log gets one ``user.erased`` row under the acting admin (``0``: the command line) with the erased
    person's e-mail in its detail, in the same transaction."""
    with db.session() as s:
        done = plan(s, org_id, user_id, acting_admin_id, data_dir)
        audit.record(s, audit.actor_of(s, acting_admin_id), "user.erased", "user", user_id,
                     {"email": done.email, "rows": done.total, "files": len(done.files)}, via, org_id=org_id)
        for job in _jobs_of(s, org_id, user_id):
            s.delete(job)
        for event in _events_of(s, org_id, user_id, done.email):
            s.delete(event)  # its deliveries go with it (ON DELETE CASCADE): a pending one fails, unsent
        user = s.get(User, user_id)
        assert user is not None
        s.delete(user)  # the schema's cascades delete the rest, and detach what others own

    def note(_func: object, failed: str, exc_info: Any) -> None:  # shutil.rmtree's onerror (onexc from 3.12)
        reason = exc_info[1]
        assert data_dir is not None
        done.problems.append(f"{_relative(failed, data_dir)}: {getattr(reason, 'strerror', None) or reason}")

    for rel in done.files:
        assert data_dir is not None
        path = (data_dir / rel).resolve()
        if data_dir.resolve() not in path.parents:
            continue  # never outside the data folder, whatever a row says
        try:
            if path.is_dir():
                shutil.rmtree(path, onerror=note)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            done.problems.append(f"{rel}: {exc.strerror or exc}")
    log.info("erased user %s of organisation %s: %s rows, %s files, %s jobs", user_id, org_id, done.total,
             len(done.files), done.jobs)
    for problem in done.problems:
        log.warning("erasing user %s: a file could not be deleted, remove it by hand: %s", user_id, problem)
    return done


def _relative(path: str, data_dir: Path) -> str:
    try:
        return Path(path).resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return path
