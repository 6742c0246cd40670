"""The calls part of the JSON API (docs/web.md, "JSON API"): list the calls the caller may see, one call's review
document (CONTRACT.md, ``sparring call review --json``), upload calls, and an upload's progress.

``POST /api/calls`` takes ``multipart/form-data`` (``files``: one or more transcripts or zips; ``rep``: an account
id or ``guess``; ``rep_name``; ``rubric``). A cross-site HTML form can send multipart, so the ``X-CSRF-Token``
header (which such a form cannot set) is required with a session cookie. Same services and access rules as the
pages (``web.routes.calls``); 404 for what the caller may not see, never another organisation's data.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sparring.services import audit, call_reviews, call_uploads
from sparring.services.call_reviews import CallItem
from sparring.services.errors import InvalidInput, NotFound
from sparring.web import api_examples as ex
from sparring.web.api_paging import link_next
from sparring.web.app import job_queue
from sparring.web.deps import ApiAuth, ReadDB, check_csrf, web
from sparring.web.errors import error_responses
from sparring.web.params import DbId, DbIdQuery, Limit, Offset
from sparring.web.routes.calls import read_upload, start_upload

router = APIRouter(prefix="/api", tags=["calls"])


class UploadJob(BaseModel):
    job_id: int = Field(description="poll GET /api/calls/uploads/{job_id} for its progress")
    file: str
    rep: str = Field(description="the account the call is stored for")
    user_id: int


class Rejected(BaseModel):
    file: str
    error: str = Field(description="why this file was not kept, naming it")


class UploadOut(BaseModel):
    jobs: list[UploadJob]
    rejected: list[Rejected]


class FileResult(BaseModel):
    file: str
    ok: bool
    conversation_id: int | None = None
    error: str | None = Field(default=None, description="the problem, naming file and line when it is the file's")


class UploadStatus(BaseModel):
    job_id: int
    file: str
    status: str = Field(description="queued | importing | done | failed")
    results: list[FileResult] = Field(description="one per call in the upload (a zip holds several); grows while "
                                                  "the upload is imported")
    ok: int
    failed: int
    error: str | None = Field(default=None, description="why the whole upload failed (or is being retried)")
    progress: float | None = Field(default=None, description="0 to 1 while a recording is transcribed")
    progress_note: str | None = Field(default=None, description="what the import is doing, e.g. the channel")


class ReviewDoc(BaseModel):
    """CONTRACT.md: ``{"conversation", "scorecard", "moments": [MOMENT], "pivotal": MOMENT}``."""

    conversation: dict[str, Any]
    scorecard: dict[str, Any] | None
    moments: list[dict[str, Any]]
    pivotal: dict[str, Any] | None


@router.get("/calls", response_model=list[CallItem], responses={**error_responses(401), **ex.example([ex.CALL])})
def list_calls(request: Request, response: Response, auth: ApiAuth, db: ReadDB, user_id: DbIdQuery = None,
               limit: Limit = 100, offset: Offset = 0) -> list[CallItem]:
    """Stored calls the caller may see, newest first: a learner their own, a manager their teams', an admin their
    organisation's; ``user_id`` keeps one rep's. Someone else's private call is a summary (``summary_only``).
    When more follow, the ``Link`` header names the next page (``rel="next"``)."""
    rows = call_reviews.list_calls(db, auth.viewer, user_id=user_id, limit=limit + 1, offset=offset)
    link_next(request, response, offset, limit, min(len(rows), limit), len(rows) > limit)
    return rows[:limit]


@router.get("/calls/uploads/{job_id}", response_model=UploadStatus,
            responses={**error_responses(401, 404), **ex.example(ex.UPLOAD_STATUS)})
def upload_status(job_id: DbId, request: Request, auth: ApiAuth, db: ReadDB) -> Any:
    """An upload's progress and, per call, its result (the conversation id, or the error naming file and line);
    404 for an upload the caller may not see."""
    try:
        return call_uploads.upload_status(db, job_queue(request.app), request.app.state.root.settings.data_dir,
                                          auth.viewer, job_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such upload") from exc


@router.get("/calls/{conversation_id}", response_model=ReviewDoc,
            responses={**error_responses(401, 404), **ex.example(ex.REVIEW)})
def get_call(conversation_id: DbId, request: Request, auth: ApiAuth) -> Any:
    """One stored call's review document (CONTRACT.md): conversation (turns with times), scorecard, key moments and
    the pivotal one. 404 when the caller may not see it, or sees only that it happened (a private call)."""
    found = call_reviews.get_call(web(request).database(), auth.viewer, conversation_id)
    doc = found.document() if found is not None else None
    if doc is None or found is None:
        raise HTTPException(status_code=404, detail="no such call")
    audit.record_view(web(request).database(), auth.viewer, "call.viewed", "call", conversation_id, found.view.user_id,
                      "api")
    return doc


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": "call transcripts (.vtt, .srt, .txt, .json) or zips of them; at most 50"},
        "rep": {"type": "string", "description": "the rep's account id, or `guess` (from the transcript)",
                "default": "guess"},
        "rep_name": {"type": "string", "maxLength": 80, "description": "the rep as the transcript names them"},
        "rubric": {"type": "string", "description": "score with this rubric instead of the routing rules"},
    }}}}}}


@router.post("/calls", response_model=UploadOut, status_code=202,
             responses={**error_responses(400, 401, 403, 411, 413), **ex.example(ex.UPLOAD, 202)},
             openapi_extra=UPLOAD_BODY)
async def upload_calls(request: Request, auth: ApiAuth) -> Any:
    """Upload calls as ``multipart/form-data``: ``files`` (transcripts or zips, at most 50), ``rep`` (an account
    id, or ``guess``), optional ``rep_name`` and ``rubric``. Each kept file is imported in the background: poll
    its job. A file refused at once (too large, no rep found) is in ``rejected`` with the reason. Needs the
    ``X-CSRF-Token`` header."""
    check_csrf(request, None, auth)
    form, files = await read_upload(request)
    try:
        outcome = await run_in_threadpool(start_upload, request, auth, form, files)
    except InvalidInput as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return outcome.as_json()
