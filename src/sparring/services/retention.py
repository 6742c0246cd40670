"""Retention (issue 16 item 6; docs/data-ownership.md, "Retention"): how long Sparring keeps conversations and
audio, enforced every night by the ``retention_sweep`` task, per organisation.

Three kinds of period, each off (keep for ever) unless set, in days:

- calls — imported real calls (the most sensitive: a customer's words) are deleted this long after the call (its
  end, else its start, else when it was imported), with their transcript, scorecards, moments, comments and the
  coaching loops that started from them.
- practice — practice reps and drills, the same way, counted from when the rep ended (a rep still running is never
  deleted). Their scores go with them: progress only covers what is kept.
- audio — audio files: kept recordings of spoken turns (``voice/…``; the transcript stays) and call uploads
  (``uploads/…``, the files an import read; its calls stay) older than this.

Two sources, one rule. The installation's settings (``SPARRING_RETENTION_CALL_DAYS``, ``…_PRACTICE_DAYS``,
``…_AUDIO_DAYS``) are the operator's **ceiling and default**; an organisation may set its own periods
(``org_retention``, ``services.org_retention``), and the period applied to its data is the shorter of its own and
the installation's (``RetentionPolicy.within``): an organisation may keep less, never more. Unset on both: kept for
ever. An organisation that turned the keeping of recordings off has its kept recordings deleted whatever their age
(``drop_recordings``; the transcripts stay).

A conversation is deleted as a whole, through the schema's cascades (as erasing a person does); nothing half-
deleted is left if the sweep stops midway, as each batch is one transaction. Aggregates are computed from the rows
that remain.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, true, update

from sparring.jobs import TaskContext, TaskRegistry
from sparring.services.calls import TASK as IMPORT_TASK
from sparring.services.calls import UPLOADS_DIR
from sparring.store.db import Database
from sparring.store.models import ConversationRow, JobRow, Organisation
from sparring.store.retention_models import OrgRetentionRow
from sparring.store.voice_models import SpeechTake

log = logging.getLogger(__name__)

#: conversations deleted per transaction (each cascades to its turns, scorecards, … )
BATCH = 200
#: the counts of a report, per organisation and in total
COUNTS = ("calls", "practice", "recordings", "uploads")


def shorter(own: int | None, ceiling: int | None) -> int | None:
    """The shorter of two periods (None: no period, kept for ever)."""
    if own is None:
        return ceiling
    return own if ceiling is None else min(own, ceiling)


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep each kind of data (None: for ever); ``drop_recordings``: delete every kept recording of
    spoken turns, whatever its age (an organisation that turned keeping recordings off)."""

    call_days: int | None = None
    practice_days: int | None = None
    audio_days: int | None = None
    drop_recordings: bool = False

    @property
    def active(self) -> bool:
        return self.drop_recordings or any(d is not None for d in (self.call_days, self.practice_days,
                                                                    self.audio_days))

    def within(self, ceiling: RetentionPolicy) -> RetentionPolicy:
        """This (an organisation's own) policy held to the installation's ``ceiling``: each period is the shorter
        of the two."""
        return RetentionPolicy(call_days=shorter(self.call_days, ceiling.call_days),
                               practice_days=shorter(self.practice_days, ceiling.practice_days),
                               audio_days=shorter(self.audio_days, ceiling.audio_days),
                               drop_recordings=self.drop_recordings or ceiling.drop_recordings)


@dataclass
class RetentionReport:
    calls: int = 0
    practice: int = 0
    recordings: int = 0
    uploads: int = 0
    problems: list[str] = field(default_factory=list)
    #: per organisation (slug → its counts), for the organisations whose policy deleted something
    organisations: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, org: str | None, kind: str, n: int) -> None:
        """Add ``n`` to the total of ``kind`` and to organisation ``org``'s."""
        if not n:
            return
        setattr(self, kind, getattr(self, kind) + n)
        if org is not None:
            counts = self.organisations.setdefault(org, dict.fromkeys(COUNTS, 0))
            counts[kind] += n

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "practice": self.practice, "recordings": self.recordings,
                "uploads": self.uploads, "problems": self.problems, "organisations": self.organisations}


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


def org_policies(db: Database, ceiling: RetentionPolicy) -> dict[int, tuple[str, RetentionPolicy]]:
    """Every organisation's effective policy (id → (slug, policy)): its own held to the installation's ``ceiling``,
    or the ceiling itself when it set nothing."""
    with db.read() as s:
        rows = s.execute(select(Organisation.id, Organisation.slug, OrgRetentionRow)
                         .outerjoin(OrgRetentionRow, OrgRetentionRow.org_id == Organisation.id)
                         .order_by(Organisation.id))
        out: dict[int, tuple[str, RetentionPolicy]] = {}
        for org_id, slug, own in rows:
            policy = ceiling if own is None else RetentionPolicy(
                call_days=own.call_days, practice_days=own.practice_days, audio_days=own.audio_days,
                drop_recordings=not own.keep_audio).within(ceiling)
            out[org_id] = (slug, policy)
        return out


def sweep(db: Database, data_dir: Path | None, policy: RetentionPolicy, now: datetime | None = None
          ) -> RetentionReport:
    """Delete what is older than ``policy`` keeps, in every organisation alike (see the module's docstring)."""
    now = now or datetime.now(UTC)
    report = RetentionReport()
    _sweep_org(db, data_dir, policy, now, report, None, None)
    if policy.audio_days is not None and data_dir is not None:
        _uploads(db, data_dir, lambda _org: policy.audio_days, now, report, {})
    _log(report)
    return report


def sweep_orgs(db: Database, data_dir: Path | None, ceiling: RetentionPolicy, now: datetime | None = None
               ) -> RetentionReport:
    """The nightly sweep: each organisation's data by its effective policy (``org_policies``), counted per
    organisation; an upload whose organisation is unknown by the installation's audio setting."""
    now = now or datetime.now(UTC)
    report = RetentionReport()
    policies = org_policies(db, ceiling)
    for org_id, (slug, policy) in policies.items():
        if policy.active:
            _sweep_org(db, data_dir, policy, now, report, org_id, slug)
    if data_dir is not None and (ceiling.audio_days is not None
                                 or any(p.audio_days is not None for _, p in policies.values())):
        slugs = {org_id: slug for org_id, (slug, _) in policies.items()}

        def days(org_id: int | None) -> int | None:
            return ceiling.audio_days if org_id not in policies else policies[org_id][1].audio_days

        _uploads(db, data_dir, days, now, report, slugs)
    _log(report)
    return report


def _log(report: RetentionReport) -> None:
    if any(getattr(report, kind) for kind in COUNTS):
        log.info("retention: deleted %s", report.as_dict())


def _sweep_org(db: Database, data_dir: Path | None, policy: RetentionPolicy, now: datetime, report: RetentionReport,
               org_id: int | None, slug: str | None) -> None:
    """Calls, practice and recordings of organisation ``org_id`` (None: of every organisation) by ``policy``."""
    mine = ConversationRow.org_id == org_id if org_id is not None else true()
    if policy.call_days is not None:
        cutoff = now - timedelta(days=policy.call_days)
        when = func.coalesce(ConversationRow.ended_at, ConversationRow.started_at, ConversationRow.created_at)
        report.count(slug, "calls", _delete_conversations(db, and_(mine, ConversationRow.source == "call",
                                                                   when < cutoff)))
    if policy.practice_days is not None:
        cutoff = now - timedelta(days=policy.practice_days)
        report.count(slug, "practice", _delete_conversations(db, and_(
            mine, ConversationRow.source.in_(("practice", "drill")), ConversationRow.ended_at.is_not(None),
            ConversationRow.ended_at < cutoff)))
    if data_dir is not None and (policy.drop_recordings or policy.audio_days is not None):
        cutoff = now if policy.drop_recordings else now - timedelta(days=policy.audio_days or 0)
        report.count(slug, "recordings", _recordings(db, data_dir, cutoff, org_id, everything=policy.drop_recordings,
                                                     problems=report.problems))


def _recordings(db: Database, data_dir: Path, cutoff: datetime, org_id: int | None, *, everything: bool,
                problems: list[str] | None = None) -> int:
    """Kept recordings older than ``cutoff`` (all of them with ``everything``) lose their file; the take stays. A
    file that cannot be deleted (permissions, a read-only disk) keeps its take's path, so the next sweep tries it
    again, and is named in ``problems`` and the log; the rest of the sweep goes on."""
    where: list[ColumnElement[bool]] = [SpeechTake.audio_path.is_not(None)]
    if not everything:
        where.append(SpeechTake.created_at < cutoff)
    if org_id is not None:
        where.append(exists().where(ConversationRow.id == SpeechTake.conversation_id,
                                    ConversationRow.org_id == org_id))
    done = 0
    with db.session() as s:
        for take_id, rel in list(s.execute(select(SpeechTake.id, SpeechTake.audio_path).where(*where))):
            path = _inside(data_dir, rel) if rel else None
            if path is not None:
                try:
                    path.unlink(missing_ok=True)
                except OSError as exc:
                    _problem(problems, f"recording {rel}: cannot be deleted ({exc.strerror or exc}); kept, "
                                       "tried again at the next sweep")
                    continue
            s.execute(update(SpeechTake).where(SpeechTake.id == take_id).values(audio_path=None))
            done += 1
    return done


def _upload_owners(db: Database, folders: list[Path]) -> tuple[dict[str, int], set[str]]:
    """Whose each upload folder is (folder name → organisation id, from the import job that read it, else from the
    calls it stored), and the folders whose import is still waiting or running."""
    owners: dict[str, int] = {}
    busy: set[str] = set()
    with db.read() as s:
        for org_id, payload, status in s.execute(select(JobRow.org_id, JobRow.payload, JobRow.status).where(
                or_(JobRow.task == IMPORT_TASK, JobRow.status.in_(("queued", "running"))))):
            name = str(payload.get("upload", "")).split("/")[0] if isinstance(payload, dict) else ""
            if not name:
                continue
            if status in ("queued", "running"):
                busy.add(name)
            if org_id is not None:
                owners.setdefault(name, org_id)
        called: dict[str, list[int]] = {}
        for folder in folders:
            if folder.name in owners:
                continue
            try:
                doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
                ids = [int(r["conversation_id"]) for r in doc.get("results", []) if r.get("conversation_id")]
            except (OSError, ValueError, TypeError, KeyError, AttributeError):
                continue
            if ids:
                called[folder.name] = ids
        wanted = {i for ids in called.values() for i in ids}
        orgs = dict(s.execute(select(ConversationRow.id, ConversationRow.org_id).where(
            ConversationRow.id.in_(wanted)))) if wanted else {}
        for name, ids in called.items():
            found = next((orgs[i] for i in ids if i in orgs), None)
            if found is not None:
                owners[name] = found
    return owners, busy


def _uploads(db: Database, data_dir: Path, days_of: Callable[[int | None], int | None], now: datetime,
             report: RetentionReport, slugs: dict[int, str]) -> None:
    """Upload folders older than their organisation's audio period (``days_of(org id or None)``) whose import is
    not still waiting or running."""
    root = data_dir / UPLOADS_DIR
    if not root.is_dir():
        return
    folders = sorted(f for f in root.iterdir() if f.is_dir())
    owners, busy = _upload_owners(db, folders)
    for folder in folders:
        org_id = owners.get(folder.name)
        days = days_of(org_id)
        if days is None or folder.name in busy:
            continue
        try:
            old = datetime.fromtimestamp(folder.stat().st_mtime, UTC) < now - timedelta(days=days)
        except OSError:
            continue
        if old:
            shutil.rmtree(folder, ignore_errors=True)
            if folder.exists():  # not (entirely) removed: say so rather than count it as deleted
                _problem(report.problems, f"upload folder {UPLOADS_DIR}/{folder.name}: could not be deleted "
                                          "entirely; tried again at the next sweep")
                continue
            report.count(slugs.get(org_id) if org_id is not None else None, "uploads", 1)


def _problem(problems: list[str] | None, message: str) -> None:
    log.warning("retention: %s", message)
    if problems is not None:
        problems.append(message)


def policy_of(settings: Any) -> RetentionPolicy:
    """The installation's policy: the ceiling and default of every organisation's."""
    return RetentionPolicy(call_days=settings.retention_call_days, practice_days=settings.retention_practice_days,
                           audio_days=settings.retention_audio_days)


def any_org_policy(db: Database) -> bool:
    """Whether some organisation set a period of its own or turned recordings off."""
    with db.read() as s:
        return s.scalar(select(exists().where(or_(
            OrgRetentionRow.call_days.is_not(None), OrgRetentionRow.practice_days.is_not(None),
            OrgRetentionRow.audio_days.is_not(None), OrgRetentionRow.keep_audio.is_(False))))) or False


def retention_sweep(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The nightly sweep (nothing when neither the installation nor any organisation has a retention setting)."""
    from sparring.settings import get_settings

    settings = ctx.app.settings if ctx.app is not None else get_settings()
    ceiling = policy_of(settings)
    if not ceiling.active and not any_org_policy(ctx.database):
        return {"skipped": "no retention setting"}
    return sweep_orgs(ctx.database, Path(settings.data_dir), ceiling).as_dict()


def register(registry: TaskRegistry) -> None:
    registry.task("retention_sweep", max_attempts=3, cron="40 2 * * *")(retention_sweep)


__all__ = ["RetentionPolicy", "RetentionReport", "any_org_policy", "org_policies", "policy_of", "register",
           "retention_sweep", "shorter", "sweep", "sweep_orgs"]
