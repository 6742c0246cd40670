"""Admin page for xAPI delivery to the learning record store (docs/integrations.md, "xAPI"): whether an LRS is
configured, deliveries that failed (dead batches with their last error and a Retry button), those waiting, the
latest sent. The rules are in ``sparring.services.xapi_delivery``; this module only adapts them to a page and a
form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sparring.inputs import InputError
from sparring.services import xapi_delivery
from sparring.services.errors import ServiceError
from sparring.web.app import job_queue
from sparring.web.deps import PageAuth, ReadDB, flash_after, form_with_csrf, render, require_role, web
from sparring.web.params import form_id

router = APIRouter(include_in_schema=False)


@router.get("/admin/xapi")
def xapi_page(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "admin")
    view = xapi_delivery.overview(db, request.app.state.settings, auth.viewer)
    return render(request, "admin_xapi.html", auth, active="integrations", view=view)


@router.post("/admin/xapi/retry")
async def retry_delivery(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    form = await form_with_csrf(request, auth)

    def act() -> str:
        batch_id = form_id(form, "batch")
        job = xapi_delivery.retry(web(request).database(), job_queue(request.app), auth.viewer, batch_id)
        return f"xAPI delivery {batch_id} is queued again (job {job.id})."

    return await flash_after("/admin/xapi", act, (ServiceError, InputError))
