"""The organisation export from the Integrations page (docs/org-export.md, "From the web"): ``POST
/admin/integrations/org-export`` queues the ``org_export`` job for the signed-in admin and sends them to
``/admin/integrations/org-export/{job_id}``, which says how far it is (refreshing itself) and, once written,
downloads the file. Only the admin who queued an export may fetch it; the rules are in
``services.org_export_job``. Included by ``admin_integrations`` (no entry point of its own)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.services import org_export_job
from sparring.services.errors import NotFound
from sparring.web.app import job_queue
from sparring.web.deps import PageAuth, form_with_csrf, render, require_role, web
from sparring.web.params import DbId

router = APIRouter(include_in_schema=False)


@router.post("/admin/integrations/org-export")
async def queue_export(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    await form_with_csrf(request, auth)

    def work() -> int:
        return org_export_job.queue_export(web(request).database(), job_queue(request.app), auth.viewer).id

    job_id = await run_in_threadpool(work)
    return RedirectResponse(f"/admin/integrations/org-export/{job_id}", status_code=303)


@router.get("/admin/integrations/org-export/{job_id}")
def export(job_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    try:
        job = org_export_job.export_job(job_queue(request.app), auth.viewer, job_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such export") from exc
    if job.status == "done" and job.result:
        data_dir = Path(request.app.state.root.settings.data_dir).resolve()
        path = (data_dir / str(job.result["path"])).resolve()
        if not path.is_relative_to(data_dir / org_export_job.FOLDER) or not path.is_file():
            raise HTTPException(status_code=410, detail="the export file is gone: export again")
        return FileResponse(path, media_type="application/json",
                            filename=f"sparring-{job.result.get('slug', 'organisation')}-{job_id}.json",
                            headers={"Cache-Control": "no-store"})
    return render(request, "admin_org_export.html", auth, active="integrations", job=job)
