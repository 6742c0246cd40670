"""Calls uploaded in the browser or through ``POST /api/calls`` (docs/calls.md, "In the browser"): who may upload
calls for whom, the checks done before anything is kept, the ``import_call`` jobs, and their progress.

Who: a learner uploads their own calls; a manager their own and those of the learners in their teams; an admin
those of anyone active in their organisation (the people whose calls they may see, ``services.access``). The rep
is either chosen (an account, and optionally the rep's name as the transcript spells it) or *guessed from the
transcript*: the transcript's rep speaker (the same heuristic as ``sparring call import`` without ``--rep``) or,
failing that, any speaker whose name is the name (or the unique first name) of exactly one of those accounts.

Each file is checked before it is kept (size, that a zip is readable, that a guessed rep names one account); a file
that fails is *rejected* with a reason naming it, keeps nothing, and does not stop the others. Every kept file is
one ``import_call`` job (a zip: one job whose results list each call in it). Progress: ``upload_status`` reads the
job and, while it runs, the per-file results the task writes beside the upload.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import BUILTIN_FORMATS, Formats, parse_transcript_bytes
from sparring.conversation.sources import ZIP_SUFFIX
from sparring.limits import MAX_TRANSCRIPT_BYTES
from sparring.services.access import Viewer, visible_user_ids_query
from sparring.services.calls import TASK, UPLOADS_DIR, enqueue_import, save_upload
from sparring.services.errors import InvalidInput, NotFound
from sparring.store.models import User

if TYPE_CHECKING:
    from sparring.jobs.ledger import Job
    from sparring.jobs.queue import JobQueue

#: at most this many files in one upload
MAX_FILES = 50
#: one transcript file (the importer's own cap)
MAX_FILE_BYTES = MAX_TRANSCRIPT_BYTES
#: one zip archive as uploaded (its members are capped by the archive limits when imported)
MAX_ZIP_BYTES = 50_000_000
#: one audio recording (wav, mp3, m4a: transcribed by the ``[asr]`` extra; docs/calls.md, "Audio"). A browser
#: upload is held in memory while it is checked, so this is lower than the command line's audio cap; an hour of
#: stereo wav is larger: compress it (mp3, m4a) or import it with ``sparring call import``
MAX_AUDIO_BYTES = 100_000_000
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a")
#: the whole request; a larger body is refused before it is read
MAX_REQUEST_BYTES = 110_000_000
GUESS = "guess"

#: a job's status as the upload page words it
STATES = {"queued": "queued", "running": "importing", "done": "done", "failed": "failed"}


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str


@dataclass(frozen=True)
class UploadFile:
    """One uploaded file: its name as the browser sent it and its bytes (already read with a cap: ``too_large``
    says it was larger than the cap allows, and ``data`` is then cut)."""

    name: str
    data: bytes
    too_large: bool = False


@dataclass
class UploadOutcome:
    """What an upload did: one job per kept file, and the files rejected (``{"file", "error"}``)."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"jobs": self.jobs, "rejected": self.rejected}


def uploaders_people(db: Session, viewer: Viewer) -> list[Person]:
    """The active accounts whose calls the viewer may upload (see the module docstring), by name."""
    rows = db.execute(select(User.id, User.name, User.email)
                      .where(User.id.in_(visible_user_ids_query(viewer)), User.is_active.is_(True))
                      .order_by(User.name, User.email))
    return [Person(uid, name or email, email) for uid, name, email in rows]


def file_limit(name: str) -> int:
    lower = name.lower()
    if lower.endswith(ZIP_SUFFIX):
        return MAX_ZIP_BYTES
    return MAX_AUDIO_BYTES if lower.endswith(AUDIO_SUFFIXES) else MAX_FILE_BYTES


def _short(name: str) -> str:
    return PurePath(name.replace("\\", "/")).name[:120] or "upload"


def _guess(data: bytes, name: str, people: list[Person], formats: Formats) -> tuple[Person, str]:
    """The account and rep speaker a transcript names (module docstring); InvalidInput saying why not."""
    conv = parse_transcript_bytes(data, name, source="call", formats=formats)
    by_name: dict[str, list[Person]] = {}
    for p in people:
        by_name.setdefault(p.name.casefold(), []).append(p)
        by_name.setdefault(p.name.split()[0].casefold() if p.name.split() else "", []).append(p)

    def match(speaker: str) -> Person | None:
        key = speaker.strip().casefold()
        found = {p.id: p for p in by_name.get(key, [])}
        if not found and key.split():
            found = {p.id: p for p in by_name.get(key.split()[0], [])}
        return next(iter(found.values())) if len(found) == 1 else None

    for speaker in conv.speakers("learner"):
        person = match(speaker)
        if person is not None:
            return person, speaker
    matches: dict[tuple[str, int], Person] = {}
    for speaker in conv.speakers():
        found = match(speaker)
        if found is not None:
            matches[(speaker, found.id)] = found
    if len(matches) == 1:
        (speaker, _), only = next(iter(matches.items()))
        return only, speaker
    said = ", ".join(conv.speakers()[:6]) or "nobody"
    if not matches:
        raise InvalidInput(f"{name}: no speaker ({said}) is one of the people you may upload calls for; "
                           "choose the rep")
    raise InvalidInput(f"{name}: several speakers ({said}) match people you may upload calls for; choose the rep")


def _check(f: UploadFile) -> None:
    limit = file_limit(f.name)
    if f.too_large or len(f.data) > limit:
        kind = {MAX_ZIP_BYTES: "zip", MAX_AUDIO_BYTES: "recording"}.get(limit, "transcript")
        raise InvalidInput(f"{f.name}: too large (at most {limit:,} bytes per {kind})")
    if not f.data:
        raise InvalidInput(f"{f.name}: the file is empty")
    if f.name.lower().endswith(ZIP_SUFFIX) and not zipfile.is_zipfile(BytesIO(f.data)):
        raise InvalidInput(f"{f.name}: not a readable zip archive")


def upload_calls(db: Session, queue: JobQueue, data_dir: Path, viewer: Viewer, files: list[UploadFile], *,
                 rep_user: int | str, rep_name: str | None = None, rubric: str | None = None,
                 formats: Formats = BUILTIN_FORMATS) -> UploadOutcome:
    """Keep each acceptable file and queue its import (module docstring). ``rep_user``: an account id, or
    ``"guess"``; ``rep_name``: the rep as the transcript names them (chosen account only). InvalidInput for the
    whole upload (no files, too many, a rep the viewer may not upload for); a bad file is only rejected."""
    if not files:
        raise InvalidInput("files: choose at least one call transcript (.vtt, .srt, .txt, .json), recording (.wav, "
                           ".mp3, .m4a) or a zip of them")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"files: at most {MAX_FILES} files in one upload (got {len(files)}); put them in a zip")
    people = uploaders_people(db, viewer)
    chosen: Person | None = None
    if rep_user != GUESS:
        chosen = next((p for p in people if p.id == rep_user), None)
        if chosen is None:
            raise InvalidInput("rep: choose yourself or someone in your teams")
    outcome = UploadOutcome()
    for f in files:
        name = _short(f.name)
        try:
            _check(UploadFile(name, f.data, f.too_large))
            if chosen is not None:
                person, speaker = chosen, rep_name or None
            elif name.lower().endswith(ZIP_SUFFIX):
                raise InvalidInput(f"{name}: choose the rep for a zip archive (the rep is guessed file by file "
                                   "only when the files are uploaded one by one)")
            else:
                person, speaker = _guess(f.data, name, people, formats)
        except TranscriptError as exc:
            outcome.rejected.append({"file": name, "error": "; ".join(str(p) for p in exc.problems[:3])})
            continue
        except InvalidInput as exc:
            outcome.rejected.append({"file": name, "error": str(exc)})
            continue
        upload = save_upload(data_dir, name, f.data)
        job = enqueue_import(queue, upload, person.id, viewer.org_id, rep=speaker, rubric=rubric or None)
        outcome.jobs.append({"job_id": job.id, "file": name, "rep": person.name, "user_id": person.id})
    return outcome


# ---- progress ----------------------------------------------------------------------------------------------------


def _results_so_far(data_dir: Path, upload: object) -> list[dict[str, Any]]:
    if not isinstance(upload, str) or ".." in upload.split("/"):
        return []
    path = data_dir / UPLOADS_DIR / upload
    done = path.parent / "results.json"
    try:
        return list(json.loads(done.read_text(encoding="utf-8")).get("results", []))
    except (OSError, ValueError):
        return []


def visible_job(db: Session, queue: JobQueue, viewer: Viewer, job_id: int) -> Job:
    """An ``import_call`` job of the viewer's organisation for someone whose calls the viewer may upload;
    NotFound otherwise (whether or not it exists)."""
    from sparring.inputs import is_db_id
    from sparring.services.access import can_see_user

    job = queue.ledger.get(job_id) if is_db_id(job_id) else None
    if job is None or job.task != TASK or job.org_id != viewer.org_id:
        raise NotFound(f"unknown upload {job_id}")
    user_id = job.payload.get("user_id")
    if not isinstance(user_id, int) or not can_see_user(db, viewer, user_id):
        raise NotFound(f"unknown upload {job_id}")
    return job


def upload_status(db: Session, queue: JobQueue, data_dir: Path, viewer: Viewer, job_id: int) -> dict[str, Any]:
    """One upload's progress: ``{"job_id", "file", "status": queued|importing|done|failed, "results": [{"file",
    "ok", "conversation_id", "error"}], "error", "progress", "progress_note"}``; ``results`` grow while a zip is
    imported; ``progress`` (0 to 1) and its note while a recording is transcribed (None otherwise)."""
    job = visible_job(db, queue, viewer, job_id)
    upload = job.payload.get("upload")
    name = str(upload).split("/", 1)[-1]
    status = STATES.get(job.status, job.status)
    if job.result is not None and status == "done":
        results = list(job.result.get("results", []))
    else:
        results = _results_so_far(data_dir, upload)
    error = None
    if job.status == "failed":
        error = job.last_error or "the import failed"
    elif job.status == "queued" and job.last_error:
        error = f"retrying after: {job.last_error}"
    return {"job_id": job.id, "file": name, "status": status, "results": results, "error": error,
            "progress": job.progress if status == "importing" else None,
            "progress_note": job.progress_note if status == "importing" else None,
            "ok": sum(1 for r in results if r.get("ok")), "failed": sum(1 for r in results if not r.get("ok"))}


__all__ = ["AUDIO_SUFFIXES", "GUESS", "MAX_AUDIO_BYTES", "MAX_FILES", "MAX_FILE_BYTES", "MAX_REQUEST_BYTES",
           "MAX_ZIP_BYTES", "Person", "UploadFile", "UploadOutcome", "file_limit", "upload_calls",
           "upload_status", "uploaders_people", "visible_job"]
