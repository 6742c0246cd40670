"""Request-scoped helpers: database sessions, the signed-in user, CSRF checks and page rendering."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from sparring.inputs import InputError
from sparring.services.access import Viewer
from sparring.services.errors import ServiceError
from sparring.services.login_sessions import LoginSessions
from sparring.store.db import Database, get_database
from sparring.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginThrottle,
    SessionCodec,
    SessionData,
)

ANON_COOKIE = "sparring_pre"


@dataclass
class WebContext:
    """Everything the app built once at start-up (stored on ``app.state.web``)."""

    codec: SessionCodec
    throttle: LoginThrottle
    templates: Jinja2Templates
    secure_cookies: bool
    database_url: str
    #: SQLite ``synchronous`` of the database (the setting), used if this process opens it first
    sqlite_synchronous: str = "normal"
    #: server-side sessions (their timeouts and clock); every worker reads the same table
    sessions: LoginSessions = field(default_factory=LoginSessions)

    def database(self) -> Database:
        return get_database(self.database_url, self.sqlite_synchronous)


def web(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.web
    return ctx


def read_db(request: Request) -> Iterator[Session]:
    with web(request).database().read() as s:
        yield s


def write_db(request: Request) -> Iterator[Session]:
    with web(request).database().session() as s:
        yield s


ReadDB = Annotated[Session, Depends(read_db)]
WriteDB = Annotated[Session, Depends(write_db)]


class NotSignedIn(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""


@dataclass(frozen=True)
class Auth:
    viewer: Viewer
    #: the session's token (its CSRF token is an HMAC of it) and row id; for an API token (``bearer``) the
    #: token's row id and an empty session token
    token: str
    session_id: int
    #: authenticated by ``Authorization: Bearer`` (an API token): no cookie, so no CSRF token is needed
    bearer: bool = False


def _session_user(request: Request) -> Auth | None:
    """The signed-in user: a validly signed cookie whose server-side session is live and whose user is active."""
    data = web(request).codec.read(request.cookies.get(SESSION_COOKIE))
    return None if data is None else session_auth(request, data)


def session_auth(request: Request, data: SessionData) -> Auth | None:
    """The user of a validly signed session cookie, if the session still lives: one query on every request
    (the session row joined with its user), so logging out, a password reset, a role change or a deactivation
    ends the session at once, in every worker."""
    cached: Auth | None = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    ctx = web(request)
    found = ctx.sessions.check(ctx.database(), data.token)
    if found is None:
        return None
    viewer = Viewer(id=found.user_id, org_id=found.org_id, role=found.role, name=found.name, email=found.email)
    auth = Auth(viewer=viewer, token=data.token, session_id=found.session_id)
    request.state.auth = auth
    return auth


async def page_session(request: Request) -> SessionData:
    """The signed session cookie only (no database; runs on the event loop). For a route that checks the
    user with ``session_auth`` in the worker thread it runs anyway, saving a thread hop per request."""
    data = web(request).codec.read(request.cookies.get(SESSION_COOKIE))
    if data is None:
        raise NotSignedIn()
    return data


def optional_auth(request: Request) -> Auth | None:
    return _session_user(request)


def page_auth(request: Request) -> Auth:
    auth = _session_user(request)
    if auth is None:
        raise NotSignedIn()
    return auth


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header ("" for a malformed one), or None without the header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _token_user(request: Request, secret: str) -> Auth | None:
    cached: Auth | None = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    from sparring.services.api_tokens import check_token

    found = check_token(web(request).database(), secret) if secret else None
    if found is None:
        return None
    auth = Auth(viewer=found.viewer, token="", session_id=found.token_id, bearer=True)
    request.state.auth = auth
    return auth


def api_auth(request: Request) -> Auth:
    """The caller of an API route: an API token (``Authorization: Bearer``; docs/api.md) when the header is
    there — a wrong, revoked or expired one is a 401 even with a session cookie — else the session cookie."""
    secret = bearer_token(request)
    auth = _session_user(request) if secret is None else _token_user(request, secret)
    if auth is None:
        detail = "not signed in" if secret is None else "the API token is unknown, revoked or expired"
        raise HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})
    return auth


PageAuth = Annotated[Auth, Depends(page_auth)]
ApiAuth = Annotated[Auth, Depends(api_auth)]
PageSession = Annotated[SessionData, Depends(page_session)]


def require_role(auth: Auth, *roles: str) -> None:
    if auth.viewer.role not in roles:
        raise HTTPException(status_code=403, detail="your role may not use this page")


# --- CSRF --------------------------------------------------------------------------------------------------


def anon_id(request: Request) -> str | None:
    return request.cookies.get(ANON_COOKIE)


def csrf_for(request: Request, auth: Auth | None) -> str:
    """The CSRF token to embed in a page: bound to the session, or to the pre-login cookie."""
    codec = web(request).codec
    if auth is not None:
        return codec.csrf_token(auth.token)
    pre = anon_id(request) or getattr(request.state, "new_anon", None)
    if pre is None:
        pre = secrets.token_urlsafe(16)
        request.state.new_anon = pre
    return codec.anonymous_csrf(pre)


def check_csrf(request: Request, token: str | None, auth: Auth | SessionData | None) -> None:
    """Reject a state-changing request whose token does not match the session (403). A request authenticated
    with an API token needs none: a browser never adds an ``Authorization`` header to a cross-site request, so
    the token itself proves the caller meant it."""
    if isinstance(auth, Auth) and auth.bearer:
        return
    codec = web(request).codec
    token = token or request.headers.get(CSRF_HEADER)
    ok = codec.csrf_ok(auth.token, token) if auth is not None else codec.anonymous_csrf_ok(anon_id(request), token)
    if not ok:
        raise HTTPException(status_code=403, detail="the form expired or did not come from Sparring; reload and retry")


async def form_with_csrf(request: Request, auth: Auth | SessionData | None) -> dict[str, str]:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, data.get(CSRF_FIELD), auth)
    return data


# --- rendering ---------------------------------------------------------------------------------------------

NAV = {
    "learner": [("/", "Practice", "library"), ("/assignments", "Assignments", "assignments"),
                ("/calls", "Calls", "calls"), ("/history", "History", "history"),
                ("/progress", "Progress", "progress"), ("/lines", "Winning lines", "lines")],
    "manager": [("/", "Practice", "library"), ("/team", "Team", "team"),
                ("/team/assignments", "Assignments", "assignments"), ("/programs", "Programs", "programs"),
                ("/calls", "Calls", "calls"),
                ("/history", "My reps", "history"), ("/progress", "Progress", "progress"),
                ("/lines", "Winning lines", "lines")],
    "admin": [("/", "Practice", "library"), ("/team", "Teams", "team"),
              ("/team/assignments", "Assignments", "assignments"), ("/programs", "Programs", "programs"),
              ("/calls", "Calls", "calls"),
              ("/admin/content", "Content", "content"), ("/admin/users", "Admin", "admin"),
              ("/history", "My reps", "history")],
}
#: the admin pages behind the one "Admin" entry, as tabs on each of them (templates/_admin_tabs.html): the page's
#: ``active`` key marks its tab, and "Admin" in the top bar
ADMIN_TABS = [("/admin/users", "People", "users"), ("/admin/integrations", "Integrations", "integrations"),
              ("/admin/data", "Data", "data"), ("/admin/jobs", "Jobs", "jobs")]
ADMIN_KEYS = frozenset(key for _, _, key in ADMIN_TABS)


def render(
    request: Request,
    template: str,
    auth: Auth | None,
    active: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    ctx = web(request)
    csrf = csrf_for(request, auth)
    flash = request.cookies.get("sparring_flash")
    values: dict[str, Any] = {
        "request": request,
        "user": auth.viewer if auth else None,
        "csrf_token": csrf,
        "active": active,
        "nav_active": "admin" if active in ADMIN_KEYS else active,
        "admin_tabs": ADMIN_TABS,
        "nav_items": NAV.get(auth.viewer.role, []) if auth else [],
        "unread": _unread(request, auth),
        "flash": _decode_flash(flash),
        **context,
    }
    response = ctx.templates.TemplateResponse(request, template, values, status_code=status_code)
    finish_response(request, response)
    if flash:
        response.delete_cookie("sparring_flash", path="/")
    return response


def _unread(request: Request, auth: Auth | None) -> int | None:
    """The signed-in user's unread notifications for the navigation bar (one indexed count); None when it cannot
    be read (the page still renders: an error page must not fail on its badge)."""
    if auth is None:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from sparring.services.notifications import unread_count
    from sparring.store.db import DatabaseError

    try:
        with web(request).database().read() as s:
            return unread_count(s, auth.viewer.id)
    except (SQLAlchemyError, DatabaseError):
        return None


def finish_response(request: Request, response: Response) -> None:
    """Set the pre-login cookie if this request minted one."""
    new_anon = getattr(request.state, "new_anon", None)
    if new_anon:
        response.set_cookie(
            ANON_COOKIE, new_anon, httponly=True, samesite="lax", secure=web(request).secure_cookies, path="/"
        )


def set_flash(response: Response, kind: str, text: str) -> None:
    from urllib.parse import quote

    response.set_cookie("sparring_flash", quote(f"{kind}|{text}"), max_age=60, httponly=True, samesite="lax", path="/")


async def flash_after(target: str, work: Callable[[], str], errors: tuple[type[Exception], ...]) -> Response:
    """Run ``work`` (a form's write) in a worker thread, then redirect to ``target`` with its message as an "ok"
    flash, or the text of one of ``errors`` as an "error" flash (the page shows it; nothing half-done is kept)."""
    from starlette.concurrency import run_in_threadpool

    response = RedirectResponse(target, status_code=303)
    try:
        message = await run_in_threadpool(work)
    except errors as exc:
        set_flash(response, "error", str(exc))
        return response
    set_flash(response, "ok", message)
    return response


async def admin_action(request: Request, auth: Auth, target: str, act: Callable[[dict[str, str]], object]) -> Response:
    """An admin page's form POST: admins only, the CSRF token checked, then ``act(form)`` in a worker thread and a
    redirect to ``target`` flashing its message (what it returns, as text) or the text of a ServiceError or an
    InputError it raised (the message names the field; nothing half-done is kept)."""
    require_role(auth, "admin")
    form = await form_with_csrf(request, auth)
    return await flash_after(target, lambda: str(act(form)), (ServiceError, InputError))


def _decode_flash(raw: str | None) -> dict[str, str] | None:
    if not raw:
        return None
    from urllib.parse import unquote

    kind, _, text = unquote(raw).partition("|")
    if kind not in ("ok", "error"):
        return None
    return {"kind": kind, "text": text[:300]}
