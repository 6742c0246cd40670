"""Admin pages for the LTI 1.3 tool (docs/lti.md, "Setting it up"): the values to paste into Moodle or Canvas,
the organisation's platform registrations (add, edit, turn off, delete), the tool's keys (rotate), a
registration's recent score passbacks and its "Sync roster" button. The rules are in ``sparring.services.lti_*``;
this module adapts them to pages and forms (CSRF on every POST, audited by the services)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sparring.services import lti_grades, lti_registrations, lti_roster
from sparring.services.errors import NotFound
from sparring.web.app import job_queue
from sparring.web.deps import PageAuth, admin_action, render, require_role, web
from sparring.web.params import DbId
from sparring.web.routes.lti import base_url

router = APIRouter(include_in_schema=False)
BASE = "/admin/lti"


def _policy(request: Request) -> Any:
    return lti_registrations.http_config(request.app.state.settings).policy


def tool_values(request: Request) -> dict[str, str]:
    base = base_url(request)
    return {"login": base + "/lti/login", "launch": base + "/lti/launch", "jwks": base + "/lti/jwks",
            "deep_link": base + "/lti/launch"}


@router.get(BASE)
def lti_page(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    with web(request).database().read() as s:
        registrations = lti_registrations.list_registrations(s, auth.viewer)
        keys = lti_registrations.keys(s, auth.viewer)
    return render(request, "admin_lti.html", auth, active="integrations", registrations=registrations, keys=keys,
                  tool=tool_values(request))


@router.get(BASE + "/{registration_id}")
def registration_page(registration_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    with web(request).database().read() as s:
        try:
            reg = lti_registrations.get_registration(s, auth.viewer, registration_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such LTI registration") from exc
        scores = lti_grades.recent_scores(s, auth.viewer, registration_id)
    syncs = lti_roster.recent_syncs(web(request).database(), auth.viewer, registration_id)
    return render(request, "admin_lti_registration.html", auth, active="integrations", r=reg, scores=scores,
                  syncs=syncs, tool=tool_values(request))


@router.post(BASE)
async def create_registration(request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            new_id = lti_registrations.create_registration(s, auth.viewer, _policy(request), form)
        return f"Platform registration {new_id} added."

    return await admin_action(request, auth, BASE, act)


@router.post(BASE + "/keys/rotate")
async def rotate_key(request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            kid = lti_registrations.rotate_key(s, auth.viewer)
        return f"New signing key {kid}; the old one stays in the JWKS for 7 days."

    return await admin_action(request, auth, BASE, act)


@router.post(BASE + "/{registration_id}")
async def update_registration(registration_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            lti_registrations.update_registration(s, auth.viewer, _policy(request), registration_id, form,
                                                  form.get("active") == "on")
        return "Registration saved."

    return await admin_action(request, auth, f"{BASE}/{registration_id}", act)


@router.post(BASE + "/{registration_id}/delete")
async def delete_registration(registration_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            lti_registrations.delete_registration(s, auth.viewer, registration_id)
        return f"Registration {registration_id} deleted (the accounts it made stay)."

    return await admin_action(request, auth, BASE, act)


@router.post(BASE + "/{registration_id}/roster")
async def sync_roster(registration_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        job = lti_roster.queue_roster(web(request).database(), job_queue(request.app), auth.viewer, registration_id)
        return (f"Roster sync queued (job {job.id}): it runs in the background; its counts show on this page "
                "when it is done.")

    return await admin_action(request, auth, f"{BASE}/{registration_id}", act)
