"""The LTI 1.3 tool's endpoints (docs/lti.md): the platform's login initiation (``/lti/login``), the launch
(``/lti/launch``), the tool's public keys (``/lti/jwks``) and the deep-linking page (``/lti/deep-link/<id>``).

``/lti/login`` and ``/lti/launch`` are called by the platform's browser redirect and form post (cross-site, no
session, no CSRF token: the id_token's signature, the single-use state and the nonce are what protect them). A
refused launch is a page that names what failed (status 400), recorded in the organisation's audit log when the
registration is known; never a 500. The rules live in ``sparring.services.lti_*``; this module adapts them.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from sparring.content.errors import UnknownContentError
from sparring.integrations import lti
from sparring.services import lti_deep_linking, lti_launch, programs
from sparring.services.accounts import Accounts
from sparring.services.errors import ServiceError
from sparring.services.lti_registrations import http_config, published_jwks
from sparring.store.models import User
from sparring.web.content_scope import viewer_content
from sparring.web.deps import Auth, PageAuth, form_with_csrf, render, web
from sparring.web.params import DbId
from sparring.web.routes.auth import start_session
from sparring.web.routes.practice import practice_service, status_for

router = APIRouter(include_in_schema=False)


def base_url(request: Request) -> str:
    """The address platforms reach Sparring at: ``SPARRING_PUBLIC_URL``, else the address of this request."""
    return (request.app.state.settings.public_url or str(request.base_url)).rstrip("/")


def launch_url(request: Request) -> str:
    return base_url(request) + "/lti/launch"


def refused_page(request: Request, message: str, status: int = 400) -> Response:
    return render(request, "lti_refused.html", None, status_code=status, message=message)


# ---- login initiation and launch -------------------------------------------------------------------------------


async def _params(request: Request) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


@router.get("/lti/login")
@router.post("/lti/login")
async def login(request: Request) -> Response:
    params = await _params(request)
    return await run_in_threadpool(_login, request, params)


def _login(request: Request, params: dict[str, str]) -> Response:
    database = web(request).database()
    try:
        url = lti_launch.login_initiation(database, params, launch_url(request))
    except lti_launch.LaunchRefused as exc:  # not audited: anyone may call this (a launch refusal is)
        return refused_page(request, str(exc))
    return RedirectResponse(url, status_code=302)


@router.post("/lti/launch")
async def launch(request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_launch, request, fields)


def _launch(request: Request, form: dict[str, str]) -> Response:
    database = web(request).database()
    if form.get("error"):
        return refused_page(request, f"The platform answered the login with an error: {form['error'][:100]} "
                                     f"{form.get('error_description', '')[:300]}")
    try:
        verified = lti_launch.verify_launch(database, http_config(request.app.state.settings),
                                            form.get("id_token", ""), form.get("state", ""))
        return _open(request, verified)
    except lti_launch.LaunchRefused as exc:
        lti_launch.refused(database, exc)
        return refused_page(request, str(exc))
    except IntegrityError:  # the same new person launched twice at the same moment: the other launch made them
        return refused_page(request, "account: this person's first launch was being handled at the same moment; "
                                     "start the activity again", status=409)


def _target(verified: lti_launch.VerifiedLaunch) -> str:
    if verified.message_type == lti.DEEP_LINKING_REQUEST:
        return "deep-link"
    custom = verified.custom
    if custom.get(lti_launch.CUSTOM_SCENARIO):
        return "scenario:" + custom[lti_launch.CUSTOM_SCENARIO]
    if custom.get(lti_launch.CUSTOM_PROGRAM):
        return "program:" + custom[lti_launch.CUSTOM_PROGRAM]
    raise lti_launch.LaunchRefused(
        f"custom: the link names no {lti_launch.CUSTOM_SCENARIO} or {lti_launch.CUSTOM_PROGRAM} parameter; add the "
        "activity with the platform's content selection (deep linking) or set one of them", verified.org_id)


def _open(request: Request, verified: lti_launch.VerifiedLaunch) -> Response:
    database = web(request).database()
    target = _target(verified)
    if target == "deep-link" and lti.role_of(verified.claims.get(lti.ROLES) or []) != "manager":
        raise lti_launch.LaunchRefused("roles: only an Instructor or Administrator may add Sparring activities",
                                       verified.org_id)
    record = lti_launch.record_launch(database, verified, target)
    with database.read() as s:
        user = s.get(User, record.user_id)
        assert user is not None
        s.expunge(user)
    if target == "deep-link":
        destination = f"/lti/deep-link/{record.launch_id}"
    elif target.startswith("program:"):  # leads see its page; learners their home page, with its This week card
        program = _program_id(target.removeprefix("program:"), verified.org_id)
        destination = f"/programs/{program}" if user.role in ("manager", "admin") else "/"
    else:
        scenario = target.removeprefix("scenario:")
        difficulty = verified.custom.get(lti_launch.CUSTOM_DIFFICULTY) or "medium"
        try:
            rep = practice_service(request).start_rep(Accounts(database).get_user(user.id), scenario, difficulty)
        except UnknownContentError as exc:
            raise lti_launch.LaunchRefused(f"{lti_launch.CUSTOM_SCENARIO}: {exc.brief}", verified.org_id) from exc
        except ServiceError as exc:
            raise lti_launch.LaunchRefused(f"{lti_launch.CUSTOM_SCENARIO}: {exc}", verified.org_id) from exc
        lti_launch.attach_rep(database, record.launch_id, rep.id)
        destination = f"/reps/{rep.id}"
    response = RedirectResponse(destination, status_code=303)
    start_session(request, response, user, method="lti")
    return response


def _program_id(text: str, org_id: int) -> str:
    if not text.isdigit() or len(text) > 12:
        raise lti_launch.LaunchRefused(f"{lti_launch.CUSTOM_PROGRAM}: {text[:40]!r} is not a program id", org_id)
    return text


# ---- the tool's keys ---------------------------------------------------------------------------------------------


@router.get("/lti/jwks")
def jwks(request: Request) -> Response:
    with web(request).database().read() as s:
        doc = published_jwks(s)
    return JSONResponse(doc, headers={"Cache-Control": "public, max-age=300"})


# ---- deep linking ------------------------------------------------------------------------------------------------


def _pending(request: Request, auth: Auth, launch_id: int) -> lti_deep_linking.DeepLinkRequest:
    with web(request).database().read() as s:
        try:
            return lti_deep_linking.pending_request(s, auth.viewer, launch_id)
        except ServiceError as exc:
            raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc


@router.get("/lti/deep-link/{launch_id}")
def deep_link_page(launch_id: DbId, request: Request, auth: PageAuth) -> Response:
    pending = _pending(request, auth, launch_id)
    scenarios = viewer_content(request, auth.viewer).list_scenarios()
    with web(request).database().read() as s:
        found = programs.list_programs(s, auth.viewer)
    return render(request, "lti_deep_link.html", auth, pending=pending, scenarios=scenarios,
                  programs=[p for p in found if p.status == "active"])


@router.post("/lti/deep-link/{launch_id}")
async def deep_link_answer(launch_id: DbId, request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    return await run_in_threadpool(_answer, request, auth, launch_id, form)


def _answer(request: Request, auth: Auth, launch_id: int, form: dict[str, str]) -> Response:
    kind, _, target = (form.get("choice") or "").partition(":")
    title = ""
    try:
        if kind == "scenario":
            title = viewer_content(request, auth.viewer).get_scenario(target).title
        elif kind == "program":
            with web(request).database().read() as s:
                title = programs.get_program(s, auth.viewer, int(target) if target.isdigit() else 0).name
        answer = lti_deep_linking.answer(web(request).database(), auth.viewer, launch_id, kind=kind, target=target,
                                         title=title, difficulty=form.get("difficulty", "medium"),
                                         launch_url=launch_url(request))
    except UnknownContentError as exc:
        raise HTTPException(status_code=400, detail=f"choice: {exc.brief}") from exc
    except ServiceError as exc:
        raise HTTPException(status_code=status_for(exc), detail=str(exc)) from exc
    return autopost(answer.return_url, {"JWT": answer.jwt}, "Adding the activity to your course…")


def autopost(url: str, fields: dict[str, str], heading: str) -> Response:
    """A page that posts ``fields`` to ``url`` (another site: the platform) by itself, with a button as fallback.
    Its own CSP lets this one form post to the platform's origin."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}</title>'
            f'<script src="/static/lti-autopost.js" defer></script></head><body>'
            f'<form id="lti-autopost" method="post" action="{html.escape(url)}">{inputs}'
            f"<p>{html.escape(heading)}</p><button type=\"submit\">Continue</button></form></body></html>")
    csp = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
           f"frame-ancestors 'none'; form-action 'self' {origin}")
    return HTMLResponse(body, headers={"Content-Security-Policy": csp})
