"""The JSON API under /api (OpenAPI at /api/openapi.json). Same services and access rules as the pages.

Cookie-authenticated writes must be ``application/json`` (a cross-site HTML form cannot send that without a
CORS preflight, which this app never grants) and carry the ``X-CSRF-Token`` header returned at login.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from sparring.services import people
from sparring.services.access import get_visible_rep
from sparring.services.rep_views import RepView, full_view, list_visible
from sparring.web.deps import ApiAuth, ReadDB, check_csrf, optional_auth, web
from sparring.web.routes.auth import end_session, start_session

router = APIRouter(prefix="/api", tags=["api"])


class LoginRequest(BaseModel):
    email: str
    password: str


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


def _require_json(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(status_code=415, detail="send the request body as application/json")


@router.post("/auth/login", response_model=LoginResponse,
             responses={401: {"description": "bad credentials"}, 429: {"description": "too many failed attempts"}})
def api_login(body: LoginRequest, request: Request) -> Response:
    """Check the e-mail and password and set the session cookie (401 on bad credentials)."""
    _require_json(request)
    throttle = web(request).throttle
    wait = throttle.blocked_for(body.email)
    if wait:
        return JSONResponse({"detail": "too many failed attempts for this address; try again later"},
                            status_code=429, headers={"Retry-After": str(int(wait) + 1)})
    user = people.authenticate(web(request).database(), body.email, body.password)
    if user is None:
        throttle.failed(body.email)
        return JSONResponse({"detail": "wrong e-mail or password"}, status_code=401)
    throttle.succeeded(body.email)
    issued = web(request).codec.issue(user.id, user.password_hash or "")
    data = web(request).codec.read(issued)
    assert data is not None
    payload = LoginResponse(id=user.id, email=user.email, name=user.name, role=user.role, org_id=user.org_id,
                            csrf_token=web(request).codec.csrf_token(data.nonce))
    response = JSONResponse(payload.model_dump())
    start_session(request, response, user, cookie=issued)
    return response


@router.post("/auth/logout", status_code=204)
def api_logout(request: Request) -> Response:
    auth = optional_auth(request)
    if auth is not None:
        check_csrf(request, None, auth)
    response = Response(status_code=204)
    end_session(response)
    return response


@router.get("/me", response_model=Me)
def me(auth: ApiAuth) -> Me:
    v = auth.viewer
    return Me(id=v.id, email=v.email, name=v.name, role=v.role, org_id=v.org_id)


@router.get("/reps", response_model=list[RepView], response_model_exclude_none=True)
def list_reps(auth: ApiAuth, db: ReadDB, user_id: int | None = None, scenario: str | None = None,
              limit: int = 100, offset: int = 0) -> list[RepView]:
    """Reps the caller may see, newest first: a learner their own, a manager their teams', an admin their
    organisation's. Other people's private reps appear as summaries (``summary_only``: no transcript)."""
    limit = max(1, min(limit, 500))
    return list_visible(db, auth.viewer, user_id=user_id, scenario=scenario, limit=limit, offset=max(0, offset))


@router.get("/reps/{rep_id}", response_model=RepView, response_model_exclude_none=True,
            responses={404: {"description": "no such rep, or the caller may not see it"}})
def get_rep(rep_id: int, auth: ApiAuth, db: ReadDB) -> Any:
    """One rep with its transcript and scorecard (SCORECARD of CONTRACT.md); 404 when the caller may not
    see it."""
    found = get_visible_rep(db, auth.viewer, rep_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such rep")
    rep, access = found
    return full_view(db, auth.viewer, rep, access)
