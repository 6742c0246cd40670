"""Tables of the integrations (issue 16; docs/integrations.md): the outbox of integration events (rep scored,
assignment submitted, loop closed, program completed — written in the transaction of the change they report), the
organisations' webhook endpoints and the delivery log of each endpoint.

Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end, so Alembic and
``create_all`` see the tables. Migration: ``0022_webhooks_endpoints``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import Base, JsonDoc, _in, utcnow

DELIVERY_STATUSES = ("pending", "retrying", "delivered", "failed")


class IntegrationEventRow(Base):
    """One event for the integrations to hear about (the outbox). ``event_id`` is the public id (``evt_…``) a
    receiver deduplicates on; ``dedupe_key`` (unique when set) keeps an event that must happen once — a program
    completed by a learner — from being published twice; ``dispatched_at`` is set once the deliveries to the
    organisation's endpoints are recorded (NULL: the periodic sweep still has to fan it out)."""

    __tablename__ = "integration_events"
    __table_args__ = (Index("ix_integration_events_pending", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookEndpointRow(Base):
    """An organisation's webhook endpoint: where to POST (``url``), which event types (``events``, a list), the
    signing secret Sparring generated (shown to the organisation's admins), and whether it is ``active``."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JsonDoc)
    secret: Mapped[str] = mapped_column(Text)  # sealed (store.sealing)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookDeliveryRow(Base):
    """The delivery of one event to one endpoint (its log line): attempts so far, the last HTTP status or error,
    when it was tried and delivered; ``status`` pending → delivered, or retrying → … → failed. ``job_id`` is the job
    that delivers it (a redelivery retries that job)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_row_id", name="uq_webhook_deliveries_endpoint_event"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_row_id: Mapped[int] = mapped_column(ForeignKey("integration_events.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
