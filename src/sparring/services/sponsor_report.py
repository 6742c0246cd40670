"""The sponsor report of a program, as a viewer may see it (docs/programs.md, "The sponsor report").

``sponsor_report`` finds the program (``services.programs``' access rules: a manager sees their teams' learners
only), counts each learner's reps with ``program_progress`` and hands the program's cohort (its enrolled learners,
its dates, its scenarios) to ``reports.sponsor``. ``render_report`` is the background task that writes the file
under the data directory (``reports/program-<id>-<job>.<html|pdf>``); the program page queues it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.registry import JobError, TaskContext, TaskRegistry
from sparring.reports import sponsor
from sparring.services.access import Viewer
from sparring.services.errors import NotFound
from sparring.services.program_progress import program_progress
from sparring.services.programs import visible_program_row
from sparring.settings import get_settings
from sparring.store.cohorts import Cohort
from sparring.store.db import Database
from sparring.store.models import User, utcnow

TASK = "render_report"
#: the folder under the data directory the job writes reports into
FOLDER = "reports"


def sponsor_report(s: Session, viewer: Viewer | None, program_id: int,
                   now: datetime | None = None) -> sponsor.SponsorReport:
    """The report's numbers for ``viewer`` (None: the operator). NotFound when the viewer may not see the program."""
    when = now or utcnow()
    progress = program_progress(s, viewer, program_id, now=when)
    program = progress.program
    # nobody visible (a manager none of whose learners is enrolled): a cohort of no real user (ids start at 1)
    cohort = Cohort.of(program.org_id, [learner.user_id for learner in progress.learners] or [0],
                       start=datetime.combine(program.start_on, time(0), tzinfo=UTC),
                       end=datetime.combine(program.end_on + timedelta(days=1), time(0), tzinfo=UTC),
                       scenario_ids=tuple(sorted(program.plan.scenario_ids())) or None)
    return sponsor.build(s, cohort, program=program.name, description=program.description,
                         start_on=program.start_on, end_on=program.end_on, target_min=program.target_min,
                         target=program.target_label,
                         reps_by_learner={learner.name: learner.reps for learner in progress.learners},
                         generated_at=when)


def report_path(data_dir: Path, program_id: int, job_id: int, fmt: str) -> Path:
    return data_dir / FOLDER / f"program-{program_id}-{job_id}.{fmt}"


def render_report(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, object]:
    """Payload ``{"program_id": N, "format": "html"|"pdf", "user_id": M}`` (``user_id``: whose view; absent: the
    operator's) → ``{"path": ..., "format": ...}`` relative to the data directory."""
    fmt = str(payload.get("format", "pdf"))
    if fmt not in ("html", "pdf"):
        raise ValueError(f"format: html or pdf, not {fmt!r}")
    program_id = int(payload["program_id"])
    settings = ctx.app.settings if ctx.app is not None else get_settings()
    with ctx.database.read() as s:
        viewer = None
        if payload.get("user_id") is not None:
            user = s.get(User, int(payload["user_id"]))
            if user is None:
                raise NotFound(f"user_id: no user {payload['user_id']}")
            viewer = Viewer.of(user)
        report = sponsor_report(s, viewer, program_id)
    out = report_path(Path(settings.data_dir), program_id, ctx.job_id, fmt)
    sponsor.write(report, out)
    return {"path": str(out.relative_to(settings.data_dir)), "format": fmt}


def queue_report(database: Database, queue: JobQueue, viewer: Viewer, program_id: int, fmt: str = "pdf") -> Job:
    """Queue ``render_report`` for ``viewer`` (NotFound when they may not see the program). The check reads in a
    session of its own that is closed before the queue writes (SQLite has one writer)."""
    if fmt not in ("html", "pdf"):
        raise NotFound(f"format: html or pdf, not {fmt[:20]!r}")
    with database.read() as s:
        row = visible_program_row(s, viewer, program_id)
        found, org_id = row.id, row.org_id
    return queue.enqueue(TASK, {"program_id": found, "format": fmt, "user_id": viewer.id}, org_id=org_id)


def report_job(queue: JobQueue, viewer: Viewer, program_id: int, job_id: int) -> Job:
    """The report job ``job_id`` of ``program_id`` that ``viewer`` queued (NotFound for anyone else's)."""
    try:
        job = queue.get(job_id)
    except JobError as exc:
        raise NotFound("no such report") from exc
    if (job.task != TASK or job.payload.get("program_id") != program_id
            or job.payload.get("user_id") != viewer.id):
        raise NotFound("no such report")
    return job


def register(registry: TaskRegistry) -> None:
    registry.task(TASK, max_attempts=1, description="write a program's sponsor report (HTML or PDF)")(render_report)
