"""Retention (issue 16 item 6; docs/data-ownership.md, "Retention"): how long Sparring keeps conversations and
audio, enforced every night by the ``retention_sweep`` task.

Three installation settings, each off (keep for ever) unless set, in days:

- ``SPARRING_RETENTION_CALL_DAYS`` — imported real calls (the most sensitive: a customer's words) are deleted this
  long after the call (its end, else its start, else when it was imported), with their transcript, scorecards,
  moments, comments and the coaching loops that started from them.
- ``SPARRING_RETENTION_PRACTICE_DAYS`` — practice reps and drills, the same way, counted from when the rep ended
  (a rep still running is never deleted). Their scores go with them: progress only covers what is kept.
- ``SPARRING_RETENTION_AUDIO_DAYS`` — audio files: kept recordings of spoken turns (``voice/…``; the transcript
  stays) and call uploads (``uploads/…``, the files an import read; its calls stay) older than this.

A conversation is deleted as a whole, through the schema's cascades (as erasing a person does); nothing half-
deleted is left if the sweep stops midway, as each batch is one transaction. Aggregates are computed from the rows
that remain.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, select, update

from sparring.jobs import TaskContext, TaskRegistry
from sparring.services.calls import UPLOADS_DIR
from sparring.store.db import Database
from sparring.store.models import ConversationRow, JobRow
from sparring.store.voice_models import SpeechTake

log = logging.getLogger(__name__)

#: conversations deleted per transaction (each cascades to its turns, scorecards, … )
BATCH = 200


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep each kind of data (None: for ever)."""

    call_days: int | None = None
    practice_days: int | None = None
    audio_days: int | None = None

    @property
    def active(self) -> bool:
        return any(d is not None for d in (self.call_days, self.practice_days, self.audio_days))


@dataclass
class RetentionReport:
    calls: int = 0
    practice: int = 0
    recordings: int = 0
    uploads: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "practice": self.practice, "recordings": self.recordings,
                "uploads": self.uploads, "problems": self.problems}


def _delete_conversations(db: Database, where: Any) -> int:
    done = 0
    while True:
        with db.session() as s:
            ids = list(s.scalars(select(ConversationRow.id).where(where).order_by(ConversationRow.id).limit(BATCH)))
            if not ids:
                return done
            s.execute(delete(ConversationRow).where(ConversationRow.id.in_(ids)))
            done += len(ids)


def _inside(data_dir: Path, rel: str) -> Path | None:
    path = (data_dir / rel).resolve()
    return path if data_dir.resolve() in path.parents else None


def sweep(db: Database, data_dir: Path | None, policy: RetentionPolicy, now: datetime | None = None
          ) -> RetentionReport:
    """Delete what is older than the policy keeps (see the module's docstring)."""
    now = now or datetime.now(UTC)
    report = RetentionReport()
    if policy.call_days is not None:
        cutoff = now - timedelta(days=policy.call_days)
        when = func.coalesce(ConversationRow.ended_at, ConversationRow.started_at, ConversationRow.created_at)
        report.calls = _delete_conversations(db, and_(ConversationRow.source == "call", when < cutoff))
    if policy.practice_days is not None:
        cutoff = now - timedelta(days=policy.practice_days)
        report.practice = _delete_conversations(db, and_(ConversationRow.source.in_(("practice", "drill")),
                                                         ConversationRow.ended_at.is_not(None),
                                                         ConversationRow.ended_at < cutoff))
    if policy.audio_days is not None and data_dir is not None:
        cutoff = now - timedelta(days=policy.audio_days)
        _recordings(db, data_dir, cutoff, report)
        _uploads(db, data_dir, cutoff, report)
    if report.calls or report.practice or report.recordings or report.uploads:
        log.info("retention: deleted %s", report.as_dict())
    return report


def _recordings(db: Database, data_dir: Path, cutoff: datetime, report: RetentionReport) -> None:
    with db.session() as s:
        rows = list(s.execute(select(SpeechTake.id, SpeechTake.audio_path).where(
            SpeechTake.audio_path.is_not(None), SpeechTake.created_at < cutoff)))
        for take_id, rel in rows:
            path = _inside(data_dir, rel) if rel else None
            if path is not None:
                path.unlink(missing_ok=True)
            s.execute(update(SpeechTake).where(SpeechTake.id == take_id).values(audio_path=None))
            report.recordings += 1


def _uploads(db: Database, data_dir: Path, cutoff: datetime, report: RetentionReport) -> None:
    """Upload folders older than the cutoff whose import is not still waiting or running."""
    root = data_dir / UPLOADS_DIR
    if not root.is_dir():
        return
    with db.read() as s:
        busy = {str(p.get("upload", "")).split("/")[0] for p in s.scalars(
            select(JobRow.payload).where(JobRow.status.in_(("queued", "running")))) if isinstance(p, dict)}
    for folder in sorted(root.iterdir()):
        try:
            old = datetime.fromtimestamp(folder.stat().st_mtime, UTC) < cutoff
        except OSError:
            continue
        if folder.is_dir() and old and folder.name not in busy:
            shutil.rmtree(folder, ignore_errors=True)
            report.uploads += 1


def policy_of(settings: Any) -> RetentionPolicy:
    return RetentionPolicy(call_days=settings.retention_call_days, practice_days=settings.retention_practice_days,
                           audio_days=settings.retention_audio_days)


def retention_sweep(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The nightly sweep (nothing without a retention setting)."""
    from sparring.settings import get_settings

    settings = ctx.app.settings if ctx.app is not None else get_settings()
    policy = policy_of(settings)
    if not policy.active:
        return {"skipped": "no retention setting"}
    return sweep(ctx.database, Path(settings.data_dir), policy).as_dict()


def register(registry: TaskRegistry) -> None:
    registry.task("retention_sweep", max_attempts=3, cron="40 2 * * *")(retention_sweep)
    from sparring.services import org_export_job  # the organisation export (data ownership too): no entry point

    org_export_job.register(registry)


__all__ = ["RetentionPolicy", "RetentionReport", "policy_of", "register", "retention_sweep", "sweep"]
