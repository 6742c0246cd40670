"""Integration events: what other systems hear about (docs/integrations.md, "Events").

A service reports a change with one line, ``publish(db, org_id, REP_SCORED, {...})``, in the transaction that makes
the change: the event is a row of the outbox ``integration_events`` and is committed with the data, or not at all
(a rolled-back change publishes nothing, and a crash after the commit loses nothing). After the commit the
composition root fans each new event out to the organisation's integrations — today the webhook endpoints
(``sparring.services.webhooks``) — through the job layer; a periodic sweep fans out what a crash left behind.
No integration is ever called inside the request that made the change.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparring.store.db import Database
from sparring.store.integration_models import IntegrationEventRow

log = logging.getLogger(__name__)

REP_SCORED = "rep.scored"
ASSIGNMENT_SUBMITTED = "assignment.submitted"
LOOP_CLOSED = "loop.closed"
PROGRAM_COMPLETED = "program.completed"
#: the test event of the admin page's "Send test event" button (sent to one endpoint only)
PING = "ping"
#: the event types an integration can subscribe to, in the order the admin page lists them
EVENT_TYPES = (REP_SCORED, ASSIGNMENT_SUBMITTED, LOOP_CLOSED, PROGRAM_COMPLETED)
DESCRIPTIONS = {
    REP_SCORED: "a practice rep was scored (also a re-score)",
    ASSIGNMENT_SUBMITTED: "a learner submitted their best rep of an assignment",
    LOOP_CLOSED: "a coaching loop was closed by the rep's next call",
    PROGRAM_COMPLETED: "a learner reached a program's target",
}

#: ``Session.info`` key of the event ids a session published (read after its commit)
_PENDING = "sparring.integration_events"


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def publish(db: Session, org_id: int, type: str, data: dict[str, Any], *, dedupe_key: str | None = None
            ) -> str | None:
    """Record the event ``type`` of organisation ``org_id`` with ``data`` (a JSON object) in the transaction of
    ``db``; return its id. With a ``dedupe_key`` an event already published under that key is not published again
    (None is returned)."""
    if type not in EVENT_TYPES and type != PING:
        raise ValueError(f"unknown event type {type!r} (known: {', '.join(EVENT_TYPES)})")
    if dedupe_key is not None and db.scalar(
            select(IntegrationEventRow.id).where(IntegrationEventRow.dedupe_key == dedupe_key)) is not None:
        return None
    row = IntegrationEventRow(event_id=new_event_id(), org_id=org_id, type=type, data=data, dedupe_key=dedupe_key)
    if dedupe_key is None:
        db.add(row)
        db.flush()
    else:  # another transaction may publish the same key at the same moment: it wins, this change still commits
        try:
            with db.begin_nested():
                db.add(row)
        except IntegrityError:
            return None
    db.info.setdefault(_PENDING, []).append(row.event_id)
    return row.event_id


def after_commit(database: Database, fan_out: Callable[[list[str]], None]) -> None:
    """Call ``fan_out(event ids)`` after each commit of a ``database`` session that published events (the
    composition root passes the webhook fan-out). One fan-out per database: a later call replaces the earlier.
    A failing fan-out is logged, never raised: the change is committed, and the periodic sweep retries it."""
    previous = database.listeners.get("integration_events")
    if previous is not None:
        event.remove(database.sessions, "after_commit", previous[0])
        event.remove(database.sessions, "after_rollback", previous[1])

    def committed(session: Session) -> None:
        ids = session.info.pop(_PENDING, None)
        if not ids:
            return
        try:
            fan_out(list(ids))
        except Exception:  # the events are stored: the sweep picks them up
            log.exception("fanning out integration events %s failed; the periodic sweep will retry", ids)

    def rolled_back(session: Session) -> None:
        session.info.pop(_PENDING, None)

    event.listen(database.sessions, "after_commit", committed)
    event.listen(database.sessions, "after_rollback", rolled_back)
    database.listeners["integration_events"] = (committed, rolled_back)
