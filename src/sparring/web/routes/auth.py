"""Log in, log out, and first-run administrator creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sparring.services import people
from sparring.services.login_guard import LoginResult
from sparring.store.models import User
from sparring.store.sso_models import SsoProviderRow
from sparring.web.deps import (
    PageAuth,
    ReadDB,
    form_with_csrf,
    optional_auth,
    page_auth,
    render,
    set_flash,
    web,
)
from sparring.web.login import WRONG_CODE, throttled_message
from sparring.web.security import SESSION_COOKIE, SessionData

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only local paths: an attacker must not turn the login form into an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@dataclass(frozen=True)
class IssuedSession:
    """A session just started: the cookie value to set and the session's CSRF token."""

    cookie: str
    csrf_token: str


def issue_session(request: Request, user: User, *, via: str = "web", method: str = "password") -> IssuedSession:
    """Start a server-side session for ``user`` (a row in the ``sessions`` table; the sign-in audited with ``via``
    and ``method``); blocking database work."""
    ctx = web(request)
    before = signed_session(request)  # a session this browser held until now (another account, say) ends
    token = ctx.sessions.start(ctx.database(), user.id, request.headers.get("user-agent"),
                               replaces=before.token if before else None, via=via, method=method)
    return IssuedSession(cookie=ctx.codec.issue(token), csrf_token=ctx.codec.csrf_token(token))


def start_session(request: Request, response: Response, user: User, issued: IssuedSession | None = None, *,
                  method: str = "password") -> None:
    """Start a session for ``user`` (unless ``issued`` already did; the sign-in audited with ``method``: password,
    sso or lti) and set its cookie on ``response``."""
    ctx = web(request)
    issued = issued or issue_session(request, user, method=method)
    response.set_cookie(
        SESSION_COOKIE,
        issued.cookie,
        max_age=ctx.codec.max_age,
        httponly=True,
        samesite="lax",
        secure=ctx.secure_cookies,
        path="/",
    )


def end_session(response: Response) -> None:
    """Delete the session cookie (the server-side session is ended by ``end_current_session``)."""
    response.delete_cookie(SESSION_COOKIE, path="/")


def signed_session(request: Request) -> SessionData | None:
    """The validly signed session cookie of the request, if any (no database)."""
    return web(request).codec.read(request.cookies.get(SESSION_COOKIE))


def end_current_session(request: Request, data: SessionData) -> None:
    """End the request's server-side session: every copy of its cookie stops working (audited as
    ``user.signed_out``, ``via`` = ``api`` from /api). Blocking."""
    ctx = web(request)
    ctx.sessions.end(ctx.database(), data.token, via="api" if request.url.path.startswith("/api") else "web")


@router.get("/login")
def login_page(request: Request, db: ReadDB, next: str | None = None) -> Response:
    if optional_auth(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    if not people.has_any_login(db):
        return RedirectResponse("/setup", status_code=303)
    return render(request, "login.html", None, next=safe_next(next), sso=sso_offered(db))


def sso_offered(db: Session) -> bool:
    """Whether any organisation has an enabled identity provider (the login page then offers single sign-on)."""
    return db.scalar(select(SsoProviderRow.id).where(SsoProviderRow.enabled.is_(True)).limit(1)) is not None


def _login_form(request: Request, status_code: int, **context: Any) -> Response:
    with web(request).database().read() as s:
        sso = sso_offered(s)
    return render(request, "login.html", None, status_code=status_code, sso=sso, **context)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await form_with_csrf(request, None)
    # password hashing (argon2, tens of ms) and the database run in a worker thread, not on the event loop
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: dict[str, str]) -> Response:
    email, password = form.get("email", ""), form.get("password", "")
    throttle = web(request).throttle
    database = web(request).database()
    result = throttle.guard.login(database, email, password, throttle.client(request), challenge=True)
    return _login_answer(request, result, email=email, next_url=safe_next(form.get("next")))


def _login_answer(request: Request, result: LoginResult, *, email: str, next_url: str,
                  challenge: str | None = None) -> Response:
    """The page for a login step's result: the session and a redirect, the code step, or the form again."""
    if result.outcome == "ok" and result.user is not None:
        with web(request).database().read() as s:
            user = s.get(User, result.user.id)
            assert user is not None
            s.expunge(user)
        response: Response = RedirectResponse(next_url, status_code=303)
        start_session(request, response, user)
        return response
    if result.outcome in ("code_required", "factor_unreadable") or (
            challenge and result.outcome in ("wrong_code", "throttled", "invalid")):
        # factor_unreadable: the code page again, where a recovery code still works
        error = {"wrong_code": WRONG_CODE.capitalize() + ".", "invalid": (result.problem or "")[:200],
                 "throttled": throttled_message(result).capitalize() + ".",
                 "factor_unreadable": _sentence(result.problem or "")}.get(result.outcome)
        status = {"wrong_code": 401, "throttled": 429, "invalid": 422,
                  "factor_unreadable": 403}.get(result.outcome, 200)
        response = render(request, "login_code.html", None, status_code=status, error=error, next=next_url,
                          challenge=result.challenge or challenge)
    elif result.outcome == "throttled":
        response = _login_form(request, 429, email=email[:320], next=next_url,
                               error=throttled_message(result).capitalize() + ".")
    elif result.outcome == "invalid":
        response = _login_form(request, 422, email="", next=next_url, error=(result.problem or "")[:200])
    elif result.outcome == "sso_required":
        problem = result.problem or ""
        response = _login_form(request, 403, email=email[:320], next=next_url,
                               error=problem[:1].upper() + problem[1:200] + ".")
    elif result.outcome == "expired":
        response = _login_form(request, 401, email="", next=next_url,
                               error="That sign-in has expired or was used up; log in again.")
    else:
        response = _login_form(request, 401, error="Wrong e-mail or password.", email=email[:320], next=next_url)
    if result.outcome == "throttled":
        response.headers["Retry-After"] = result.retry_after_header
    return response


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:400] + "."


@router.post("/login/code")
async def login_code_submit(request: Request) -> Response:
    """The second step of a login with two-factor sign-in: the code for the pending login the form carries."""
    form = await form_with_csrf(request, None)
    return await run_in_threadpool(_login_code, request, form)


def _login_code(request: Request, form: dict[str, str]) -> Response:
    throttle = web(request).throttle
    token = form.get("challenge", "")
    result = throttle.guard.complete(web(request).database(), token, form.get("code", ""),
                                     throttle.client(request))
    return _login_answer(request, result, email="", next_url=safe_next(form.get("next")), challenge=token)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End this browser's session. A signed session cookie needs the session's CSRF token (another site must
    not sign people out); the row is deleted, so a copy of the cookie stops working too."""
    data = signed_session(request)
    if data is not None:
        await form_with_csrf(request, data)
        await run_in_threadpool(end_current_session, request, data)
    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    return response


@router.post("/logout-all")
async def logout_all(request: Request) -> Response:
    """Sign out everywhere: end every session of the signed-in user, this one included."""
    auth = await run_in_threadpool(page_auth, request)
    await form_with_csrf(request, auth)
    ctx = web(request)
    await run_in_threadpool(ctx.sessions.end_all, ctx.database(), auth.viewer.id)
    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    set_flash(response, "ok", "You are signed out on every device.")
    return response


@router.get("/account/sessions")
def account_sessions(request: Request, auth: PageAuth) -> Response:
    """The signed-in user's live sessions, with "Sign out everywhere"."""
    ctx = web(request)
    policy = ctx.sessions.policy
    rows = [
        {"agent": info.agent, "current": info.id == auth.session_id, "created_at": _utc(info.created_at),
         "last_seen_at": _utc(info.last_seen_at), "expires_at": _utc(info.expires_at)}
        for info in ctx.sessions.list_for(ctx.database(), auth.viewer.id)
    ]
    return render(request, "account_sessions.html", auth, active="sessions", sessions=rows,
                  idle_minutes=round(policy.idle_seconds / 60), max_hours=round(policy.max_seconds / 3600))


def _utc(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


@router.get("/setup")
def setup_page(request: Request, db: ReadDB) -> Response:
    if people.has_any_login(db):
        return RedirectResponse("/login", status_code=303)
    return render(request, "setup.html", None, form={})


@router.post("/setup")
async def setup_submit(request: Request) -> Response:
    form = await form_with_csrf(request, None)
    return await run_in_threadpool(_setup, request, form)


def _setup(request: Request, form: dict[str, str]) -> Response:
    database = web(request).database()
    try:
        with database.session() as s:
            user = people.create_first_admin(
                s, form.get("org", ""), form.get("name", ""), form.get("email", ""), form.get("password", "")
            )
            s.expunge(user)
    except people.PeopleError as exc:
        if "already exists" in str(exc) and "administrator" in str(exc):
            return RedirectResponse("/login", status_code=303)
        return render(request, "setup.html", None, status_code=400, error=str(exc), form=form)
    response = RedirectResponse("/admin/users", status_code=303)
    start_session(request, response, user)
    return response
