"""Admin page for background jobs: failed jobs with their error and attempts, jobs waiting for a retry, recent
ones; retry a failed job, queue a re-score of a rep. The rules (which jobs an admin sees) are in
``sparring.services.job_admin``; this module only adapts them to pages and forms."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sparring.services import job_admin
from sparring.web.app import job_queue
from sparring.web.deps import PageAuth, admin_action, render, require_role
from sparring.web.params import form_id

router = APIRouter(include_in_schema=False)


@router.get("/admin/jobs")
def jobs_page(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    queue = job_queue(request.app)
    view = job_admin.overview(queue, auth.viewer)
    return render(request, "admin_jobs.html", auth, active="jobs", view=view, backend=queue.backend)


@router.post("/admin/jobs/retry")
async def retry_job(request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        job = job_admin.retry(job_queue(request.app), auth.viewer, form_id(form, "job"))
        return f"Job {job.id} ({job.task}) is queued again."

    return await admin_action(request, auth, "/admin/jobs", act)


@router.post("/admin/jobs/rescore")
async def rescore_rep(request: Request, auth: PageAuth) -> Response:
    from sparring.services.rescoring import enqueue_rescore

    def act(form: dict[str, str]) -> str:
        rep_id = form_id(form, "rep")
        job = enqueue_rescore(job_queue(request.app), auth.viewer.org_id, rep_id)
        return f"Re-scoring rep {rep_id} (job {job.id})."

    return await admin_action(request, auth, "/admin/jobs", act)
