"""Delivery of xAPI statements to the configured learning record store, through an outbox and the job layer
(docs/integrations.md, "xAPI"; docs/jobs.md).

- ``xapi_sweep`` (periodic, every 5 minutes; does nothing without ``SPARRING_XAPI_LRS_URL``) finds the scored
  attempts not yet handed over — current scorecards of reps without an ``xapi_outbox`` row — and puts them, per
  organisation, ``BATCH_ATTEMPTS`` at a time into a new ``xapi_batches`` row (one transaction: the batch and its
  outbox rows), then queues one ``xapi_deliver`` job per queued batch (idempotency key
  ``xapi:<batch>:<retries>``, so repeated sweeps never queue a batch twice). The scoring services know nothing of
  this: the sweep finds what to send.
- ``xapi_deliver`` builds the batch's statements (``services.xapi_export``) and POSTs them
  (``integrations.xapi_lrs``). Sent: the batch is ``sent``. Not taken (the LRS is down, refuses the credentials,
  answers an error): the try and the error are recorded and the job layer retries with backoff
  (``MAX_ATTEMPTS`` tries, ``RETRY_BASE`` seconds doubling up to ``RETRY_CAP``); after the last try the batch is
  ``dead``. Nothing is lost: the attempts stay in the outbox with their batch.
- Admins see dead batches (``overview``; the page ``/admin/xapi``) and send one again (``retry``: a fresh round of
  tries in a new job). The sweep also marks ``dead`` a queued batch whose job failed without saying so (a worker
  killed on the last try).

A scorecard replaced by a re-score before its batch went out is skipped (it is no longer the attempt's score);
the re-score is a new scorecard that a later sweep sends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from sparring.integrations.xapi import StatementBuilder
from sparring.integrations.xapi_lrs import LrsConfig, LrsError, send
from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import JobError, PermanentError, TaskContext, TaskRegistry
from sparring.reports.exports import ExportScope
from sparring.services.access import Viewer
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.xapi_export import attempts
from sparring.settings import Settings, get_settings
from sparring.store.db import Database
from sparring.store.models import Rep, utcnow
from sparring.store.xapi_models import XapiBatchRow, XapiOutboxRow

SWEEP = "xapi_sweep"
DELIVER = "xapi_deliver"
EVERY = timedelta(minutes=5)
#: scored attempts per batch (each brings one statement per criterion too)
BATCH_ATTEMPTS = 100
#: batches made by one sweep at most (the next sweep goes on)
MAX_BATCHES_PER_SWEEP = 50
MAX_ATTEMPTS = 8
RETRY_BASE = 30.0
RETRY_CAP = 1800.0
log = logging.getLogger(__name__)


def lrs_config(settings: Settings) -> LrsConfig | None:
    """The configured LRS, or None when ``SPARRING_XAPI_LRS_URL`` is not set."""
    url = (settings.xapi_lrs_url or "").strip()
    if not url:
        return None
    return LrsConfig(url=url, username=settings.xapi_lrs_username, password=settings.xapi_lrs_password,
                     timeout=settings.xapi_lrs_timeout)


def _settings(ctx: TaskContext) -> Settings:
    return ctx.app.settings if ctx.app is not None else get_settings()


# ---- the sweep -----------------------------------------------------------------------------------------------


def _unsent(db: Session, org_id: int, limit: int) -> list[int]:
    sent = exists().where(XapiOutboxRow.scorecard_id == Rep.scorecard_id)
    return list(db.scalars(select(Rep.scorecard_id).where(Rep.org_id == org_id, Rep.scorecard_id.is_not(None),
                                                          ~sent).order_by(Rep.scorecard_id).limit(limit)))


def fill_batches(database: Database, limit: int = MAX_BATCHES_PER_SWEEP) -> list[int]:
    """Put the scored attempts not yet handed over into new batches (per organisation, oldest first); the new
    batches' ids. Each batch is committed with its outbox rows in one transaction."""
    made: list[int] = []
    with database.read() as s:
        sent = exists().where(XapiOutboxRow.scorecard_id == Rep.scorecard_id)
        orgs = list(s.scalars(select(Rep.org_id).where(Rep.scorecard_id.is_not(None), ~sent).distinct()
                              .order_by(Rep.org_id)))
    for org_id in orgs:
        while len(made) < limit:
            with database.session() as s:
                ids = _unsent(s, org_id, BATCH_ATTEMPTS)
                if not ids:
                    break
                batch = XapiBatchRow(org_id=org_id, status="queued", attempts_count=len(ids), statements=0,
                                     tries=0, retries=0, created_at=utcnow(), updated_at=utcnow())
                s.add(batch)
                s.flush()
                s.add_all(XapiOutboxRow(scorecard_id=i, batch_id=batch.id) for i in ids)
                s.flush()
                made.append(batch.id)
    return made


def _key(batch: XapiBatchRow) -> str:
    return f"xapi:{batch.id}:{batch.retries}"


def queue_batches(database: Database, queue: JobQueue) -> int:
    """Queue a delivery job for each queued batch (one per batch and retry: the idempotency key); mark dead a queued
    batch whose job failed without recording it. The number of jobs queued now."""
    queued = 0
    with database.read() as s:
        batches = [(b.id, b.org_id, _key(b), b.job_id) for b in
                   s.scalars(select(XapiBatchRow).where(XapiBatchRow.status == "queued").order_by(XapiBatchRow.id))]
    for batch_id, org_id, key, job_id in batches:
        if job_id is not None:
            job = queue.ledger.get(job_id)
            if job is not None and job.status == "failed":
                _mark_dead(database, batch_id, job.last_error or "the delivery job failed")
                continue
            if job is not None:
                continue
        job = queue.enqueue(DELIVER, {"batch_id": batch_id}, idempotency_key=key, org_id=org_id)
        with database.session() as s:
            row = s.get(XapiBatchRow, batch_id)
            if row is not None:
                row.job_id = job.id
        queued += 1
    return queued


def _mark_dead(database: Database, batch_id: int, error: str) -> None:
    with database.session() as s:
        row = s.get(XapiBatchRow, batch_id)
        if row is not None and row.status == "queued":
            row.status, row.last_error, row.updated_at = "dead", error[:2000], utcnow()


def xapi_sweep(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Batch what is not sent yet and queue its delivery (nothing when no LRS is configured)."""
    if lrs_config(_settings(ctx)) is None:
        return {"configured": False}
    if ctx.app is None or getattr(ctx.app, "jobs", None) is None:
        raise PermanentError("xapi_sweep needs the application's job queue (ctx.app.jobs)")
    made = fill_batches(ctx.database)
    return {"batches": len(made), "queued": queue_batches(ctx.database, ctx.app.jobs)}


# ---- one delivery --------------------------------------------------------------------------------------------


def statements_of(db: Session, batch: XapiBatchRow, home: str | None) -> list[dict[str, Any]]:
    ids = list(db.scalars(select(XapiOutboxRow.scorecard_id).where(XapiOutboxRow.batch_id == batch.id)))
    builder = StatementBuilder(home)
    return list(builder.all_statements(attempts(db, ExportScope(org_id=batch.org_id), ids)))


def xapi_deliver(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one batch; on failure record the try (and ``dead`` on the last one) and raise for a retry."""
    batch_id = payload.get("batch_id")
    if not isinstance(batch_id, int) or isinstance(batch_id, bool):
        raise PermanentError("payload: batch_id must be a number")
    settings = _settings(ctx)
    config = lrs_config(settings)
    with ctx.database.read() as s:
        batch = s.get(XapiBatchRow, batch_id)
        if batch is None:
            raise PermanentError(f"no xAPI batch {batch_id}")
        if batch.status == "sent":
            return {"batch": batch_id, "already_sent": True}
        statements = statements_of(s, batch, settings.public_url) if config is not None else []
    if config is None:
        _record(ctx.database, batch_id, "no LRS is configured (SPARRING_XAPI_LRS_URL)", dead=True)
        raise PermanentError("no LRS is configured (SPARRING_XAPI_LRS_URL)")
    try:
        sent = send(config, statements)
    except LrsError as exc:
        _record(ctx.database, batch_id, str(exc), dead=ctx.attempt >= ctx.max_attempts)
        raise
    with ctx.database.session() as s:
        row = s.get(XapiBatchRow, batch_id)
        if row is not None:
            row.status, row.statements, row.last_error = "sent", len(statements), None
            row.tries += 1
            row.sent_at = row.updated_at = utcnow()
    return {"batch": batch_id, "statements": len(statements), "accepted": sent.accepted, "already": sent.already}


def _record(database: Database, batch_id: int, error: str, dead: bool) -> None:
    with database.session() as s:
        row = s.get(XapiBatchRow, batch_id)
        if row is None:
            return
        row.tries += 1
        row.last_error, row.updated_at = error[:2000], utcnow()
        if dead:
            row.status = "dead"


# ---- what admins see and do ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchView:
    id: int
    status: str
    attempts: int
    statements: int
    tries: int
    retries: int
    last_error: str | None
    job_id: int | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class DeliveryOverview:
    configured: bool
    lrs_url: str | None
    dead: list[BatchView]
    queued: list[BatchView]
    recent: list[BatchView]
    sent_batches: int
    #: scored attempts not in any batch yet
    waiting: int


def _view(b: XapiBatchRow) -> BatchView:
    return BatchView(b.id, b.status, b.attempts_count, b.statements, b.tries, b.retries, b.last_error, b.job_id,
                     b.created_at, b.updated_at, b.sent_at)


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise InvalidInput("only admins may look at xAPI deliveries")


def overview(db: Session, settings: Settings, viewer: Viewer, limit: int = 50) -> DeliveryOverview:
    """The admin's organisation's deliveries: dead batches, queued ones, the latest sent, and what waits."""
    _require_admin(viewer)
    org = XapiBatchRow.org_id == viewer.org_id

    def listed(status: str) -> list[BatchView]:
        order = XapiBatchRow.id.desc() if status == "sent" else XapiBatchRow.id
        return [_view(b) for b in db.scalars(select(XapiBatchRow).where(org, XapiBatchRow.status == status)
                                             .order_by(order).limit(limit))]

    sent_batches = db.scalar(select(func.count()).select_from(XapiBatchRow).where(org, XapiBatchRow.status == "sent"))
    waiting = db.scalar(select(func.count()).select_from(Rep).where(
        Rep.org_id == viewer.org_id, Rep.scorecard_id.is_not(None),
        ~exists().where(XapiOutboxRow.scorecard_id == Rep.scorecard_id)))
    config = lrs_config(settings)
    return DeliveryOverview(configured=config is not None, lrs_url=config.statements_url if config else None,
                            dead=listed("dead"), queued=listed("queued"), recent=listed("sent"),
                            sent_batches=int(sent_batches or 0), waiting=int(waiting or 0))


def retry(database: Database, queue: JobQueue, viewer: Viewer, batch_id: int) -> Job:
    """Send a dead batch again: a fresh round of tries in a new job."""
    _require_admin(viewer)
    with database.session() as s:
        row = s.get(XapiBatchRow, batch_id)
        if row is None or row.org_id != viewer.org_id:
            raise NotFound(f"unknown xAPI delivery {batch_id}")
        if row.status != "dead":
            raise Conflict(f"xAPI delivery {batch_id} is {row.status}, not failed")
        row.status, row.tries, row.updated_at = "queued", 0, utcnow()
        row.retries += 1
        key, org_id = _key(row), row.org_id
    try:
        job = queue.enqueue(DELIVER, {"batch_id": batch_id}, idempotency_key=key, org_id=org_id)
    except JobError as exc:
        raise Conflict(str(exc)) from exc
    with database.session() as s:
        row = s.get(XapiBatchRow, batch_id)
        if row is not None:
            row.job_id = job.id
    return job


def register(registry: TaskRegistry) -> None:
    """The xAPI tasks: the periodic sweep and the delivery of one batch."""
    registry.task(SWEEP, max_attempts=3, every=EVERY)(xapi_sweep)
    registry.task(DELIVER, max_attempts=MAX_ATTEMPTS, retry_base=RETRY_BASE, retry_cap=RETRY_CAP)(xapi_deliver)
