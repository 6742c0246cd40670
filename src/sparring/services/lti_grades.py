"""LTI 1.3 Assignment and Grade Services score passback (docs/lti.md, "Grades"); the roster sync is
``services.lti_roster``, whose task is registered here too.

**Grades.** A rep started by a launch whose id_token carried an AGS line item (``lti_launches.lineitem_url``, with
the ``score`` scope) reports its score to that line item when it is scored. The practice service publishes
``rep.scored`` (``integrations.events``); after the commit the composition root calls :func:`fan_out`, which
records one ``lti_scores`` row per (launch, scorecard) and queues one ``lti_post_score`` job each (idempotency key
``lti-score:<id>``). The periodic ``lti_sweep`` does the same for what a crash left behind (a scored rep of a
launch without its row) and queues rows whose job is gone; it also deletes login states older than a day. The
job obtains an access token (client credentials, a JWT client assertion signed with the organisation's key) and
POSTs ``{userId, scoreGiven, scoreMaximum: 100, activityProgress: Completed, gradingProgress: FullyGraded,
timestamp}``; on failure it records the try and the job
layer retries with backoff (``MAX_ATTEMPTS``); after the last try the row is ``failed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.orm import Session

from sparring.integrations import lti
from sparring.integrations.events import REP_SCORED
from sparring.integrations.lti_http import HttpConfig, LtiHttpError, access_token, post_score
from sparring.jobs.registry import PermanentError, TaskContext, TaskRegistry
from sparring.services.access import Viewer
from sparring.services.lti_registrations import _own, current_key, http_config
from sparring.store.db import Database
from sparring.store.integration_models import IntegrationEventRow
from sparring.store.lti_models import LtiLaunchRow, LtiLoginStateRow, LtiRegistrationRow, LtiScoreRow
from sparring.store.models import Rep, utcnow
from sparring.store.sealing import UnsealError

if TYPE_CHECKING:
    from sparring.jobs.queue import JobQueue

TASK = "lti_post_score"
SWEEP = "lti_sweep"
MAX_ATTEMPTS = 8
RETRY_BASE = 30.0
RETRY_CAP = 1800.0
#: a row without a job for longer than this is queued by the sweep
SWEEP_AFTER = timedelta(minutes=1)
#: login states are deleted by the sweep after this (they are usable for 10 minutes)
STATES_KEPT = timedelta(days=1)
log = logging.getLogger(__name__)


def _new_scores(s: Session, rep_ids: list[int] | None) -> list[tuple[int, int]]:
    """(score row id, org id) of the scored reps' launches that have no row for the rep's current scorecard yet,
    made now."""
    q = (select(LtiLaunchRow, Rep).join(Rep, Rep.id == LtiLaunchRow.rep_id)
         .where(Rep.scorecard_id.is_not(None), LtiLaunchRow.lineitem_url.is_not(None),
                ~exists().where(and_(LtiScoreRow.launch_id == LtiLaunchRow.id,
                                     LtiScoreRow.scorecard_id == Rep.scorecard_id))))
    if rep_ids is not None:
        q = q.where(Rep.id.in_(rep_ids))
    made: list[tuple[int, int]] = []
    for launch, rep in s.execute(q.limit(1000)).all():
        if lti.SCOPE_SCORE not in (launch.ags_scopes or []):
            continue
        row = LtiScoreRow(launch_id=launch.id, scorecard_id=rep.scorecard_id, score_given=float(rep.overall or 0.0),
                          status="pending", tries=0)
        s.add(row)
        s.flush()
        made.append((row.id, rep.org_id))
    return made


def _enqueue(queue: JobQueue, rows: list[tuple[int, int]]) -> int:
    for score_id, org_id in rows:
        job = queue.enqueue(TASK, {"score_id": score_id}, idempotency_key=f"lti-score:{score_id}", org_id=org_id)
        with queue.database.session() as s:
            row = s.get(LtiScoreRow, score_id)
            if row is not None:
                row.job_id = job.id
    return len(rows)


def fan_out(queue: JobQueue, event_ids: list[str]) -> int:
    """After a commit: the ``rep.scored`` events among ``event_ids`` whose rep came from a launch get their score
    row and delivery job. The number of jobs queued."""
    with queue.database.read() as s:
        rep_ids = [d.get("rep_id") for d in s.scalars(select(IntegrationEventRow.data).where(
            IntegrationEventRow.event_id.in_(event_ids), IntegrationEventRow.type == REP_SCORED))]
    rep_ids = [r for r in rep_ids if isinstance(r, int)]
    if not rep_ids:
        return 0
    with queue.database.read() as s:
        if s.scalar(select(LtiLaunchRow.id).where(LtiLaunchRow.rep_id.in_(rep_ids)).limit(1)) is None:
            return 0
    with queue.database.session() as s:
        rows = _new_scores(s, rep_ids)
    return _enqueue(queue, rows)


def sweep(queue: JobQueue, now: datetime | None = None) -> int:
    """Score rows a crash left behind: made for scored launched reps without one, queued when without a job."""
    with queue.database.session() as s:
        rows = _new_scores(s, None)
    before = (now or utcnow()) - SWEEP_AFTER
    with queue.database.read() as s:
        stray = [(r.id, org) for r, org in s.execute(
            select(LtiScoreRow, LtiRegistrationRow.org_id).join(LtiLaunchRow, LtiLaunchRow.id == LtiScoreRow.launch_id)
            .join(LtiRegistrationRow, LtiRegistrationRow.id == LtiLaunchRow.registration_id)
            .where(LtiScoreRow.status == "pending", LtiScoreRow.job_id.is_(None), LtiScoreRow.created_at < before)
            .limit(1000))]
    return _enqueue(queue, rows + stray)


def purge_states(database: Database, now: datetime | None = None) -> int:
    """Delete login states older than ``STATES_KEPT`` (used or not: after ``STATE_TTL`` none can be used)."""
    before = (now or utcnow()) - STATES_KEPT
    with database.session() as s:
        result = s.execute(delete(LtiLoginStateRow).where(LtiLoginStateRow.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def score_document(user_id: str, score_given: float, when: datetime) -> dict[str, Any]:
    """The AGS score of a scored rep (Sparring's overall, 0–100)."""
    return {"userId": user_id, "scoreGiven": round(max(0.0, min(100.0, score_given)), 2), "scoreMaximum": 100,
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "timestamp": when.astimezone(UTC).isoformat(timespec="milliseconds")}


def _record(database: Database, score_id: int, error: str | None, failed: bool) -> None:
    with database.session() as s:
        row = s.get(LtiScoreRow, score_id)
        if row is None:
            return
        row.tries += 1
        row.last_error = error[:2000] if error else None
        if error is None:
            row.status, row.sent_at = "sent", utcnow()
        elif failed:
            row.status = "failed"


def post(ctx: TaskContext, payload: dict[str, Any], http: HttpConfig) -> dict[str, Any]:
    """Send one score row; a failure is recorded and raised (retried by the job layer)."""
    score_id = payload.get("score_id")
    if isinstance(score_id, bool) or not isinstance(score_id, int):
        raise PermanentError("payload: score_id must be a number")
    with ctx.database.session() as s:
        row = s.get(LtiScoreRow, score_id)
        launch = s.get(LtiLaunchRow, row.launch_id) if row is not None else None
        reg = s.get(LtiRegistrationRow, launch.registration_id) if launch is not None else None
        if row is None or launch is None or reg is None or not launch.lineitem_url:
            raise PermanentError(f"LTI score {score_id} no longer exists (its launch or registration was deleted)")
        if row.status == "sent":
            return {"score_id": score_id, "already_sent": True}
        try:
            key = current_key(s, reg.org_id)
        except UnsealError as exc:
            unreadable: str | None = str(exc)
        else:
            unreadable = None
        document = score_document(launch.sub, row.score_given, row.created_at)
        lineitem, client_id, token_url = launch.lineitem_url, reg.client_id, reg.auth_token_url
    if unreadable is not None:  # no retry can open it: the row fails with the reason, the job is dead-lettered
        log.error("LTI score %s not sent: %s", score_id, unreadable)
        _record(ctx.database, score_id, unreadable, failed=True)
        raise PermanentError(unreadable)
    try:
        token = access_token(http, key, client_id=client_id, token_url=token_url, scopes=[lti.SCOPE_SCORE])
        status = post_score(http, token, lineitem, document)
    except LtiHttpError as exc:
        _record(ctx.database, score_id, str(exc), failed=ctx.attempt >= ctx.max_attempts)
        raise
    _record(ctx.database, score_id, None, failed=False)
    return {"score_id": score_id, "status_code": status}


def _http(ctx: TaskContext, http: HttpConfig | None) -> HttpConfig:
    if http is not None:
        return http
    return http_config(ctx.app.settings) if ctx.app is not None else HttpConfig()


def register(registry: TaskRegistry, http: HttpConfig | None = None) -> None:
    """The passback task and its periodic sweep. ``http`` (tests) overrides the application's outbound policy."""

    @registry.task(TASK, max_attempts=MAX_ATTEMPTS, retry_base=RETRY_BASE, retry_cap=RETRY_CAP)
    def lti_post_score(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
        """POST a launched rep's score to its LTI line item (Assignment and Grade Services)."""
        return post(ctx, payload, _http(ctx, http))

    @registry.task(SWEEP, every=timedelta(minutes=5), max_attempts=1)
    def lti_sweep(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue the LTI scores a crash left behind; delete old login states."""
        if ctx.app is None:
            raise PermanentError("lti_sweep needs the application's job queue (sparring worker, serve)")
        return {"queued": sweep(ctx.app.jobs), "states_purged": purge_states(ctx.database)}

    from sparring.services import lti_roster

    lti_roster.register(registry, http)


# ---- what admins see -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreView:
    id: int
    user: str
    status: str
    score: float
    tries: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def recent_scores(s: Session, viewer: Viewer, registration_id: int, limit: int = 50) -> list[ScoreView]:
    reg = _own(s, viewer, registration_id)
    rows = s.execute(select(LtiScoreRow, LtiLaunchRow.sub).join(LtiLaunchRow, LtiLaunchRow.id == LtiScoreRow.launch_id)
                     .where(LtiLaunchRow.registration_id == reg.id).order_by(LtiScoreRow.id.desc()).limit(limit))
    return [ScoreView(r.id, sub, r.status, r.score_given, r.tries, r.last_error, r.created_at, r.sent_at)
            for r, sub in rows]
