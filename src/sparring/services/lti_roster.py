"""LTI 1.3 Names and Role Provisioning: bring a course's roster over (docs/lti.md, "Roster").

:func:`sync_roster` reads the memberships of every course of a registration that launched with an NRPS claim, and
links or creates each active member (as a launch would) in the course's team. It runs as the background job
``lti_sync_roster`` (:func:`queue_roster`, the registration page's **Sync roster**; registered by
``services.lti_grades.register`` with the other LTI tasks), so a course of thousands of members, read page by page
from the platform, never waits inside a web request; :func:`recent_syncs` gives the page the last runs with their
counts or the reason they failed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from sparring.integrations import lti
from sparring.integrations.lti_http import HttpConfig, LtiHttpError, access_token, memberships
from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import PermanentError, TaskContext, TaskRegistry
from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.lti_launch import context_team, join_team, person_for
from sparring.services.lti_registrations import _own, current_key, http_config
from sparring.store.db import Database
from sparring.store.lti_models import LtiContextRow, LtiRegistrationRow
from sparring.store.models import JobRow, User, utcnow
from sparring.store.sealing import UnsealError

TASK = "lti_sync_roster"
#: the runs of a registration's roster sync its page lists
RECENT = 5
log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RosterResult:
    courses: int
    members: int
    created: int
    linked: int
    errors: list[str]


def sync_roster(database: Database, http: HttpConfig, viewer: Viewer, registration_id: int) -> RosterResult:
    """Read the roster of every course of the registration (NRPS) and link or create its active members."""
    with database.read() as s:
        reg = _own(s, viewer, registration_id)
        contexts = [(c.id, c.memberships_url) for c in s.scalars(
            select(LtiContextRow).where(LtiContextRow.registration_id == reg.id,
                                        LtiContextRow.memberships_url.is_not(None)).order_by(LtiContextRow.id))]
        client_id, token_url, org_id = reg.client_id, reg.auth_token_url, reg.org_id
    if not contexts:
        raise InvalidInput("roster: no course has launched Sparring with a roster (Names and Role Provisioning) "
                           "link yet; launch it once from the course")
    try:
        with database.session() as s:
            key = current_key(s, org_id)
    except UnsealError as exc:
        log.error("roster sync of LTI registration %s: %s", registration_id, exc)
        raise InvalidInput(f"roster: {exc}") from None
    members = created = linked = 0
    errors: list[str] = []
    try:
        token = access_token(http, key, client_id=client_id, token_url=token_url, scopes=[lti.SCOPE_NRPS])
    except LtiHttpError as exc:
        raise InvalidInput(f"roster: no access token from the platform ({exc})") from exc
    for context_id, url in contexts:
        assert url is not None
        try:
            people = list(memberships(http, token, url))
        except LtiHttpError as exc:
            errors.append(str(exc))
            continue
        with database.session() as s:
            reg_row = s.get(LtiRegistrationRow, registration_id)
            ctx = s.get(LtiContextRow, context_id)
            if reg_row is None or ctx is None:
                continue
            for m in people:
                sub = m.get("user_id")
                if not isinstance(sub, str) or not sub or m.get("status", "Active") != "Active":
                    continue
                roles = [r for r in m.get("roles", []) if isinstance(r, str)]
                user, new = person_for(s, reg_row, sub=sub, name=m.get("name"), email=m.get("email"), roles=roles)
                join_team(s, ctx.team_id, user)
                members += 1
                created += int(new)
                linked += int(not new)
            ctx.updated_at = utcnow()
            context_team(s, reg_row, {"id": ctx.context_id, "title": ctx.title}, None)
    with database.session() as s:
        audit.record(s, viewer, "lti.roster_synced", "lti_registration", registration_id,
                     {"members": members, "created": created, "errors": len(errors)})
    return RosterResult(len(contexts), members, created, linked, errors)


# ---- as a background job ----------------------------------------------------------------------------------------


def queue_roster(database: Database, queue: JobQueue, viewer: Viewer, registration_id: int) -> Job:
    """Queue the roster sync of the admin's own registration (``NotFound`` for anyone else's)."""
    with database.read() as s:
        _own(s, viewer, registration_id)
    return queue.enqueue(TASK, {"org_id": viewer.org_id, "user_id": viewer.id, "registration_id": registration_id},
                         org_id=viewer.org_id)


def run_roster(ctx: TaskContext, payload: dict[str, Any], http: HttpConfig) -> dict[str, Any]:
    """Payload ``{"org_id", "user_id", "registration_id"}`` → the sync's counts. Run as the admin who asked (their
    organisation, their name in the audit log); a sync that cannot start (no roster link yet, a key that cannot be
    read, no token from the platform) fails once with the reason, without retries."""
    with ctx.database.read() as s:
        user = s.get(User, int(payload["user_id"]))
        if user is None or user.org_id != payload.get("org_id") or user.role != "admin":
            raise PermanentError("the admin who asked for this roster sync is no longer an admin of the organisation")
        viewer = Viewer.of(user)
    try:
        result = sync_roster(ctx.database, http, viewer, int(payload["registration_id"]))
    except (InvalidInput, NotFound) as exc:
        raise PermanentError(str(exc)) from exc
    return asdict(result)


def recent_syncs(database: Database, viewer: Viewer, registration_id: int, limit: int = RECENT) -> list[JobRow]:
    """The latest roster syncs of the admin's registration, newest first (queued, running, done or failed)."""
    with database.read() as s:
        rows = s.scalars(select(JobRow).where(JobRow.task == TASK, JobRow.org_id == viewer.org_id)
                         .order_by(JobRow.id.desc()).limit(200))
        found = [r for r in rows if r.payload.get("registration_id") == registration_id]
        for row in found[:limit]:
            s.expunge(row)
        return found[:limit]


def register(registry: TaskRegistry, http: HttpConfig | None = None) -> None:
    """The roster task; ``http`` (tests) overrides the application's outbound policy."""

    @registry.task(TASK, max_attempts=1, description="bring an LTI platform's course rosters over (NRPS)")
    def lti_sync_roster(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
        chosen = http or (http_config(ctx.app.settings) if ctx.app is not None else HttpConfig())
        return run_roster(ctx, payload, chosen)
