"""Re-scoring a stored rep as a background job (``rescore_rep``): the rep's pinned rubric version, scored again
by the scorer this installation uses now (e.g. the LLM judge after a provider was configured). The new scorecard
is added; the rep's current score is the newest one, earlier ones stay in the history.

Enqueued by an admin (``/admin/jobs``) or ``sparring jobs rescore REP_ID``; the practice flow itself does not
change. The task is registered through the ``sparring.tasks`` entry point like a plugin's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparring.inputs import is_db_id
from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import PermanentError, TaskContext, TaskRegistry
from sparring.services.errors import Conflict, EngineFailed, NotFound
from sparring.store.models import Rep

if TYPE_CHECKING:
    from sparring.services.practice import PracticeService

TASK = "rescore_rep"


def _practice(ctx: TaskContext) -> PracticeService:
    """The practice service of the application running the job (its engines), over the job's database."""
    from sparring.services.practice import PracticeService

    if ctx.app is None:
        raise PermanentError("rescore_rep needs the application's scorer: run it from a queue built by "
                             "sparring.root.Sparring (sparring worker, sparring serve)")
    app = ctx.app
    return PracticeService(ctx.database, persona=lambda: app.persona, scorer=lambda: app.scorer)


def rescore_rep(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Score an ended rep again and store the new scorecard."""

    rep_id = payload.get("rep_id")
    if isinstance(rep_id, bool) or not isinstance(rep_id, int) or not is_db_id(rep_id):
        raise PermanentError(f"payload rep_id must be a rep id (got {str(rep_id)[:40]!r})")
    try:
        card = _practice(ctx).score_rep(rep_id)
    except (NotFound, Conflict) as exc:  # deleted, or not ended: trying again cannot help
        raise PermanentError(str(exc)) from exc
    except EngineFailed:  # a provider timeout or outage: worth another attempt
        raise
    return {"rep_id": rep_id, "overall": card.overall, "passed": card.passed, "engine": card.engine}


def enqueue_rescore(queue: JobQueue, org_id: int, rep_id: int) -> Job:
    """Queue a re-score of ``rep_id``, which must be an ended rep of organisation ``org_id``."""
    if not is_db_id(rep_id):
        raise NotFound(f"unknown rep {str(rep_id)[:25]}")
    with queue.database.read() as s:
        rep = s.get(Rep, rep_id)
        if rep is None or rep.org_id != org_id:
            raise NotFound(f"unknown rep {rep_id}")
        if rep.outcome == "in_progress":
            raise Conflict(f"rep {rep_id} is still in progress; only ended reps can be re-scored")
    return queue.enqueue(TASK, {"rep_id": rep_id}, org_id=org_id)


def register(registry: TaskRegistry) -> None:
    registry.task(TASK, max_attempts=3, retry_base=5.0)(rescore_rep)
