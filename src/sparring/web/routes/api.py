"""The JSON API under /api (OpenAPI at /api/openapi.json). Same services and access rules as the pages.

Cookie-authenticated writes must be ``application/json`` (a cross-site HTML form cannot send that without a
CORS preflight, which this app never grants) and carry the ``X-CSRF-Token`` header returned at login. A write
that takes no body (``POST /api/reps/{id}/end``) may come without one and without a content type; the CSRF
header, which a cross-site form cannot set either, is what guards it. Every error answers ``ErrorBody``
(``sparring.web.errors``), documented per operation in the OpenAPI.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from sparring.content.errors import UnknownContentError
from sparring.content.scenario import Difficulty
from sparring.services import audit
from sparring.services.access import get_own_rep, get_visible_rep
from sparring.services.accounts import Accounts
from sparring.services.conversations import RepView, list_visible_reps, rep_view
from sparring.services.errors import NotFound, ServiceError
from sparring.store.models import User
from sparring.web import api_examples as ex
from sparring.web.api_paging import link_next
from sparring.web.deps import ApiAuth, ReadDB, check_csrf, web
from sparring.web.errors import error_responses
from sparring.web.login import CODE_REQUIRED, WRONG_CODE, WRONG_CREDENTIALS, throttled_message
from sparring.web.params import MAX_QUERY_CHARS, DbId, DbIdQuery, Limit, Offset, OptionalSearchText
from sparring.web.routes.auth import (
    end_current_session,
    end_session,
    issue_session,
    signed_session,
    start_session,
)
from sparring.web.routes.practice import practice_service, speech_hook, status_for

router = APIRouter(prefix="/api", tags=["api"])


class LoginRequest(BaseModel):
    email: str
    password: str
    #: the second-factor code (6 digits, or a recovery code) for an account with two-factor sign-in
    totp: str | None = None


class LoginResponse(BaseModel):
    id: int
    email: str
    name: str
    role: str
    org_id: int
    csrf_token: str


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: str
    org_id: int


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def _require_json(request: Request) -> None:
    if not _is_json(request):
        raise HTTPException(status_code=415, detail="send the request body as application/json")


def _require_json_or_no_body(request: Request) -> None:
    """For a write that takes no body: no body at all is fine (whatever the Content-Type header says: there is
    nothing to read); a body must be JSON, as on every other write."""
    if _is_json(request):
        return
    if request.headers.get("content-length", "0").strip() in ("", "0") and "transfer-encoding" not in request.headers:
        return
    raise HTTPException(status_code=415, detail="this request takes no body; send none, or send it as application/json")


@router.post("/auth/login", response_model=LoginResponse,
             responses={**ex.example(ex.LOGIN),
                        401: {"description": "bad credentials, or a missing or wrong two-factor code"},
                        403: {"description": "the organisation signs in with single sign-on (docs/sso.md), or the "
                                              "account's second factor cannot be checked (its secret does not open "
                                              "with this installation's keys: use a recovery code)"},
                        422: {"description": "a malformed request (e.g. a NUL character, an over-long password)"},
                        429: {"description": "too many failed attempts: wait Retry-After seconds"}})
def api_login(body: LoginRequest, request: Request) -> Response:
    """Check the e-mail and password (and the ``totp`` code of an account with two-factor sign-in) and set the
    session cookie. 401 on bad credentials or a missing or wrong code, 422 on a malformed request, 429 with
    ``Retry-After`` while the login guard makes this client wait."""
    _require_json(request)
    throttle = web(request).throttle
    result = throttle.guard.login(web(request).database(), body.email, body.password, throttle.client(request),
                                  body.totp or None)
    if result.outcome == "throttled":
        return JSONResponse({"detail": throttled_message(result)}, status_code=429,
                            headers={"Retry-After": result.retry_after_header})
    if result.outcome == "invalid":
        return JSONResponse({"detail": result.problem}, status_code=422)
    if result.outcome in ("sso_required", "factor_unreadable"):
        # the right password, but the organisation signs in with SSO, or the second factor cannot be checked
        return JSONResponse({"detail": result.problem}, status_code=403)
    if result.outcome != "ok" or result.user is None:
        detail = {"code_required": CODE_REQUIRED, "wrong_code": WRONG_CODE}.get(result.outcome, WRONG_CREDENTIALS)
        return JSONResponse({"detail": detail}, status_code=401)
    with web(request).database().read() as s:
        user = s.get(User, result.user.id)
        assert user is not None
        s.expunge(user)
    issued = issue_session(request, user, via="api")
    payload = LoginResponse(id=user.id, email=user.email, name=user.name, role=user.role, org_id=user.org_id,
                            csrf_token=issued.csrf_token)
    response = JSONResponse(payload.model_dump())
    start_session(request, response, user, issued)
    return response


@router.post("/auth/logout", status_code=204, responses=error_responses(403))
def api_logout(request: Request) -> Response:
    """End this session (it needs the ``X-CSRF-Token`` header): every copy of its cookie stops working."""
    data = signed_session(request)
    if data is not None:
        check_csrf(request, None, data)
        end_current_session(request, data)
    response = Response(status_code=204)
    end_session(response)
    return response


@router.post("/auth/logout-all", status_code=204, responses=error_responses(401, 403))
def api_logout_all(request: Request, auth: ApiAuth) -> Response:
    """Sign out everywhere: end every session of the caller, this one included (``X-CSRF-Token`` needed)."""
    check_csrf(request, None, auth)
    ctx = web(request)
    ctx.sessions.end_all(ctx.database(), auth.viewer.id, via="api")
    response = Response(status_code=204)
    end_session(response)
    return response


@router.get("/me", response_model=Me, responses={**error_responses(401), **ex.example(ex.ME)})
def me(auth: ApiAuth) -> Me:
    v = auth.viewer
    return Me(id=v.id, email=v.email, name=v.name, role=v.role, org_id=v.org_id)


@router.get("/reps", response_model=list[RepView], response_model_exclude_none=True,
            responses={**error_responses(401), **ex.example([ex.REP])})
def list_reps(request: Request, response: Response, auth: ApiAuth, db: ReadDB, user_id: DbIdQuery = None,
              scenario: OptionalSearchText = None, limit: Limit = 100, offset: Offset = 0) -> list[RepView]:
    """Reps the caller may see, newest first: a learner their own, a manager their teams', an admin their
    organisation's. Other people's private reps appear as summaries (``summary_only``: no transcript). A plain
    list (as ever); when more follow, the ``Link`` header names the next page (``rel="next"``)."""
    rows = list_visible_reps(db, auth.viewer, user_id=user_id, scenario=scenario, limit=limit + 1, offset=offset)
    link_next(request, response, offset, limit, min(len(rows), limit), len(rows) > limit)
    return rows[:limit]


@router.get("/reps/{rep_id}", response_model=RepView, response_model_exclude_none=True,
            responses={**error_responses(401, 404), **ex.example(ex.REP_FULL)})
def get_rep(rep_id: DbId, request: Request, auth: ApiAuth, db: ReadDB) -> Any:
    """One rep with its transcript and scorecard (docs/scoring.md, "The scorecard (JSON)"); 404 when the caller may not
    see it."""
    found = get_visible_rep(db, auth.viewer, rep_id)
    view = rep_view(db, auth.viewer, found[0]) if found else None
    if view is None or found is None:
        raise HTTPException(status_code=404, detail="no such rep")
    audit.record_view(web(request).database(), auth.viewer, "rep.viewed", "rep", rep_id, found[0].user_id, "api")
    return view


class StartRep(BaseModel):
    scenario: str = Field(max_length=MAX_QUERY_CHARS, description="a scenario id, as in the library or "
                          "`sparring scenarios list`", examples=["cs-renewal-discount"])
    difficulty: Difficulty = "medium"
    private: bool = False


class TurnIn(BaseModel):
    text: str = Field(description="the learner's line: at most 4,000 characters after whitespace is collapsed; "
                      "no NUL or unpaired surrogates (400); bidirectional override characters are removed")
    speech_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                  description="the recording this line was heard from (`POST /api/reps/{rep_id}/"
                                              "speech`), as heard or corrected: its delivery counts for this turn")


class TurnOut(BaseModel):
    rep_id: int
    learner_turn: dict[str, Any]
    reply: dict[str, Any] | None
    outcome: str
    ended: bool
    engine: str
    fallback_reason: str | None = None


def _write_guard(request: Request, auth: ApiAuth) -> None:
    _require_json(request)
    check_csrf(request, None, auth)


def _own_or_404(request: Request, auth: ApiAuth, rep_id: int) -> None:
    with web(request).database().read() as s:
        if get_own_rep(s, auth.viewer, rep_id) is None:
            raise HTTPException(status_code=404, detail="no such rep")


def _view(request: Request, auth: ApiAuth, rep_id: int) -> RepView:
    with web(request).database().read() as s:
        found = get_visible_rep(s, auth.viewer, rep_id)
        view = rep_view(s, auth.viewer, found[0]) if found else None
        assert view is not None
        return view


@router.post("/reps", response_model=RepView, status_code=201, response_model_exclude_none=True,
             responses={**error_responses(400, 401, 403, 404, 409, 503), **ex.example(ex.STARTED, 201)})
def start_rep(body: StartRep, request: Request, auth: ApiAuth) -> Any:
    """Start a rep as the caller: the persona's opening line is turn 0."""
    _write_guard(request, auth)
    user = Accounts(web(request).database()).get_user(auth.viewer.id)
    try:
        rep = practice_service(request).start_rep(user, body.scenario, body.difficulty, private=body.private)
    except UnknownContentError as exc:
        raise HTTPException(status_code=404, detail=exc.brief) from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return _view(request, auth, rep.id)


@router.post("/reps/{rep_id}/turns", response_model=TurnOut,
             responses={**error_responses(400, 401, 403, 404, 409, 503), **ex.example(ex.TURN)})
def post_turn(rep_id: DbId, body: TurnIn, request: Request, auth: ApiAuth) -> TurnOut:
    """Say one line in your own rep. It is committed before the persona runs; the reply comes back whole
    (the practice page streams it over SSE instead). A rep that ends on this reply is scored."""
    _write_guard(request, auth)
    svc = practice_service(request)
    try:
        spoken = speech_hook(request, auth.viewer.id, rep_id, body.speech_id)  # a recording is checked first
        result = svc.submit_turn(rep_id, body.text, owner_id=auth.viewer.id,  # only the caller's own rep
                                 on_saved=spoken)
        if result.ended:
            svc.score_rep(rep_id)
    except NotFound as exc:  # not the viewer's rep (or none): the same answer either way
        detail = "no such rep" if str(exc).startswith("unknown rep") else str(exc)
        raise HTTPException(status_code=404, detail=detail) from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return TurnOut(rep_id=rep_id, learner_turn=result.learner_turn.model_dump(),
                   reply=result.reply.model_dump() if result.reply else None, outcome=result.outcome,
                   ended=result.ended, engine=result.engine, fallback_reason=result.fallback_reason)


@router.post("/reps/{rep_id}/end", response_model=RepView, response_model_exclude_none=True,
             responses={**error_responses(401, 403, 404, 409, 415, 503), **ex.example(ex.REP_FULL)})
def end_rep(rep_id: DbId, request: Request, auth: ApiAuth) -> Any:
    """End your own rep early and score it; returns the rep with its scorecard. Takes no body (send none, or
    ``{}`` as application/json); the ``X-CSRF-Token`` header is required."""
    _require_json_or_no_body(request)
    check_csrf(request, None, auth)
    _own_or_404(request, auth, rep_id)
    svc = practice_service(request)
    try:
        rep = svc.end_rep(rep_id)
        if rep.scorecard is None and rep.turn_count > 1:
            svc.score_rep(rep_id)
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return _view(request, auth, rep_id)
