"""Admin pages for outgoing webhooks (docs/integrations.md, "Webhooks"): the organisation's endpoints, adding,
editing, turning off and deleting one, its signing secret, its delivery log, a "Send test event" button and
"Send again" for a failed delivery. The rules (an admin sees their organisation's endpoints only) are in
``sparring.services.webhooks``; this module only adapts them to pages and forms."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sparring.integrations.events import DESCRIPTIONS, EVENT_TYPES
from sparring.services import webhooks
from sparring.services.errors import NotFound
from sparring.web.app import job_queue
from sparring.web.deps import PageAuth, admin_action, render, require_role, web
from sparring.web.params import DbId

router = APIRouter(include_in_schema=False)
BASE = "/admin/webhooks"


def _config(request: Request) -> webhooks.WebhookConfig:
    return webhooks.WebhookConfig.from_settings(request.app.state.settings)


def _events(form: dict[str, str]) -> list[str]:
    return [t for t in EVENT_TYPES if form.get(f"event:{t}") == "on"]


def _choices() -> list[tuple[str, str]]:
    return [(t, DESCRIPTIONS[t]) for t in EVENT_TYPES]


@router.get(BASE)
def webhooks_page(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    with web(request).database().read() as s:
        endpoints = webhooks.list_endpoints(s, auth.viewer)
    return render(request, "admin_webhooks.html", auth, active="integrations", endpoints=endpoints, choices=_choices())


@router.get(BASE + "/{endpoint_id}")
def endpoint_page(endpoint_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    with web(request).database().read() as s:
        try:
            endpoint = webhooks.get_endpoint(s, auth.viewer, endpoint_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such webhook endpoint") from exc
        log = webhooks.deliveries(s, auth.viewer, endpoint_id)
    return render(request, "admin_webhook.html", auth, active="integrations", e=endpoint, log=log, choices=_choices())


@router.post(BASE)
async def create_endpoint(request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            endpoint_id = webhooks.create_endpoint(s, auth.viewer, _config(request).policy, form.get("url", ""),
                                                   _events(form), form.get("description", ""))
        return f"Endpoint {endpoint_id} added. Its signing secret is on its page."

    return await admin_action(request, auth, BASE, act)


@router.post(BASE + "/{endpoint_id}")
async def update_endpoint(endpoint_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            webhooks.update_endpoint(s, auth.viewer, _config(request).policy, endpoint_id, form.get("url", ""),
                                     _events(form), form.get("description", ""), form.get("active") == "on")
        return "Endpoint saved."

    return await admin_action(request, auth, f"{BASE}/{endpoint_id}", act)


@router.post(BASE + "/{endpoint_id}/delete")
async def delete_endpoint(endpoint_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            webhooks.delete_endpoint(s, auth.viewer, endpoint_id)
        return f"Endpoint {endpoint_id} and its delivery log deleted."

    return await admin_action(request, auth, BASE, act)


@router.post(BASE + "/{endpoint_id}/secret")
async def rotate_secret(endpoint_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            webhooks.rotate_secret(s, auth.viewer, endpoint_id)
        return "New signing secret made: deliveries from now on are signed with it."

    return await admin_action(request, auth, f"{BASE}/{endpoint_id}", act)


@router.post(BASE + "/{endpoint_id}/test")
async def send_test(endpoint_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        job = webhooks.send_test(job_queue(request.app), _config(request), auth.viewer, endpoint_id)
        return f"Test event queued (job {job.id}); it appears in the delivery log below."

    return await admin_action(request, auth, f"{BASE}/{endpoint_id}", act)


@router.post(BASE + "/{endpoint_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(endpoint_id: DbId, delivery_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        job = webhooks.redeliver(job_queue(request.app), _config(request), auth.viewer, delivery_id)
        return f"Delivery {delivery_id} queued again (job {job.id})."

    return await admin_action(request, auth, f"{BASE}/{endpoint_id}", act)
