"""Importing real calls: files, folders or zips → conversations of source ``call``, scored and stored in the rep's
history (docs/calls.md; issue 13 items 1 and 2). Also the ``import_call`` job task, which imports one stored upload
in the background (docs/jobs.md).

Each file is all-or-nothing and independent of the others: it is read, its roles decided, routed to a rubric
(``sparring.review.routing``), scored, and only then stored, in one transaction (``store_call``). A file that fails
at any step stores nothing and is reported with its error; the other files are still imported. One
``CallResult`` per file: ``{"file", "ok", "conversation_id", "error"}`` (CONTRACT.md, ``sparring call import``).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from sparring.content.errors import ContentError, UnknownContentError
from sparring.content.rubric import Rubric
from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import (
    BUILTIN_FORMATS,
    Formats,
    ImportedConversation,
    Progress,
    parse_transcript_bytes,
)
from sparring.conversation.sources import DEFAULT_ARCHIVE_LIMITS, ZIP_SUFFIX, ArchiveLimits, transcript_sources
from sparring.jobs.registry import PermanentError, TaskContext, TaskRegistry
from sparring.limits import DEFAULT_TRANSCRIPT_LIMITS, TranscriptLimits
from sparring.review.routing import Route, Routing, route_call
from sparring.scoring.scorecard import Scorecard
from sparring.services.content import ContentService
from sparring.services.conversation_store import store_call
from sparring.services.errors import InvalidInput, NotFound, ServiceError
from sparring.services.loops import evaluate_open_loops
from sparring.store.coaching_models import CoachingLoopRow
from sparring.store.db import Database, DatabaseError
from sparring.store.models import User

if TYPE_CHECKING:
    from sparring.jobs.ledger import Job
    from sparring.jobs.queue import JobQueue
    from sparring.scoring.base import Scorer
    from sparring.settings import Settings

log = logging.getLogger(__name__)
TASK = "import_call"
#: where uploads wait for the ``import_call`` task, under the data directory
UPLOADS_DIR = "uploads"


@dataclass
class CallResult:
    """What happened to one file. ``as_json`` is the contract's line; the rest is for readable output."""

    file: str
    ok: bool
    conversation_id: int | None = None
    error: str | None = None
    route: Route | None = None
    overall: float | None = None
    rep: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "ok": self.ok, "conversation_id": self.conversation_id, "error": self.error}


@dataclass
class ReviewedCall:
    """A call read, routed and scored, not stored: what ``sparring call review`` shows and the import stores."""

    conversation: ImportedConversation
    route: Route
    rubric: Rubric
    scorecard: Scorecard


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, TranscriptError | ContentError):
        return "; ".join(str(p) for p in exc.problems[:5])
    if isinstance(exc, UnknownContentError):
        return exc.brief
    return str(exc)


def call_limits(settings: Settings, base: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS) -> TranscriptLimits:
    """``base`` with the audio caps of ``settings`` (``SPARRING_AUDIO_MAX_BYTES`` / ``_SECONDS``), unless ``base``
    lifted them (``--no-limits``)."""
    hints = {"audio_bytes": "SPARRING_AUDIO_MAX_BYTES sets this limit",
             "audio_seconds": "SPARRING_AUDIO_MAX_SECONDS sets this limit", **base.hints}
    return replace(
        base,
        max_audio_bytes=None if base.max_audio_bytes is None else settings.audio_max_bytes,
        max_audio_seconds=None if base.max_audio_seconds is None else settings.audio_max_seconds,
        hints=hints,
    )


def review_call(data: bytes, name: str, *, scorer: Callable[[], Scorer], rubric_for: Callable[[str], Rubric],
                formats: Formats = BUILTIN_FORMATS, routing: Routing | None = None, rep: str | None = None,
                rubric: str | Rubric | None = None,
                limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS,
                progress: Progress | None = None) -> ReviewedCall:
    """Read ``data`` (the file ``name``), route it and score it with ``scorer()`` (built only once the file was
    read); nothing is stored. ``rubric`` (``--rubric``: an id or a loaded rubric) wins over the routing; ids are
    looked up with ``rubric_for``. TranscriptError for a bad
    file, InvalidInput when no turn of the rep is found, UnknownContentError for an unknown rubric. ``progress``
    hears how far a long read (an audio file's transcription) is."""
    conv = parse_transcript_bytes(data, name, rep=rep, source="call", limits=limits, formats=formats,
                                  progress=progress)
    if not conv.by_role("learner"):
        raise InvalidInput(f"{name}: no turns of the rep found; name the rep with --rep NAME")
    given = rubric.id if isinstance(rubric, Rubric) else rubric
    route = route_call(conv, routing, rubric=given)
    chosen = rubric if isinstance(rubric, Rubric) else rubric_for(route.rubric)
    return ReviewedCall(conv, route, chosen, scorer().score(conv, chosen))


class CallImporter:
    """Reads, routes, scores and stores calls for one installation (its database, scorer, formats and routing)."""

    def __init__(self, db: Database, scorer: Callable[[], Scorer], *, formats: Formats = BUILTIN_FORMATS,
                 routing: Routing | None = None, limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS,
                 archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS):
        self.db = db
        self._scorer = scorer
        self.formats = formats
        self.routing = routing or Routing()
        self.limits = limits
        self.archive_limits = archive_limits

    @property
    def scorer(self) -> Scorer:
        """The scorer, built on first use (``scorer`` is a factory: a review of a bad file never loads one)."""
        return self._scorer()

    @property
    def suffixes(self) -> set[str]:
        """The suffixes read from folders and archives: every transcript format's."""
        return set(self.formats.claimants)

    # ---- one call ----------------------------------------------------------------------------------------------
    def org_of(self, user_id: int) -> int:
        """The organisation of ``user_id``; NotFound for an unknown user."""
        with self.db.read() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"unknown user {user_id}")
            return user.org_id

    def rubric(self, ref: str | Rubric, org_id: int | None) -> Rubric:
        """``ref`` as a rubric: a Rubric as is, else an id in the organisation's content (its own and imported
        versions first, then the built-ins)."""
        return ref if isinstance(ref, Rubric) else ContentService(self.db, org_id).get_rubric(ref)

    def review(self, data: bytes, name: str, *, rep: str | None = None, rubric: str | Rubric | None = None,
               org_id: int | None = None, progress: Progress | None = None) -> ReviewedCall:
        """``review_call`` with this importer's scorer, formats, routing and limits, rubric ids looked up in the
        organisation's content."""
        return review_call(data, name, scorer=self._scorer, rubric_for=lambda ref: self.rubric(ref, org_id),
                           formats=self.formats, routing=self.routing, rep=rep, rubric=rubric, limits=self.limits,
                           progress=progress)

    def import_one(self, data: bytes, name: str, user_id: int, *, rep: str | None = None,
                   rubric: str | Rubric | None = None, org_id: int | None = None,
                   progress: Progress | None = None) -> CallResult:
        """Review and store one file; never raises for a problem of the file (the result says it). ``progress``
        hears how far an audio file's transcription is."""
        try:
            org = org_id if org_id is not None else self.org_of(user_id)
            reviewed = self.review(data, name, rep=rep, rubric=rubric, org_id=org, progress=progress)
            conv = reviewed.conversation
            if not conv.title:
                conv.title = PurePath(name).stem or "call"
            cid = store_call(self.db, user_id, conv, scored=(reviewed.rubric, reviewed.scorecard))
            closed = self.close_loops(user_id, cid)
        except (TranscriptError, ContentError, UnknownContentError, ServiceError, DatabaseError) as exc:
            return CallResult(name, False, error=_error_text(exc))
        except Exception as exc:  # a scorer or plugin format that raised: this file fails, the others go on
            return CallResult(name, False, error=f"{type(exc).__name__}: {exc}")
        learner = conv.speakers("learner")
        return CallResult(name, True, cid, route=reviewed.route, overall=reviewed.scorecard.overall,
                          rep=learner[0] if learner else None, notes=[conv.role_note, *conv.notes, *closed])

    def close_loops(self, user_id: int, conversation_id: int) -> list[str]:
        """Close the rep's open coaching loops this stored call is the next call of (``services.loops``); a note per
        loop closed. A failure here never undoes the import: the call is stored, the note says what went wrong."""
        try:
            with self.db.session() as s:
                ids = evaluate_open_loops(s, user_id, conversation_id,
                                          rescore=lambda conv, rubric: self.scorer.score(conv, rubric))
                rows = [s.get(CoachingLoopRow, i) for i in ids]
                return [f"closed coaching loop {r.id} ({r.criterion_id}): {(r.verdict or '').replace('_', ' ')}"
                        for r in rows if r is not None]
        except Exception as exc:  # the call is stored; the loops stay open for the next call
            log.warning("coaching loops of user %s not checked after call %s: %s", user_id, conversation_id, exc)
            return [f"coaching loops not checked: {type(exc).__name__}: {exc}"]

    # ---- many --------------------------------------------------------------------------------------------------
    def import_paths(self, paths: Iterable[Path], user_id: int, *, rep: str | None = None,
                     rubric: str | Rubric | None = None,
                     on_result: Callable[[CallResult], None] | None = None,
                     skip: Callable[[str], CallResult | None] | None = None,
                     progress: Callable[[str, float, str], None] | None = None) -> list[CallResult]:
        """Import every transcript under ``paths`` (files, folders, zips) for ``user_id``: one result per file, in
        order; ``on_result`` sees each as it is done (the CLI prints it at once). ``skip(name)`` may return the
        result of a file imported before (a repeated job), which is then not imported again. ``progress(file,
        fraction, note)`` hears how far the transcription of an audio file is."""
        org = self.org_of(user_id)
        results: list[CallResult] = []
        archive_limits = self.archive_limits
        if self.limits.max_audio_bytes != archive_limits.max_binary_bytes:
            archive_limits = replace(archive_limits, max_binary_bytes=self.limits.max_audio_bytes or 2**62)
        binary = self.formats.binary_suffixes
        for source in transcript_sources(paths, self.suffixes, archive_limits, binary=binary):
            earlier = skip(source.name) if skip is not None else None
            if earlier is not None:
                result = earlier
            elif source.data is None:
                result = CallResult(source.name, False, error=source.error or "cannot read")
            else:
                told = None if progress is None else (lambda f, n, name=source.name: progress(name, f, n))
                result = self.import_one(source.data, source.name, user_id, rep=rep, rubric=rubric, org_id=org,
                                         progress=told)
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results


# ---- uploads and the job task ----------------------------------------------------------------------------------
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def save_upload(data_dir: Path, filename: str, data: bytes) -> str:
    """Keep an uploaded file for the ``import_call`` task; return its upload id (``<token>/<name>``, relative to
    the uploads folder). The name is reduced to safe characters; its suffix picks the format."""
    name = _SAFE_NAME.sub("_", PurePath(filename.replace("\\", "/")).name).strip(" .") or "upload"
    token = secrets.token_hex(12)
    folder = data_dir / UPLOADS_DIR / token
    folder.mkdir(parents=True, exist_ok=False)
    (folder / name[:120]).write_bytes(data)
    return f"{token}/{name[:120]}"


def _upload_path(data_dir: Path, upload: object) -> Path:
    if not isinstance(upload, str) or not re.fullmatch(r"[0-9a-f]{24}/[A-Za-z0-9._ -]{1,120}", upload) \
            or ".." in upload.split("/"):
        raise PermanentError(f"payload upload must be an upload id from save_upload (got {str(upload)[:60]!r})")
    return data_dir / UPLOADS_DIR / upload


def import_call_task(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Import one stored upload (a transcript or a zip of them) for ``payload["user_id"]``; the results are the
    job's result. Each stored file's result is written beside the upload at once, so a repeated run (at-least-once
    delivery, a worker killed halfway through a zip) skips what was stored and never stores a call twice."""
    app = ctx.app
    if app is None:
        raise PermanentError("import_call needs the application's scorer: run it from a queue built by "
                             "sparring.root.Sparring (sparring worker, sparring serve)")
    path = _upload_path(Path(app.settings.data_dir), payload.get("upload"))
    done = path.parent / "results.json"
    earlier: dict[str, dict[str, Any]] = {}
    if done.is_file():
        saved = json.loads(done.read_text(encoding="utf-8"))
        if saved.get("complete"):
            return dict(saved)
        earlier = {r["file"]: r for r in saved.get("results", []) if r.get("ok")}
    if not path.is_file():
        raise PermanentError(f"upload {payload.get('upload')} is not there any more")
    user_id = payload.get("user_id")
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise PermanentError("payload user_id must be a user id")
    rep, rubric = payload.get("rep"), payload.get("rubric")
    if not (rep is None or isinstance(rep, str)) or not (rubric is None or isinstance(rubric, str)):
        raise PermanentError("payload rep and rubric must be strings when given")
    from sparring.review.routing import load_routing

    prefix = str(path.parent) + "/"
    shown: list[CallResult] = []

    def skip(name: str) -> CallResult | None:
        r = earlier.get(name.replace(prefix, "", 1))
        return None if r is None else CallResult(r["file"], True, r["conversation_id"])

    def record(result: CallResult) -> None:  # name the upload as the user called it, not by its folder
        result.file = result.file.replace(prefix, "", 1)
        if result.error:  # a transcript problem starts with the path: show the name, never the server's folders
            result.error = result.error.replace(prefix, "")
        if result.ok and result.conversation_id is not None:
            _summarise(ctx.database, result.conversation_id)
        shown.append(result)
        _write_results(done, shown, complete=False)

    importer = CallImporter(ctx.database, lambda: app.scorer, formats=app.formats, routing=load_routing(app.settings),
                            limits=call_limits(app.settings))

    def progress(name: str, fraction: float, note: str) -> None:  # one file's transcription, as the job's
        ctx.progress(fraction, f"{name.replace(prefix, '', 1)}: {note}")

    try:
        if ctx.org_id is not None and importer.org_of(user_id) != ctx.org_id:
            raise PermanentError(f"user {user_id} is not in organisation {ctx.org_id}, which queued this import")
        importer.import_paths([path], user_id, rep=rep, rubric=rubric, on_result=record, skip=skip,
                              progress=progress)
    except NotFound as exc:
        raise PermanentError(str(exc)) from exc
    return _write_results(done, shown, complete=True)


def _summarise(database: Database, conversation_id: int) -> None:
    """Find the stored call's moments now and keep them (``call_reviews.summary_of``), so its review page opens
    at once. A failure here never fails the import: the page computes them on its first read instead."""
    from sparring.services.call_reviews import summary_of

    try:
        summary_of(database, conversation_id)
    except Exception:
        import logging

        logging.getLogger(__name__).exception("moments of call %s not kept; computed on first read", conversation_id)


def _write_results(path: Path, results: list[CallResult], *, complete: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"results": [r.as_json() for r in results], "ok": sum(r.ok for r in results),
                           "failed": sum(not r.ok for r in results), "complete": complete}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)
    return doc


def enqueue_import(queue: JobQueue, upload: str, user_id: int, org_id: int, *, rep: str | None = None,
                   rubric: str | None = None) -> Job:
    """Queue the import of a saved upload (``save_upload``) for ``user_id`` of ``org_id``; one job per upload."""
    payload: dict[str, Any] = {"upload": upload, "user_id": user_id}
    if rep:
        payload["rep"] = rep
    if rubric:
        payload["rubric"] = rubric
    return queue.enqueue(TASK, payload, idempotency_key=f"{TASK}:{upload}", org_id=org_id)


def register(registry: TaskRegistry) -> None:
    registry.task(TASK, max_attempts=3, retry_base=5.0)(import_call_task)


__all__ = ["TASK", "ZIP_SUFFIX", "CallImporter", "CallResult", "ReviewedCall", "call_limits", "enqueue_import",
           "register", "save_upload"]
