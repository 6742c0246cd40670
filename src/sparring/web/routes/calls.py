"""Call pages (docs/web.md, "Calls"; docs/calls.md, "In the browser"): the calls list (``/calls``), the upload page
(``/calls/upload``: several files or a zip, the rep, an optional rubric; progress per file), the no-JavaScript status
page (``/calls/uploads?jobs=...``, which refreshes itself) and a call's review (``/calls/{id}``: scorecard, the
moment timeline with the transcript beside it).

The rules are in the services (``services.call_uploads``: who may upload for whom, the checks, the jobs;
``services.call_reviews``: what a viewer may see, the cached moments). With JavaScript the upload page posts to
``POST /api/calls`` and polls ``GET /api/calls/uploads/{job_id}`` (``static/calls.js``); without it, it is a plain
multipart form. What a viewer may not see answers 404, whether or not it exists.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from sparring.inputs import InputError, clean_text
from sparring.services import audit, call_reviews, call_uploads
from sparring.services.call_uploads import GUESS, MAX_FILES, MAX_REQUEST_BYTES
from sparring.services.call_uploads import UploadFile as Upload
from sparring.services.errors import InvalidInput, NotFound
from sparring.web.app import job_queue
from sparring.web.content_scope import viewer_content
from sparring.web.deps import Auth, PageAuth, ReadDB, check_csrf, render, set_flash, web
from sparring.web.labels import criterion_names
from sparring.web.params import DbId, DbIdQuery
from sparring.web.templating import humanise

router = APIRouter(include_in_schema=False)

MAX_JOBS_SHOWN = 100


# ---- reading an upload (shared with the JSON API) -----------------------------------------------------------------


def check_request_size(request: Request) -> None:
    """Refuse an upload before its body is read: 411 without a Content-Length (a browser and curl always send
    one; a body of unknown length could fill the disk), 413 when it says it is larger than ``MAX_REQUEST_BYTES``."""
    raw = request.headers.get("content-length")
    if raw is None or not raw.strip().isdigit():
        raise HTTPException(status_code=411, detail="send the upload with a Content-Length header")
    if int(raw) > MAX_REQUEST_BYTES:
        raise HTTPException(status_code=413, detail=f"the upload is larger than {MAX_REQUEST_BYTES:,} bytes; "
                                                    "send fewer files at once")


async def read_upload(request: Request) -> tuple[FormData, list[Upload]]:
    """The multipart form and its files (each read up to its cap plus one byte, so a too-large file is known
    without being read whole). 411/413 (``check_request_size``), 400 for a body that is not a form or has more
    than ``MAX_FILES`` files."""
    check_request_size(request)
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=50)
    except StarletteHTTPException as exc:  # Starlette's own: too many files or fields, a malformed multipart body
        raise HTTPException(status_code=400, detail=f"files: {exc.detail} (put many calls in a zip)") from exc
    except Exception as exc:  # python-multipart's errors vary by version
        raise HTTPException(status_code=400, detail=f"send the calls as a multipart form ({exc})"[:300]) from exc
    files: list[Upload] = []
    for value in form.getlist("files"):
        if not isinstance(value, UploadFile) or not value.filename:  # a form sent with no file chosen
            continue
        limit = call_uploads.file_limit(value.filename)
        data = await value.read(limit + 1)
        files.append(Upload(value.filename, data, too_large=len(data) > limit))
    return form, files


def field(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def rep_choice(form: FormData) -> int | str:
    """The ``rep`` field: an account id or ``guess`` (InvalidInput otherwise)."""
    value = field(form, "rep") or GUESS
    if value == GUESS:
        return GUESS
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput("rep: choose a person or 'guess from the transcript'")
    return int(value)


def start_upload(request: Request, auth: Auth, form: FormData, files: list[Upload]) -> call_uploads.UploadOutcome:
    """Check and keep the files and queue their imports, for the page and the API alike (InvalidInput for the
    whole upload)."""
    try:
        rep_name = clean_text(field(form, "rep_name"), "rep_name", max_chars=80) or None
        rubric = clean_text(field(form, "rubric"), "rubric", max_chars=80) or None
    except InputError as exc:
        raise InvalidInput(str(exc)) from exc
    if rubric is not None:
        from sparring.content.errors import UnknownContentError

        try:
            viewer_content(request, auth.viewer).get_rubric(rubric)
        except UnknownContentError as exc:
            raise InvalidInput(f"rubric: {exc.brief}") from exc
    app_root = request.app.state.root
    with web(request).database().read() as s:
        return call_uploads.upload_calls(
            s, job_queue(request.app), app_root.settings.data_dir, auth.viewer, files, rep_user=rep_choice(form),
            rep_name=rep_name, rubric=rubric, formats=app_root.formats)


# ---- pages ----------------------------------------------------------------------------------------------------------


def _audio_uploads(request: Request) -> bool:
    """Whether recordings can be imported here: the audio format is installed with its extra (``[asr]``)."""
    from importlib.util import find_spec

    return "audio" in request.app.state.root.formats.by_name and find_spec("faster_whisper") is not None


def _upload_page(request: Request, auth: Auth, status_code: int = 200, error: str | None = None,
                 chosen: dict[str, str] | None = None) -> Response:
    with web(request).database().read() as s:
        people = call_uploads.uploaders_people(s, auth.viewer)
    from sparring.review.routing import load_routing

    rubrics = viewer_content(request, auth.viewer).list_rubrics()
    titles = {r.id: r.title for r in rubrics}
    routing = load_routing(request.app.state.root.settings)
    call_types = [(t, r, titles[r]) for t, r in sorted(routing.rubrics.items()) if r in titles]
    return render(request, "calls/upload.html", auth, active="calls", status_code=status_code, people=people,
                  rubrics=rubrics, call_types=call_types, error=error, chosen=chosen or {}, max_files=MAX_FILES,
                  max_file_bytes=call_uploads.MAX_FILE_BYTES, max_zip_bytes=call_uploads.MAX_ZIP_BYTES,
                  max_audio_bytes=call_uploads.MAX_AUDIO_BYTES,
                  audio=_audio_uploads(request))


@router.get("/calls")
def calls_list(request: Request, auth: PageAuth, db: ReadDB, rep: DbIdQuery = None) -> Response:
    items = call_reviews.list_calls(db, auth.viewer, user_id=rep, limit=200)
    people = call_uploads.uploaders_people(db, auth.viewer)
    return render(request, "calls/list.html", auth, active="calls", calls=items, people=people, rep=rep)


@router.get("/calls/upload")
def upload_page(request: Request, auth: PageAuth) -> Response:
    return _upload_page(request, auth)


@router.post("/calls/upload")
async def upload(request: Request, auth: PageAuth) -> Response:
    form, files = await read_upload(request)
    check_csrf(request, field(form, "csrf_token"), auth)
    chosen = {k: field(form, k) for k in ("rep", "rep_name", "rubric")}
    try:
        outcome = await run_in_threadpool(start_upload, request, auth, form, files)
    except InvalidInput as exc:
        return await run_in_threadpool(_upload_page, request, auth, 400, str(exc), chosen)
    if not outcome.jobs:
        error = "Nothing was uploaded. " + " ".join(f"{r['error']}" for r in outcome.rejected)
        return await run_in_threadpool(_upload_page, request, auth, 400, error, chosen)
    ids = ",".join(str(j["job_id"]) for j in outcome.jobs)
    response = RedirectResponse(f"/calls/uploads?jobs={ids}", status_code=303)
    if outcome.rejected:
        set_flash(response, "error", "Not uploaded: " + " ".join(r["error"] for r in outcome.rejected))
    return response


def _job_ids(jobs: str) -> list[int]:
    ids = []
    for part in jobs.split(",")[:MAX_JOBS_SHOWN]:
        part = part.strip()
        if not part.isdigit() or len(part) > 18:
            raise HTTPException(status_code=400, detail="jobs: give upload ids separated by commas")
        ids.append(int(part))
    return ids


@router.get("/calls/uploads")
def uploads_page(request: Request, auth: PageAuth, db: ReadDB,
                 jobs: str = Query("", max_length=2000, description="upload (job) ids, comma separated")) -> Response:
    queue = job_queue(request.app)
    data_dir = request.app.state.root.settings.data_dir
    statuses: list[dict[str, Any]] = []
    for job_id in _job_ids(jobs):
        try:
            statuses.append(call_uploads.upload_status(db, queue, data_dir, auth.viewer, job_id))
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such upload") from exc
    if not statuses:
        raise HTTPException(status_code=404, detail="no such upload")
    running = any(s["status"] in ("queued", "importing") for s in statuses)
    return render(request, "calls/uploads.html", auth, active="calls", statuses=statuses, running=running)


def _position(m: dict[str, Any], turns: list[dict[str, Any]], duration: float | None) -> float:
    """Where a moment sits on the timeline, in percent: by time when the call is timed, else by turn."""
    if duration and m.get("start_s") is not None:
        return round(100 * min(1.0, max(0.0, float(m["start_s"]) / duration)), 2)
    count = max(1, len(turns) - 1)
    return round(100 * min(1.0, int(m["start_turn"]) / count), 2)


#: markers closer than this (percent of the timeline) go on another lane, so none hides another: on a wide screen
#: (``lane``) and on a phone (``phone_lane``), where a marker takes a larger share of the line
LANE_GAP = 3.5
PHONE_LANE_GAP = 8.5
LANES = 3


def _lanes(moments: list[dict[str, Any]]) -> None:
    """Give each marker a lane (0 = on the line, then above and below it): the first lane whose last marker is
    far enough away; when all are too close, the one whose last marker is farthest away."""
    for key, gap in (("lane", LANE_GAP), ("phone_lane", PHONE_LANE_GAP)):
        last: list[float] = [-100.0] * LANES
        for m in sorted(moments, key=lambda m: m["left"]):
            free = [k for k in range(LANES) if m["left"] - last[k] >= gap]
            lane = free[0] if free else min(range(LANES), key=lambda k: last[k])
            m[key], last[lane] = lane, m["left"]


@router.get("/calls/{conversation_id}")
def review_page(conversation_id: DbId, request: Request, auth: PageAuth) -> Response:
    found = call_reviews.get_call(web(request).database(), auth.viewer, conversation_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such call")
    doc = found.document()
    audit.record_view(web(request).database(), auth.viewer, "call.viewed", "call", conversation_id, found.view.user_id,
                      detail={"summary_only": True} if doc is None else None)
    from sparring.web.routes.call_loops import review_extras  # the drill form and the loop panel

    extras = review_extras(web(request).database(), auth.viewer, found.view)
    if doc is None:
        return render(request, "calls/review.html", auth, active="calls", view=found.view, doc=None, **extras)
    conversation = doc["conversation"]
    duration = conversation["duration_s"] if conversation["timed"] else None
    pivotal = doc["pivotal"]
    moments = []
    for i, m in enumerate(doc["moments"]):
        is_pivotal = pivotal is not None and (m["kind"], m["start_turn"]) == (pivotal["kind"], pivotal["start_turn"])
        moments.append({**(pivotal if is_pivotal else m), "n": i, "pivotal": is_pivotal, "label": humanise(m["kind"]),
                        "left": _position(m, conversation["turns"], duration)})
    _lanes(moments)
    in_moment: dict[int, list[int]] = {}
    for m in moments:
        for t in range(m["start_turn"], m["end_turn"] + 1):
            in_moment.setdefault(t, []).append(m["n"])
    return render(request, "calls/review.html", auth, active="calls", view=found.view, doc=doc, moments=moments,
                  pivotal=next((m for m in moments if m["pivotal"]), None), in_moment=in_moment,
                  card=doc["scorecard"], names=criterion_names(request, auth.viewer), duration=duration,
                  note=found.summary.note if found.summary is not None else "", **extras)
