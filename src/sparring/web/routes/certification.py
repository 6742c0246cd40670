"""Certification in the browser (docs/programs.md "Certification"): a lead configures a program's certification,
signs off learners who passed and revokes a certificate with a reason after ticking a confirmation (from the program
page, ``/programs/{id}``; managers and learners are told through ``services.certification_notices``); a learner
takes the certification rep (from their This week card). Every rule is in ``services.certification``; forms are
POSTs with the CSRF token; a program the viewer may not see answers 404.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.coaching.certification import BarError, parse_bar
from sparring.content.scenario import Scenario
from sparring.services import certification
from sparring.services.accounts import Accounts
from sparring.services.certification_notices import enqueue_notices
from sparring.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from sparring.web.app import job_queue
from sparring.web.content_scope import viewer_content
from sparring.web.deps import PageAuth, flash_after, form_with_csrf, require_role, set_flash, web
from sparring.web.params import DbId
from sparring.web.routes.practice import practice_service

router = APIRouter(include_in_schema=False)


@router.post("/programs/{program_id}/certification")
async def configure(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)
    scope = viewer_content(request, auth.viewer)

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return scope.get_scenario(scenario_id)

    def criteria_for(org_id: int, found: Scenario) -> list[str]:
        return [c.id for c in scope.get_rubric(found.rubric).criteria]

    def work() -> str:
        lines = [line.strip() for line in form.get("bars", "").replace(",", "\n").splitlines() if line.strip()]
        try:
            bars = dict(parse_bar(line) for line in lines)
        except BarError as exc:
            raise InvalidInput(str(exc)) from None
        attempts = form.get("attempts", "").strip()
        if not attempts.isdigit():
            raise InvalidInput("attempts: give a whole number of attempts")
        with web(request).database().session() as s:
            view = certification.configure(s, auth.viewer, scenario_for, program_id,
                                           scenario_id=form.get("scenario", ""),
                                           difficulty=form.get("difficulty", ""), max_attempts=int(attempts),
                                           bars=bars, criteria_for=criteria_for)
        return f"Certification saved: {view.scenario_id} ({view.difficulty}), {view.max_attempts} attempts."

    try:
        return await flash_after(f"/programs/{program_id}", work, (InvalidInput,))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program") from exc


@router.post("/programs/{program_id}/certification/sign-off")
async def sign_off(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)

    def work() -> str:
        user_id = form.get("user_id", "").strip()
        if not user_id.isdigit():
            raise InvalidInput("user: choose a learner to sign off")
        with web(request).database().session() as s:
            issued = certification.sign_off(s, auth.viewer, program_id, int(user_id))
        enqueue_notices(lambda: job_queue(request.app), program_id, f"issued:{issued.id}")
        return f"{issued.name} is certified on {issued.program}."

    try:
        return await flash_after(f"/programs/{program_id}", work, (InvalidInput, Conflict))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program or learner") from exc


@router.post("/programs/{program_id}/certification/revoke")
async def revoke(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)

    def work() -> str:
        user_id = form.get("user_id", "").strip()
        if not user_id.isdigit():
            raise InvalidInput("user: choose the learner whose certificate is revoked")
        if form.get("confirm", "") != "yes":
            raise InvalidInput("confirm: tick the box to confirm the revocation (nothing was changed)")
        with web(request).database().session() as s:
            revoked = certification.revoke(s, auth.viewer, program_id, int(user_id), form.get("reason", ""))
        enqueue_notices(lambda: job_queue(request.app), program_id, f"revoked:{revoked.id}")
        return f"{revoked.name}'s certificate on {revoked.program} is revoked."

    try:
        return await flash_after(f"/programs/{program_id}#certification", work, (InvalidInput, Conflict))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program or learner") from exc


@router.post("/programs/{program_id}/certification/attempt")
async def attempt(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    await form_with_csrf(request, auth)

    def work() -> int:
        svc = practice_service(request)
        user = Accounts(web(request).database()).get_user(auth.viewer.id)
        return certification.start_attempt(svc, user, program_id)

    try:
        rep_id = await run_in_threadpool(work)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program") from exc
    except ServiceError as exc:
        response = RedirectResponse("/", status_code=303)
        set_flash(response, "error", str(exc))
        return response
    return RedirectResponse(f"/reps/{rep_id}", status_code=303)
