"""Spoken practice turns over the JSON API (docs/voice.md): send a recording, get back what the server heard and
the take's delivery; send the turn with ``speech_id`` (``POST /api/reps/{id}/turns``) or discard the take; read the
rep's delivery.
The recording is transcribed offline on the server (the optional ``[voice]`` extra); nothing is sent elsewhere."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sparring.asr.audio import AsrUnavailable
from sparring.content.scenario import PersonaVoice
from sparring.conversation.errors import TranscriptError
from sparring.inputs import MAX_DB_ID
from sparring.services.errors import NotFound, ServiceError
from sparring.services.voice import MAX_TAKE_BYTES, VoiceService
from sparring.tts.piper import SpeechError
from sparring.web import api_examples as ex
from sparring.web.deps import ApiAuth, check_csrf
from sparring.web.errors import error_responses
from sparring.web.params import DbId
from sparring.web.routes.practice import status_for

router = APIRouter(prefix="/api", tags=["voice"])
#: a turn's position in its conversation (0 is the first; bounded like an id, so no value reaches the database
#: that it cannot compare)
TurnIndex = Annotated[int, Path(ge=0, le=MAX_DB_ID, description="the turn's position in the rep (0 is the first)")]

#: the whole request: the recording and a few small fields
MAX_REQUEST_BYTES = MAX_TAKE_BYTES + 64 * 1024
#: the timing fields the browser reports are at most this many seconds
MAX_TIMING_SECONDS = 600.0

SPEECH_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["audio"],
    "properties": {
        "audio": {"type": "string", "format": "binary",
                  "description": "one spoken turn: WebM/Ogg Opus as browsers record, MP4/AAC, WAV or MP3; "
                                 "at most 2 minutes and 12 MB"},
        "talked_over_seconds": {"type": "number", "minimum": 0,
                                "description": "how long the learner spoke while the counterpart's voice played"},
        "waited_seconds": {"type": "number", "minimum": 0,
                           "description": "from the end of the counterpart's line to the learner's first sound"},
    }}}}}}


class SpeechOut(BaseModel):
    speech_id: int
    rep_id: int
    text: str
    seconds: float
    words: list[list[Any]]
    delivery: dict[str, Any]
    audio_kept: bool


def voice_service(request: Request) -> VoiceService:
    svc: VoiceService = request.app.state.root.voice()
    return svc


def _seconds(value: object, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not 0 <= number <= MAX_TIMING_SECONDS:
        raise HTTPException(status_code=400, detail=f"{name}: a number of seconds from 0 to {MAX_TIMING_SECONDS:.0f}")
    return number


@router.post("/reps/{rep_id}/speech", response_model=SpeechOut, status_code=201, openapi_extra=SPEECH_BODY,
             responses={**error_responses(400, 401, 403, 404, 409, 411, 413, 503), **ex.example(ex.SPEECH, 201)})
async def post_speech(rep_id: DbId, request: Request, auth: ApiAuth) -> Any:
    """Hear one spoken turn of your own running rep (``multipart/form-data``, field ``audio``). Returns what was
    heard, for the learner to check or correct, and the delivery of the take; nothing is said to the counterpart
    until the turn is sent (``POST /api/reps/{rep_id}/turns`` with ``speech_id``). Needs the ``X-CSRF-Token``
    header. 503 when the server has no speech recogniser (the ``[voice]`` extra)."""
    check_csrf(request, None, auth)
    raw = request.headers.get("content-length")
    if raw is None or not raw.strip().isdigit():
        raise HTTPException(status_code=411, detail="send the recording with a Content-Length header")
    if int(raw) > MAX_REQUEST_BYTES:
        raise HTTPException(status_code=413, detail=f"the recording is larger than {MAX_TAKE_BYTES:,} bytes")
    try:
        form = await request.form(max_files=1, max_fields=5)
    except Exception as exc:
        raise HTTPException(status_code=400, detail=f"send the recording as a multipart form ({exc})"[:300]) from exc
    audio = form.get("audio")
    if not isinstance(audio, UploadFile):
        raise HTTPException(status_code=400, detail="audio: send the recording as the form field 'audio'")
    data = await audio.read(MAX_TAKE_BYTES + 1)
    if len(data) > MAX_TAKE_BYTES:
        raise HTTPException(status_code=413, detail=f"the recording is larger than {MAX_TAKE_BYTES:,} bytes")
    talked_over = _seconds(form.get("talked_over_seconds"), "talked_over_seconds") or 0.0
    waited = _seconds(form.get("waited_seconds"), "waited_seconds")
    svc = voice_service(request)
    try:
        take = await run_in_threadpool(svc.transcribe, rep_id, auth.viewer.id, data, audio.filename or "take.webm",
                                       talked_over_seconds=talked_over, waited_seconds=waited)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such rep") from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    except AsrUnavailable as exc:
        raise HTTPException(status_code=503, detail="this server cannot hear recordings: install the optional "
                                                    "[voice] extra, or type the line") from exc
    except TranscriptError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return SpeechOut(speech_id=take.id, rep_id=rep_id, text=take.text, seconds=take.seconds, words=take.words,
                     delivery=take.delivery, audio_kept=take.audio_kept)


@router.delete("/reps/{rep_id}/speech/{speech_id}", status_code=204, response_class=Response,
               responses={**error_responses(401, 403, 404, 409, 503)})
def delete_speech(rep_id: DbId, speech_id: DbId, request: Request, auth: ApiAuth) -> Response:
    """Discard a recording of your own rep that was heard but not sent as a turn, with the audio kept for it, if
    any. The practice page does this when it heard the end of a turn early and the learner went on talking
    (docs/voice.md, "Hearing early"). 409 when the recording was already sent; needs the ``X-CSRF-Token``
    header."""
    check_csrf(request, None, auth)
    try:
        voice_service(request).discard(speech_id, rep_id, auth.viewer.id)
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return Response(status_code=204)


@router.get("/reps/{rep_id}/delivery", responses={**error_responses(401, 403, 404), **ex.example(ex.REP_DELIVERY)})
def get_delivery(rep_id: DbId, request: Request, auth: ApiAuth) -> dict[str, Any]:
    """The delivery of your own rep's spoken turns (pace, fillers, pauses, monologues, talking over, waits, with
    the findings a coach would mention); ``delivery`` is null when no turn was spoken."""
    from sparring.services.access import get_own_rep
    from sparring.web.deps import web

    with web(request).database().read() as s:
        if get_own_rep(s, auth.viewer, rep_id) is None:
            raise HTTPException(status_code=404, detail="no such rep")
    found = voice_service(request).rep_delivery(rep_id)
    return {"rep_id": rep_id, "delivery": found.as_dict() if found else None}


@router.get("/reps/{rep_id}/turns/{index}/audio", response_class=Response,
            responses={200: {"content": {"audio/wav": {}}, "description": "the reply spoken (WAV)"},
                       **error_responses(401, 404, 503)})
def get_reply_audio(rep_id: DbId, index: TurnIndex, request: Request, auth: ApiAuth) -> Response:
    """A counterpart turn of your own rep spoken by the server voice (docs/voice.md, "A server voice"), as WAV: 503
    when the installation has no server voice (the page then uses the browser's own)."""
    from sparring.web.content_scope import viewer_content

    root = request.app.state.root
    content = viewer_content(request, auth.viewer)

    def voice_of(scenario_id: str, version: str) -> PersonaVoice | None:
        return content.get_scenario(scenario_id, version).persona.voice

    try:
        wav = root.reply_voice.turn_audio(auth.viewer, rep_id, index, voice_of)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except SpeechError as exc:
        raise HTTPException(status_code=503, detail=f"the server voice cannot speak: {exc}") from exc
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "private, max-age=86400"})
