"""SCORM (docs/integrations.md, "SCORM"): a package's launch page opens ``/scorm/start`` in a new window; the
learner presses Start (a POST with the CSRF token: a GET starts nothing), and Sparring starts a rep for them and
remembers, in a cookie scoped to that rep's pages, the origin of the launch page that wants the score. The scorecard
page reads it (``scorm_report_origin``) and, when the origin is in ``SPARRING_SCORM_ORIGINS``,
``static/scorm-report.js`` posts the score to ``window.opener``. Admins download a package from
``/admin/integrations/scorm`` (the Integrations page's form), as ``sparring export scorm`` writes one."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.content.errors import UnknownContentError
from sparring.integrations.scorm import (
    DIFFICULTIES,
    VERSIONS,
    PackageSpec,
    ScormError,
    build_package,
    origin_of,
    parse_origins,
)
from sparring.services.accounts import Accounts
from sparring.services.errors import ServiceError
from sparring.web.content_scope import viewer_content
from sparring.web.deps import Auth, PageAuth, form_with_csrf, render, require_role, web
from sparring.web.routes.practice import practice_service, status_for

router = APIRouter(include_in_schema=False)

#: the cookie (path ``/reps/<id>``) naming the launch page's origin
COOKIE = "sparring_scorm"
#: a day: long enough to finish a rep that was left open, short enough not to linger
COOKIE_SECONDS = 24 * 3600


def allowed_origins(request: Request) -> frozenset[str]:
    """The installation's allow-list; a malformed setting is the operator's error and says which entry."""
    try:
        return parse_origins(request.app.state.root.settings.scorm_origins)
    except ScormError as exc:
        raise HTTPException(status_code=500, detail=str(exc)) from exc


def scorm_report_origin(request: Request, rep_id: int) -> tuple[str | None, str | None]:
    """(origin to post the score to, refusal message) for the scorecard page of ``rep_id``: both None when the
    rep was not started from a SCORM package."""
    wanted = request.cookies.get(COOKIE)
    if not wanted:
        return None, None
    origin = origin_of(wanted)
    if origin in allowed_origins(request):
        return origin, None
    return None, (f"This rep was started from a course at {origin}, which this installation does not allow "
                  f"(SPARRING_SCORM_ORIGINS): the score was not sent back.")


@router.get("/scorm/start")
async def start_page(request: Request, auth: PageAuth, scenario: str = "", difficulty: str = "medium",
                     origin: str = "") -> Response:
    """What the package's window opens: the launch checked and a Start button. A GET starts nothing, so another
    site cannot open reps in a signed-in learner's name by linking here; the button POSTs with the CSRF token."""
    return await run_in_threadpool(_start_page, request, auth, scenario, difficulty, origin)


def _start_page(request: Request, auth: Auth, scenario: str, difficulty: str, origin: str) -> Response:
    wanted = _checked(request, scenario, difficulty, origin)
    try:
        found = viewer_content(request, auth.viewer).get_scenario(scenario)
    except UnknownContentError as exc:
        raise HTTPException(status_code=404, detail=f"scenario: {exc.brief}") from exc
    return render(request, "scorm_start.html", auth, active="library", scenario=found, difficulty=difficulty,
                  origin=wanted)


@router.post("/scorm/start")
async def start(request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    return await run_in_threadpool(_start, request, auth, form.get("scenario", ""), form.get("difficulty", ""),
                                   form.get("origin", ""))


def _checked(request: Request, scenario: str, difficulty: str, origin: str) -> str:
    """The launch's origin, once the scenario, difficulty and origin are acceptable (else 400 or 403 naming which)."""
    if not scenario:
        raise HTTPException(status_code=400, detail="scenario: missing (the package's launch page names it)")
    if difficulty not in DIFFICULTIES:
        raise HTTPException(status_code=400, detail=f"difficulty: must be one of {', '.join(DIFFICULTIES)}")
    wanted = origin_of(origin) if origin else ""
    if not wanted.startswith(("http://", "https://")):
        raise HTTPException(status_code=400, detail="origin: missing or not an http(s) origin (the package's "
                                                    "launch page sends it)")
    if wanted not in allowed_origins(request):
        raise HTTPException(status_code=403, detail=(
            f"origin: {wanted} may not receive scores from this installation. An administrator adds the LMS's "
            f"address to SPARRING_SCORM_ORIGINS (docs/integrations.md, \"SCORM\")."))
    return wanted


def _start(request: Request, auth: Auth, scenario: str, difficulty: str, origin: str) -> Response:
    wanted = _checked(request, scenario, difficulty, origin)
    user = Accounts(web(request).database()).get_user(auth.viewer.id)
    try:
        rep = practice_service(request).start_rep(user, scenario, difficulty)
    except UnknownContentError as exc:
        raise HTTPException(status_code=404, detail=f"scenario: {exc.brief}") from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    response = RedirectResponse(f"/reps/{rep.id}", status_code=303)
    response.set_cookie(COOKIE, wanted, max_age=COOKIE_SECONDS, path=f"/reps/{rep.id}", httponly=True,
                        samesite="lax", secure=web(request).secure_cookies)
    return response


@router.get("/admin/integrations/scorm")
def download(request: Request, auth: PageAuth, scenario: str = "", difficulty: str = "medium",
             version: str = "1.2") -> Response:
    """The package of a scenario of the admin's organisation, launching this installation's address
    (``SPARRING_PUBLIC_URL``, else the address this request came to)."""
    require_role(auth, "admin")
    if version not in VERSIONS:
        raise HTTPException(status_code=400, detail=f"version: must be one of {', '.join(VERSIONS)}")
    if not scenario:
        raise HTTPException(status_code=400, detail="scenario: choose the scenario the package opens")
    try:
        found = viewer_content(request, auth.viewer).get_scenario(scenario)
    except (UnknownContentError, ServiceError) as exc:
        raise HTTPException(status_code=404, detail=f"scenario: unknown scenario {scenario!r}") from exc
    if difficulty not in found.difficulties:
        raise HTTPException(status_code=400, detail=f"difficulty: {found.id} offers {', '.join(found.difficulties)}")
    base = request.app.state.root.settings.public_url or str(request.base_url)
    try:
        data = build_package(PackageSpec(found.id, found.title, difficulty, version, base))
    except ScormError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    name = f"sparring-{found.id}-{difficulty}-scorm{version.replace('.', '')}.zip"
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
