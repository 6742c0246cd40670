"""Practice: start a rep, post turns (saved first), stream the persona's reply over SSE, end early, score,
branch from any turn, mark private, and the scorecard page."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sparring.content.errors import UnknownContentError
from sparring.inputs import InputError
from sparring.persona.base import streams_text
from sparring.services import audit
from sparring.services.access import Access, Viewer, get_own_rep, get_visible_rep
from sparring.services.accounts import Accounts
from sparring.services.conversations import rep_view
from sparring.services.errors import Conflict, EngineFailed, InvalidInput, NotFound, ServiceError
from sparring.services.practice import PracticeService
from sparring.store.db import Database
from sparring.web.content_scope import viewer_content
from sparring.web.deps import (
    Auth,
    NotSignedIn,
    PageAuth,
    PageSession,
    ReadDB,
    check_csrf,
    form_with_csrf,
    render,
    session_auth,
    set_flash,
    web,
)
from sparring.web.params import DbId, form_index
from sparring.web.security import SessionData

router = APIRouter(include_in_schema=False)


def practice_service(request: Request) -> PracticeService:
    """One PracticeService per app (engines load once); tests may put their own on ``app.state.practice``."""
    svc: PracticeService | None = getattr(request.app.state, "practice", None)
    if svc is None:
        svc = request.app.state.root.practice()
        request.app.state.practice = svc
    return svc


def _own(database: Database, viewer: Viewer, rep_id: int) -> None:
    with database.read() as s:
        if get_own_rep(s, viewer, rep_id) is None:
            raise HTTPException(status_code=404, detail="no such rep")


def status_for(exc: ServiceError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, InvalidInput):
        return 400
    return 503


@router.post("/reps")
async def start(request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    return await run_in_threadpool(_start, request, auth, form)


def _start(request: Request, auth: Auth, form: dict[str, str]) -> Response:
    svc = practice_service(request)
    user = Accounts(web(request).database()).get_user(auth.viewer.id)
    try:
        rep = svc.start_rep(user, form.get("scenario", ""), form.get("difficulty", "medium"),
                            private=form.get("private") == "on")
    except UnknownContentError as exc:
        raise HTTPException(status_code=404, detail=exc.brief) from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return RedirectResponse(f"/reps/{rep.id}", status_code=303)


@router.get("/reps/{rep_id}")
def rep_page(rep_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    found = get_visible_rep(db, auth.viewer, rep_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such rep")
    rep, _access = found
    if rep.outcome != "in_progress" or rep.user_id != auth.viewer.id:
        return RedirectResponse(f"/reps/{rep_id}/scorecard", status_code=303)
    svc = practice_service(request)
    record = svc.get_rep(rep_id)
    scenario = viewer_content(request, auth.viewer).get_scenario(record.scenario_id, record.scenario_version)
    from sparring.asr.engine import available as asr_missing

    root = request.app.state.root
    # the server voice reads the replies when the installation chose it and it can speak (docs/voice.md)
    server_voice = root.reply_voice.missing() is None
    return render(request, "practice.html", auth, active="library", rep=record, scenario=scenario,
                  max_turns=scenario.max_turns, voice=asr_missing() is None, server_voice=server_voice)


class TurnIn(BaseModel):
    text: str
    #: the recording the line was heard from (docs/voice.md), as heard or corrected
    speech_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _chunks(text: str, size: int = 3) -> Iterator[str]:
    words = text.split(" ")
    for i in range(0, len(words), size):
        yield " ".join(words[i : i + size]) + (" " if i + size < len(words) else "")


def _done(text: str, ended: bool, outcome: str, fallback: str | None, scored: bool, rep_id: int,
          index: int | None) -> str:
    # ``index``: the reply's turn, for its audio from the server voice (docs/voice.md, "A server voice")
    return _sse("done", {"text": text, "ended": ended, "outcome": outcome, "fallback": fallback,
                         "scored": scored, "scorecard": f"/reps/{rep_id}/scorecard", "index": index})


def _reply_events(text: str, ended: bool, outcome: str, fallback: str | None, scored: bool, rep_id: int,
                  index: int | None) -> list[str]:
    events = [_sse("delta", {"text": chunk}) for chunk in _chunks(text)]
    events.append(_done(text, ended, outcome, fallback, scored, rep_id, index))
    return events


def _score_quietly(svc: PracticeService, rep_id: int) -> bool:
    """Score a rep that just ended; a scorer failure leaves it unscored (the scorecard page offers a retry)."""
    try:
        svc.score_rep(rep_id)
    except ServiceError:
        return False
    return True


async def _stream_events(first: list[str], later: Any = None) -> AsyncIterator[str]:
    """Yield ready events at once; ``later`` (a blocking callable returning more events) runs in a thread."""
    for event in first:
        yield event
    if later is not None:
        for event in await run_in_threadpool(later):
            yield event


_SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=_SSE_HEADERS)


def _complete_stream(events: list[str]) -> Response:
    """An SSE body whose events are all ready: sent as one plain response (no streaming task, no disconnect
    watcher); the page's reader parses it like any stream."""
    return Response("".join(events), media_type="text/event-stream", headers=_SSE_HEADERS)


#: turns computed at the same time per process. More threads than cores only add GIL and database-lock
#: contention; waiting turns queue in FIFO order on the event loop instead, which keeps the latency tail short.
TURN_SLOTS = 3


def _turn_slots(request: Request) -> asyncio.Semaphore:
    slots: asyncio.Semaphore | None = getattr(request.app.state, "turn_slots", None)
    if slots is None:
        slots = request.app.state.turn_slots = asyncio.Semaphore(TURN_SLOTS)
    return slots


@router.post("/reps/{rep_id}/turns")
async def post_turn(rep_id: DbId, body: TurnIn, request: Request, session: PageSession) -> Response:
    """Save the learner's line (committed before the persona runs), then stream the reply as SSE:
    ``saved`` (the stored turn), ``delta`` chunks, and ``done`` (or ``failure``; the line stays saved).
    The session's user is checked in the same worker-thread call as the turn (one thread hop per turn)."""
    check_csrf(request, None, session)
    svc: PracticeService | None = getattr(request.app.state, "practice", None)
    if svc is None:
        svc = await run_in_threadpool(practice_service, request)
    if streams_text(svc.persona):
        return await _live_turn(request, session, rep_id, body.text, body.speech_id)
    started = time.perf_counter()
    async with _turn_slots(request):
        response = await run_in_threadpool(_take_turn, request, session, rep_id, body.text, body.speech_id)
    # time in the app (queueing for a slot included) until the reply is ready to stream
    response.headers["Server-Timing"] = f"app;dur={1000 * (time.perf_counter() - started):.1f}"
    return response


def speech_hook(request: Request, viewer_id: int, rep_id: int, speech_id: int | None) -> Callable[[Any], None] | None:
    """For a turn sent with a recording (docs/voice.md): refuse a recording that is not usable *before* the line is
    stored (NotFound, Conflict), and return the ``on_saved`` hook that links it to the stored learner turn."""
    if speech_id is None:
        return None
    voice = request.app.state.root.voice()
    voice.check_unused(speech_id, rep_id, viewer_id)
    return lambda turn: voice.attach(speech_id, rep_id, viewer_id, turn.index)


def _take_turn(request: Request, session: SessionData, rep_id: int, text: str, speech_id: int | None = None
               ) -> Response:
    auth = session_auth(request, session)
    if auth is None:
        raise NotSignedIn()
    svc = practice_service(request)
    try:
        spoken = speech_hook(request, auth.viewer.id, rep_id, speech_id)
        # one write transaction checks that the rep is the viewer's own and commits the line
        result = svc.submit_turn(rep_id, text, owner_id=auth.viewer.id, on_saved=spoken)
    except EngineFailed as exc:
        learner = svc.get_rep(rep_id).turns[-1]
        message = str(exc).split(";")[0] + "."
        return _complete_stream([_sse("saved", learner.model_dump()), _sse("failure", {"message": message})])
    except NotFound as exc:  # not the viewer's rep (or none): the same answer either way
        detail = "no such rep" if str(exc).startswith("unknown rep") else str(exc)
        raise HTTPException(status_code=404, detail=detail) from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    saved = _sse("saved", result.learner_turn.model_dump())
    reply = result.reply.text if result.reply else ""
    index = result.reply.index if result.reply else None
    if not result.ended:
        # everything is ready: one write (the client splits the events, whatever the chunking)
        return _complete_stream([saved, *_reply_events(reply, False, result.outcome, result.fallback_reason, False,
                                                       rep_id, index)])

    def finish() -> list[str]:  # the rep ended on this reply: score it before "done"
        scored = _score_quietly(svc, rep_id)
        return ["".join(_reply_events(reply, True, result.outcome, result.fallback_reason, scored, rep_id, index))]

    return _stream(_stream_events([saved], finish))


_END = object()


async def _live_turn(request: Request, session: SessionData, rep_id: int, text: str, speech_id: int | None = None
                     ) -> Response:
    """A persona that writes over time (an LLM): ``saved`` goes out as soon as the line is committed, then each
    sentence as the model produces it, then ``done`` with the authoritative text. Problems found before the line
    is saved (unknown rep, ended rep, empty line) are HTTP errors as on the fast path; later ones are a
    ``failure`` event (the line stays saved). No CPU turn slot is held: the thread mostly waits on the model."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def push(item: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            _take_live_turn(request, session, rep_id, text, push, speech_id)
        except Exception as exc:  # before 'saved': the request's error; after: a failure event
            push(exc)
        finally:
            push(_END)

    worker = asyncio.ensure_future(run_in_threadpool(work))
    first = await queue.get()
    if isinstance(first, Exception):
        await worker
        raise first

    async def events() -> AsyncIterator[str]:
        item = first
        while item is not _END:
            if isinstance(item, Exception):
                message = str(getattr(item, "detail", None) or item)
                yield _sse("failure", {"message": message.split(";")[0] + "."})
            else:
                yield item
            item = await queue.get()
        await worker  # the reply is stored even if the learner closed the page meanwhile

    return _stream(events())


def _take_live_turn(request: Request, session: SessionData, rep_id: int, text: str, push: Any,
                    speech_id: int | None = None) -> None:
    auth = session_auth(request, session)
    if auth is None:
        raise NotSignedIn()
    svc = practice_service(request)

    def saved(turn: Any) -> None:
        if spoken is not None:
            spoken(turn)
        push(_sse("saved", turn.model_dump()))

    try:
        spoken = speech_hook(request, auth.viewer.id, rep_id, speech_id)
        result = svc.submit_turn(rep_id, text, owner_id=auth.viewer.id, on_saved=saved,
                                 on_text=lambda chunk: push(_sse("delta", {"text": chunk})))
    except EngineFailed as exc:
        push(_sse("failure", {"message": str(exc).split(";")[0] + "."}))
        return
    except NotFound as exc:  # not the viewer's rep (or none): the same answer either way
        detail = "no such rep" if str(exc).startswith("unknown rep") else str(exc)
        raise HTTPException(status_code=404, detail=detail) from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    scored = _score_quietly(svc, rep_id) if result.ended else False
    reply = result.reply.text if result.reply else ""
    push(_done(reply, result.ended, result.outcome, result.fallback_reason, scored, rep_id,
               result.reply.index if result.reply else None))


@router.post("/reps/{rep_id}/reply")
def pending_reply(rep_id: DbId, request: Request, auth: PageAuth) -> Response:
    """Answer a learner line that never got its reply (a crash or an engine error), streamed as SSE. A POST
    with the CSRF header: it writes the persona's turn (and may score the rep), which a GET must never do."""
    check_csrf(request, None, auth)
    database = web(request).database()
    _own(database, auth.viewer, rep_id)
    svc = practice_service(request)

    def compute() -> list[str]:
        try:
            rep = svc.resume_rep(rep_id)
        except ServiceError as exc:
            return [_sse("failure", {"message": str(exc).split(";")[0] + "."})]
        last = rep.turns[-1]
        text = last.text if last.role == "counterpart" else ""
        scored = _score_quietly(svc, rep_id) if rep.ended and rep.scorecard is None else rep.scorecard is not None
        return _reply_events(text, rep.ended, rep.outcome, None, scored, rep_id,
                             last.index if last.role == "counterpart" else None)

    return _stream(_stream_events([], compute))


@router.post("/reps/{rep_id}/end")
async def end_early(rep_id: DbId, request: Request, auth: PageAuth) -> Response:
    await form_with_csrf(request, auth)
    return await run_in_threadpool(_end_early, rep_id, request, auth)


def _end_early(rep_id: int, request: Request, auth: Auth) -> Response:
    _own(web(request).database(), auth.viewer, rep_id)
    svc = practice_service(request)
    rep = svc.end_rep(rep_id)
    if rep.scorecard is None and rep.turn_count > 1:
        try:
            svc.score_rep(rep_id)
        except ServiceError as exc:
            response = RedirectResponse(f"/reps/{rep_id}/scorecard", status_code=303)
            set_flash(response, "error", f"Scoring failed: {exc}")
            return response
    return RedirectResponse(f"/reps/{rep_id}/scorecard", status_code=303)


@router.post("/reps/{rep_id}/score")
async def score(rep_id: DbId, request: Request, auth: PageAuth) -> Response:
    await form_with_csrf(request, auth)
    return await run_in_threadpool(_score, rep_id, request, auth)


def _score(rep_id: int, request: Request, auth: Auth) -> Response:
    _own(web(request).database(), auth.viewer, rep_id)
    try:
        practice_service(request).score_rep(rep_id)
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return RedirectResponse(f"/reps/{rep_id}/scorecard", status_code=303)


@router.post("/reps/{rep_id}/branch")
async def branch(rep_id: DbId, request: Request, auth: PageAuth) -> Response:
    """Retry from turn k: a new rep with the turns before k, so the learner can say something else."""
    form = await form_with_csrf(request, auth)
    return await run_in_threadpool(_branch, rep_id, request, auth, form)


def _branch(rep_id: int, request: Request, auth: Auth, form: dict[str, str]) -> Response:
    _own(web(request).database(), auth.viewer, rep_id)
    try:
        turn = form_index(form, "turn")
    except InputError as exc:
        raise HTTPException(status_code=400, detail="turn: give the number of the turn to retry from") from exc
    try:
        rep = practice_service(request).branch_rep(rep_id, turn)
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return RedirectResponse(f"/reps/{rep.id}", status_code=303)


@router.post("/reps/{rep_id}/privacy")
async def privacy(rep_id: DbId, request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    return await run_in_threadpool(_privacy, rep_id, request, auth, form)


def _privacy(rep_id: int, request: Request, auth: Auth, form: dict[str, str]) -> Response:
    _own(web(request).database(), auth.viewer, rep_id)
    private = form.get("private") == "on"
    practice_service(request).set_private(rep_id, private)
    response = RedirectResponse(f"/reps/{rep_id}/scorecard", status_code=303)
    set_flash(response, "ok", "This rep is now private: managers see only that it happened and its score."
              if private else "This rep is visible to your managers again.")
    return response


@router.get("/reps/{rep_id}/scorecard")
def scorecard_page(rep_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    found = get_visible_rep(db, auth.viewer, rep_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such rep")
    rep, access = found
    view = rep_view(db, auth.viewer, rep)
    if view is None:
        raise HTTPException(status_code=404, detail="no such rep")
    card = view.scorecard_model()
    audit.record_view(web(request).database(), auth.viewer, "scorecard.viewed", "rep", rep.id, rep.user_id,
                      detail={"summary_only": True} if access is Access.SUMMARY else None)
    content = viewer_content(request, auth.viewer)  # the rep is of the viewer's organisation (access rules)
    rubric = scenario = None
    try:
        scenario = content.get_scenario(rep.scenario_id, rep.scenario_version)
        rubric = content.get_rubric(rep.rubric_id, rep.rubric_version)
    except (ServiceError, UnknownContentError):
        pass  # the page still shows the stored scorecard
    names = {c.id: c.name for c in rubric.criteria} if rubric else {}
    skills = {c.id: c.skill for c in rubric.criteria} if rubric else {}
    own = rep.user_id == auth.viewer.id
    explained = None
    if card is not None:
        from sparring.scoring.explain import outcome_and_score

        explained = outcome_and_score(
            view.outcome, card, audience="learner" if own else "manager", learner=view.learner,
            counterpart=scenario.persona.name if scenario else "The other person", names=names,
            pass_mark=rubric.pass_mark if rubric else None,
        )
    from sparring.services.comments import comments_for, may_comment

    delivery = None if access is Access.SUMMARY else request.app.state.root.voice().rep_delivery(rep_id)
    from sparring.web.routes.scorm import scorm_report_origin

    # a rep started from a SCORM package: its score goes back to the launch page (docs/integrations.md, "SCORM")
    scorm_origin, scorm_refused = scorm_report_origin(request, rep_id) if own else (None, None)
    return render(request, "scorecard.html", auth, active="history", rep=view, card=card, scenario=scenario,
                  rubric=rubric, names=names, skills=skills, own=own, summary_only=access is Access.SUMMARY,
                  delivery=delivery, scorm_origin=scorm_origin, scorm_refused=scorm_refused,
                  explained=explained, comments=comments_for(db, auth.viewer, rep.conversation_id),
                  conversation_id=rep.conversation_id, can_comment=may_comment(auth.viewer, rep.user_id, access))
