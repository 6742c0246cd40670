"""Admin page: erase a person on request (docs/data-ownership.md, "Erasing a person"). A confirmation page says
what will go (``sparring.services.erasure.plan``); the erasure needs the person's e-mail typed again."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.services import erasure
from sparring.services.errors import Conflict, NotFound
from sparring.web.deps import PageAuth, ReadDB, form_with_csrf, render, require_role, set_flash, web
from sparring.web.params import DbId

router = APIRouter(include_in_schema=False)

#: table → what its rows are, in the admin's words (a table not listed shows under its own name)
WHAT = {
    "users": "the account", "conversations": "conversations (practice reps and imported calls)",
    "reps": "practice reps", "turns": "lines said in them", "scorecards": "scorecards",
    "criterion_results": "criterion results", "call_summaries": "call summaries and moments",
    "participants": "call participants", "turn_comments": "comments on their conversations",
    "speech_takes": "spoken-turn transcripts", "winning_lines": "saved winning lines", "usage": "LLM usage records",
    "assignees": "assignments given to them", "program_enrolments": "program enrolments",
    "certificates": "certificates", "certification_attempts": "certification attempts",
    "notifications": "notifications", "sessions": "sign-in sessions", "team_members": "team memberships",
    "coaching_loops": "coaching loops", "login_challenges": "sign-in challenges", "recovery_codes": "recovery codes",
    "team_lines": "team-library lines taken from their reps (kept, no longer attributed)",
    "content_versions": "content they published (kept)", "programs": "programs they created (kept)",
    "assignments": "assignments they gave (kept)",
}


def _plan(request: Request, auth: PageAuth, db: ReadDB, user_id: int) -> erasure.ErasurePlan:
    require_role(auth, "admin")
    try:
        return erasure.plan(db, auth.viewer.org_id, user_id, auth.viewer.id, request.app.state.root.settings.data_dir)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such person") from exc


@router.get("/admin/users/{user_id}/erase")
def confirm(user_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    try:
        found = _plan(request, auth, db, user_id)
    except Conflict as exc:
        response = RedirectResponse("/admin/users", status_code=303)
        set_flash(response, "error", str(exc).removeprefix("user: "))
        return response
    return render(request, "admin_erase.html", auth, active="users", p=found, what=WHAT, error="")


@router.post("/admin/users/{user_id}/erase")
async def erase(user_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    form = await form_with_csrf(request, auth)
    database = web(request).database()
    data_dir = request.app.state.root.settings.data_dir

    def work() -> erasure.ErasurePlan | str:
        with database.read() as s:
            target = erasure.plan(s, auth.viewer.org_id, user_id, auth.viewer.id, data_dir)
        if form.get("email", "").strip().lower() != target.email:
            return "email: type the person's e-mail address to confirm (nothing was erased)"
        return erasure.erase(database, auth.viewer.org_id, user_id, auth.viewer.id, data_dir)

    try:
        done = await run_in_threadpool(work)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such person") from exc
    except Conflict as exc:
        response = RedirectResponse("/admin/users", status_code=303)
        set_flash(response, "error", str(exc).removeprefix("user: "))
        return response
    if isinstance(done, str):
        def page() -> Response:
            with database.read() as s:
                found = erasure.plan(s, auth.viewer.org_id, user_id, auth.viewer.id, data_dir)
            return render(request, "admin_erase.html", auth, active="users", p=found, what=WHAT, error=done,
                          status_code=400)
        return await run_in_threadpool(page)
    response = RedirectResponse("/admin/users", status_code=303)
    if done.problems:
        set_flash(response, "error", f"Erased {done.email}: {done.total} records; {len(done.problems)} of "
                                     f"{len(done.files)} files could not be deleted — remove them from the data folder "
                                     f"by hand: {'; '.join(done.problems)[:600]}")
    else:
        set_flash(response, "ok", f"Erased {done.email}: {done.total} records and {len(done.files)} files.")
    return response
