"""The sponsor report from the program page (docs/programs.md, "The sponsor report"): ``POST
/programs/{id}/report`` queues the ``render_report`` job for the signed-in lead and sends them to
``/programs/{id}/report/{job_id}``, which says how far it is (refreshing itself) and, once written, downloads the
file. Only the lead who queued a report may fetch it; the rules are in ``services.sponsor_report``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.services import sponsor_report
from sparring.services.errors import NotFound
from sparring.web.app import job_queue
from sparring.web.deps import PageAuth, form_with_csrf, render, require_role, web
from sparring.web.params import DbId

router = APIRouter(include_in_schema=False)
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.post("/programs/{program_id}/report")
async def queue_report(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)
    fmt = form.get("format", "pdf").strip()

    def work() -> int:
        return sponsor_report.queue_report(web(request).database(), job_queue(request.app), auth.viewer, program_id,
                                           fmt).id

    try:
        job_id = await run_in_threadpool(work)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program") from exc
    return RedirectResponse(f"/programs/{program_id}/report/{job_id}", status_code=303)


@router.get("/programs/{program_id}/report/{job_id}")
def report(program_id: DbId, job_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    try:
        job = sponsor_report.report_job(job_queue(request.app), auth.viewer, program_id, job_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such report") from exc
    if job.status == "done" and job.result:
        data_dir = Path(request.app.state.root.settings.data_dir).resolve()
        path = (data_dir / str(job.result["path"])).resolve()
        if not path.is_relative_to(data_dir / sponsor_report.FOLDER) or not path.is_file():
            raise HTTPException(status_code=410, detail="the report file is gone: write it again")
        fmt = str(job.result.get("format", "pdf"))
        return FileResponse(path, media_type=MEDIA.get(fmt, "application/octet-stream"),
                            filename=f"sponsor-report-program-{program_id}.{fmt}",
                            headers={"Cache-Control": "no-store"})
    return render(request, "program_report.html", auth, active="programs", program_id=program_id, job=job)
