"""Outgoing webhooks, the use cases (issue 16 item 3; docs/integrations.md "Webhooks"): an organisation's admins
keep its endpoints (URL, event types, the secret Sparring generated, on/off); each published integration event
(``sparring.integrations.events``) is fanned out to the endpoints subscribed to its type as one delivery row and
one ``deliver_webhook`` job each (idempotency key ``webhook:<endpoint>:<event id>``); the job POSTs the signed
body (``sparring.integrations.webhooks``), records the attempt in the endpoint's delivery log and, on anything but
a 2xx answer, fails so that the job layer retries it with backoff, up to ``webhooks_max_attempts``. A test event
(``ping``) goes to one endpoint; a failed delivery can be sent again.

Everything an admin does is scoped to their organisation: another organisation's endpoint or delivery is "not
found".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.integrations import webhooks as wire
from sparring.integrations.events import EVENT_TYPES, PING, new_event_id
from sparring.jobs.registry import JobError, PermanentError, TaskContext, TaskRegistry
from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.store.db import Database
from sparring.store.integration_models import IntegrationEventRow, WebhookDeliveryRow, WebhookEndpointRow
from sparring.store.models import Organisation, utcnow
from sparring.store.sealing import WEBHOOK_SECRET, UnsealError, seal, unseal

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sparring.jobs.ledger import Job
    from sparring.jobs.queue import JobQueue
    from sparring.settings import Settings

TASK = "deliver_webhook"
SWEEP_TASK = "webhook_sweep"
MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 200
#: how long a published event may wait for its fan-out before the sweep does it (the commit hook normally has)
SWEEP_AFTER = timedelta(minutes=1)
#: how long events and their delivery log are kept (the sweep deletes older ones)
KEEP = timedelta(days=30)


@dataclass(frozen=True)
class WebhookConfig:
    """The installation's webhook settings: which addresses may be called, attempts per delivery, timeout."""

    policy: wire.AddressPolicy = field(default_factory=wire.AddressPolicy)
    max_attempts: int = 8
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        return cls(wire.AddressPolicy.parse(settings.webhooks_addresses, settings.webhooks_allow),
                   settings.webhooks_max_attempts, settings.webhooks_timeout)


class DeliveryFailed(Exception):
    """One attempt of a delivery did not get a 2xx answer (the job layer retries it)."""


# ---- endpoints (admin) -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointView:
    id: int
    url: str
    description: str
    events: list[str]
    secret: str
    active: bool
    created_at: datetime
    delivered: int = 0
    failed: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class DeliveryView:
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None


def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise NotFound("no such page")


def _own_endpoint(s: Session, viewer: Viewer, endpoint_id: int) -> WebhookEndpointRow:
    _admin(viewer)
    row = s.get(WebhookEndpointRow, endpoint_id) if is_db_id(endpoint_id) else None
    if row is None or row.org_id != viewer.org_id:
        raise NotFound(f"no such webhook endpoint {endpoint_id}")
    return row


def _view(row: WebhookEndpointRow, counts: dict[str, int] | None = None) -> EndpointView:
    c = counts or {}
    return EndpointView(row.id, row.url, row.description, list(row.events), _shown_secret(row), row.active,
                        row.created_at, c.get("delivered", 0), c.get("failed", 0),
                        c.get("pending", 0) + c.get("retrying", 0))


def _shown_secret(row: WebhookEndpointRow) -> str:
    """The endpoint's secret for its admins; a secret this installation's keys cannot open says so (rotating it
    makes a new one) instead of breaking the page."""
    try:
        return unseal(row.secret, WEBHOOK_SECRET, row.id)
    except UnsealError as exc:
        return f"(cannot be read: {exc}; rotate the secret to make a new one)"


def _counts(s: Session, endpoint_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {i: {} for i in endpoint_ids}
    if endpoint_ids:
        for ep, status, n in s.execute(select(WebhookDeliveryRow.endpoint_id, WebhookDeliveryRow.status, func.count())
                                       .where(WebhookDeliveryRow.endpoint_id.in_(endpoint_ids))
                                       .group_by(WebhookDeliveryRow.endpoint_id, WebhookDeliveryRow.status)):
            out[ep][status] = int(n)
    return out


def list_endpoints(s: Session, viewer: Viewer) -> list[EndpointView]:
    """The viewer's organisation's endpoints (admins only), oldest first, with their delivery counts."""
    _admin(viewer)
    rows = list(s.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.org_id == viewer.org_id)
                          .order_by(WebhookEndpointRow.id)))
    counts = _counts(s, [r.id for r in rows])
    return [_view(r, counts[r.id]) for r in rows]


def get_endpoint(s: Session, viewer: Viewer, endpoint_id: int) -> EndpointView:
    row = _own_endpoint(s, viewer, endpoint_id)
    return _view(row, _counts(s, [row.id])[row.id])


def _clean(url: str, events: list[str], description: str, policy: wire.AddressPolicy
           ) -> tuple[str, list[str], str]:
    url = (url or "").strip()
    try:
        wire.check_literal(url, policy)
    except wire.WebhookError as exc:
        raise InvalidInput(str(exc)) from exc
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(f"events: unknown event type {unknown[0][:40]!r} (known: {', '.join(EVENT_TYPES)})")
    if not events:
        raise InvalidInput("events: choose at least one event type")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"description: at most {MAX_DESCRIPTION} characters")
    return url, [e for e in EVENT_TYPES if e in events], description


def create_endpoint(s: Session, viewer: Viewer, policy: wire.AddressPolicy, url: str, events: list[str],
                    description: str = "") -> int:
    """Add an endpoint to the viewer's organisation with a fresh secret; return its id."""
    _admin(viewer)
    url, events, description = _clean(url, events, description, policy)
    n = s.scalar(select(func.count()).select_from(WebhookEndpointRow)
                 .where(WebhookEndpointRow.org_id == viewer.org_id)) or 0
    if n >= MAX_ENDPOINTS:
        raise InvalidInput(f"url: an organisation has at most {MAX_ENDPOINTS} webhook endpoints")
    row = WebhookEndpointRow(org_id=viewer.org_id, url=url, description=description, events=events,
                             secret=seal(wire.new_secret(), WEBHOOK_SECRET), active=True, created_by=viewer.id)
    s.add(row)
    s.flush()
    audit.record(s, viewer, "webhook.changed", "webhook", row.id, {"change": "created", "url": url})
    return row.id


def update_endpoint(s: Session, viewer: Viewer, policy: wire.AddressPolicy, endpoint_id: int, url: str,
                    events: list[str], description: str, active: bool) -> None:
    row = _own_endpoint(s, viewer, endpoint_id)
    row.url, row.events, row.description = _clean(url, events, description, policy)
    row.active, row.updated_at = active, utcnow()
    audit.record(s, viewer, "webhook.changed", "webhook", row.id,
                 {"change": "updated", "url": row.url, "active": active})


def rotate_secret(s: Session, viewer: Viewer, endpoint_id: int) -> str:
    """Give the endpoint a new secret (deliveries from now on are signed with it); return it."""
    row = _own_endpoint(s, viewer, endpoint_id)
    secret = wire.new_secret()
    row.secret, row.updated_at = seal(secret, WEBHOOK_SECRET), utcnow()
    audit.record(s, viewer, "webhook.changed", "webhook", row.id, {"change": "secret rotated", "url": row.url})
    return secret


def delete_endpoint(s: Session, viewer: Viewer, endpoint_id: int) -> None:
    """Delete the endpoint and its delivery log (a queued delivery of it then finds nothing to send)."""
    row = _own_endpoint(s, viewer, endpoint_id)
    audit.record(s, viewer, "webhook.changed", "webhook", row.id, {"change": "deleted", "url": row.url})
    s.delete(row)


def deliveries(s: Session, viewer: Viewer, endpoint_id: int, limit: int = 100) -> list[DeliveryView]:
    """The endpoint's delivery log, newest first."""
    row = _own_endpoint(s, viewer, endpoint_id)
    rows = s.scalars(select(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == row.id)
                     .order_by(WebhookDeliveryRow.id.desc()).limit(limit))
    return [DeliveryView(d.id, d.event_id, d.event_type, d.status, d.attempts, d.last_status_code, d.last_error,
                         d.created_at, d.last_attempt_at, d.delivered_at) for d in rows]


# ---- fan-out -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    delivery_id: int
    endpoint_id: int
    event_id: str
    org_id: int


def _delivery(s: Session, endpoint: WebhookEndpointRow, event: IntegrationEventRow) -> _Pending:
    row = s.scalar(select(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint.id,
                                                    WebhookDeliveryRow.event_row_id == event.id))
    if row is None:
        row = WebhookDeliveryRow(endpoint_id=endpoint.id, event_row_id=event.id, event_id=event.event_id,
                                 event_type=event.type, status="pending", attempts=0)
        s.add(row)
        s.flush()
    return _Pending(row.id, endpoint.id, event.event_id, event.org_id)


def _enqueue(queue: JobQueue, config: WebhookConfig, pending: list[_Pending], suffix: str = "") -> list[Job]:
    jobs = [queue.enqueue(TASK, {"delivery_id": p.delivery_id},
                          idempotency_key=f"webhook:{p.endpoint_id}:{p.event_id}{suffix}",
                          max_attempts=config.max_attempts, org_id=p.org_id) for p in pending]
    if jobs:
        with queue.database.session() as s:
            for p, job in zip(pending, jobs, strict=True):
                row = s.get(WebhookDeliveryRow, p.delivery_id)
                if row is not None:
                    row.job_id = job.id
    return jobs


def fan_out(queue: JobQueue, config: WebhookConfig, event_ids: list[str]) -> list[Job]:
    """Record a delivery for each active endpoint subscribed to each event not fanned out yet, and queue it;
    return the jobs. Repeating it is harmless (a fanned-out event is skipped, job keys are unique)."""
    pending: list[_Pending] = []
    now = utcnow()
    with queue.database.session() as s:
        rows = s.scalars(select(IntegrationEventRow).where(IntegrationEventRow.event_id.in_(event_ids),
                                                           IntegrationEventRow.dispatched_at.is_(None))
                         .order_by(IntegrationEventRow.id).with_for_update()).all()
        for event in rows:
            if event.type != PING:
                for endpoint in s.scalars(select(WebhookEndpointRow).where(
                        WebhookEndpointRow.org_id == event.org_id, WebhookEndpointRow.active.is_(True))
                        .order_by(WebhookEndpointRow.id)).all():
                    if event.type in endpoint.events:
                        pending.append(_delivery(s, endpoint, event))
            event.dispatched_at = now
    return _enqueue(queue, config, pending)


def purge(database: Database, now: datetime | None = None) -> int:
    """Delete the events fanned out more than ``KEEP`` ago with their deliveries; return how many events."""
    before = (now or utcnow()) - KEEP
    with database.session() as s:
        old = list(s.scalars(select(IntegrationEventRow.id).where(IntegrationEventRow.dispatched_at < before)
                             .limit(5000)))
        if old:
            s.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.event_row_id.in_(old)))
            s.execute(delete(IntegrationEventRow).where(IntegrationEventRow.id.in_(old)))
    return len(old)


def sweep(queue: JobQueue, config: WebhookConfig, now: datetime | None = None) -> int:
    """Fan out the events and queue the deliveries that a crash left behind (older than ``SWEEP_AFTER``); return
    how many jobs were queued."""
    before = (now or utcnow()) - SWEEP_AFTER
    with queue.database.read() as s:
        ids = list(s.scalars(select(IntegrationEventRow.event_id).where(
            IntegrationEventRow.dispatched_at.is_(None), IntegrationEventRow.created_at < before).limit(1000)))
        stray = [_Pending(d.id, d.endpoint_id, d.event_id, org) for d, org in s.execute(
            select(WebhookDeliveryRow, WebhookEndpointRow.org_id).join(
                WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .where(WebhookDeliveryRow.job_id.is_(None), WebhookDeliveryRow.created_at < before).limit(1000))]
    return len(fan_out(queue, config, ids)) + len(_enqueue(queue, config, stray))


def send_test(queue: JobQueue, config: WebhookConfig, viewer: Viewer, endpoint_id: int) -> Job:
    """Queue a ``ping`` event to one endpoint of the viewer's organisation (whatever it subscribed to)."""
    with queue.database.session() as s:
        endpoint = _own_endpoint(s, viewer, endpoint_id)
        event = IntegrationEventRow(event_id=new_event_id(), org_id=endpoint.org_id, type=PING,
                                    data={"endpoint_id": endpoint.id, "sent_by": viewer.email,
                                          "message": "A test event from Sparring."}, dispatched_at=utcnow())
        s.add(event)
        s.flush()
        pending = _delivery(s, endpoint, event)
    return _enqueue(queue, config, [pending])[0]


def redeliver(queue: JobQueue, config: WebhookConfig, viewer: Viewer, delivery_id: int) -> Job:
    """Send a failed delivery again (a fresh round of attempts)."""
    _admin(viewer)
    with queue.database.session() as s:
        row = s.get(WebhookDeliveryRow, delivery_id) if is_db_id(delivery_id) else None
        endpoint = s.get(WebhookEndpointRow, row.endpoint_id) if row is not None else None
        if row is None or endpoint is None or endpoint.org_id != viewer.org_id:
            raise NotFound(f"no such delivery {delivery_id}")
        if row.status != "failed":
            raise Conflict(f"delivery {delivery_id} is {row.status}; only a failed delivery is sent again")
        row.status = "pending"
        pending = _Pending(row.id, endpoint.id, row.event_id, endpoint.org_id)
        job_id, attempts = row.job_id, row.attempts
    if job_id is not None:
        try:
            if queue.get(job_id).status == "failed":
                return queue.retry(job_id)
        except JobError:  # purged: queue a new job below
            pass
    return _enqueue(queue, config, [pending], suffix=f":again:{attempts}")[0]


# ---- the delivery job --------------------------------------------------------------------------------------------


def _record(database: Database, delivery_id: int, attempt: wire.Attempt, last: bool) -> None:
    with database.session() as s:
        row = s.get(WebhookDeliveryRow, delivery_id)
        if row is None:
            return
        now = utcnow()
        row.attempts += 1
        row.last_status_code, row.last_error, row.last_attempt_at = attempt.status_code, attempt.error, now
        if attempt.delivered:
            row.status, row.delivered_at = "delivered", now
        else:
            row.status = "failed" if last else "retrying"


def deliver(ctx: TaskContext, payload: dict[str, Any], config: WebhookConfig) -> dict[str, Any]:
    """POST one delivery; a non-2xx answer raises ``DeliveryFailed`` (retried), a refused URL fails at once."""
    delivery_id = payload.get("delivery_id")
    if isinstance(delivery_id, bool) or not isinstance(delivery_id, int) or not is_db_id(delivery_id):
        raise PermanentError(f"payload delivery_id must be a delivery id (got {str(delivery_id)[:40]!r})")
    with ctx.database.read() as s:
        row = s.get(WebhookDeliveryRow, delivery_id)
        endpoint = s.get(WebhookEndpointRow, row.endpoint_id) if row is not None else None
        event = s.get(IntegrationEventRow, row.event_row_id) if row is not None else None
        org = s.get(Organisation, event.org_id) if event is not None else None
        if row is None or endpoint is None or event is None or org is None:
            raise PermanentError(f"delivery {delivery_id} no longer exists (its endpoint was deleted)")
        if row.status == "delivered":
            return {"delivery_id": delivery_id, "status_code": row.last_status_code, "already": True}
        url, active, endpoint_id, unreadable = endpoint.url, endpoint.active, endpoint.id, ""
        try:
            secret: str | None = unseal(endpoint.secret, WEBHOOK_SECRET, endpoint.id)
        except UnsealError as exc:
            secret, unreadable = None, f"the signing secret cannot be read: {exc}; or rotate the endpoint's secret"
        body = wire.event_body(event.event_id, event.type, event.created_at,
                               {"id": org.id, "slug": org.slug, "name": org.name}, dict(event.data))
        event_type = event.type
    if not active:
        _record(ctx.database, delivery_id, wire.Attempt(None, "the endpoint is turned off"), last=True)
        raise PermanentError(f"webhook endpoint {endpoint_id} is turned off")
    if secret is None:  # nothing to sign with, and no retry can open it: failed with the reason, dead-lettered
        log.error("webhook delivery %s not sent: %s", delivery_id, unreadable)
        _record(ctx.database, delivery_id, wire.Attempt(None, unreadable[:500]), last=True)  # the column's size
        raise PermanentError(unreadable)
    headers = {wire.SIGNATURE_HEADER: wire.sign(secret, body), wire.EVENT_HEADER: event_type,
               wire.DELIVERY_HEADER: str(delivery_id)}
    attempt = wire.post(url, body, headers, policy=config.policy, timeout=config.timeout)
    _record(ctx.database, delivery_id, attempt, last=attempt.refused or ctx.attempt >= ctx.max_attempts)
    if attempt.refused:
        raise PermanentError(attempt.error)
    if not attempt.delivered:
        raise DeliveryFailed(attempt.error)
    return {"delivery_id": delivery_id, "status_code": attempt.status_code}


def _config_of(ctx: TaskContext, config: WebhookConfig | None) -> WebhookConfig:
    if config is not None:
        return config
    if ctx.app is not None:
        return WebhookConfig.from_settings(ctx.app.settings)
    return WebhookConfig()


def register(registry: TaskRegistry, config: WebhookConfig | None = None) -> None:
    """The delivery task and the periodic sweep. ``config`` (tests) overrides the running application's settings."""

    @registry.task(TASK, max_attempts=8, retry_base=10.0)
    def deliver_webhook(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
        """POST one webhook delivery, signed; retried with backoff until a 2xx answer."""
        return deliver(ctx, payload, _config_of(ctx, config))

    @registry.task(SWEEP_TASK, every=timedelta(minutes=5), max_attempts=1)
    def webhook_sweep(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
        """Fan out integration events and deliveries that a crash left behind; delete those past ``KEEP``."""
        if ctx.app is None:
            raise PermanentError("webhook_sweep needs the application's job queue (sparring worker, serve)")
        return {"queued": sweep(ctx.app.jobs, _config_of(ctx, config)), "purged": purge(ctx.database)}
