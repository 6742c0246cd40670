"""Assignment pages (docs/assignments.md): the learner's inbox (``/assignments``: status, due day, start practising,
submit a rep as my best), the manager's list and assignment page (``/team/assignments``: assign to a learner or a
team, status per learner, open the submitted rep, mark it reviewed), comments on a turn (posted from the rep's
scorecard page), and notifications (``/notifications``).

Every rule is in the services (``services.assignments``, ``services.comments``, ``services.notifications``); a
form is a POST with the CSRF token; what a viewer may not see answers 404, whether or not it exists.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.content.scenario import DIFFICULTIES, Scenario
from sparring.inputs import InputError
from sparring.services import assignments, comments, notifications
from sparring.services.access import managed_team_ids
from sparring.services.content import ContentService
from sparring.services.dashboards import team_dashboard
from sparring.services.errors import InvalidInput, NotFound, ServiceError
from sparring.store.models import Team
from sparring.web.content_scope import viewer_content
from sparring.web.deps import PageAuth, ReadDB, flash_after, form_with_csrf, render, require_role, web
from sparring.web.params import DbId, form_id, form_index

router = APIRouter(include_in_schema=False)


# ---- the learner's inbox ------------------------------------------------------------------------------------


@router.get("/assignments")
def inbox(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    items = assignments.inbox(db, auth.viewer)
    return render(request, "assignments.html", auth, active="assignments", items=items)


@router.post("/assignments/{assignee_id}/submit")
async def submit(assignee_id: DbId, request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    try:
        rep_id = form_id(form, "rep")
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc

    def work() -> str:
        with web(request).database().session() as s:
            assignments.submit(s, auth.viewer, assignee_id, rep_id)
        return f"Rep {rep_id} submitted as your best. Your manager has been told."

    try:
        return await flash_after("/assignments", work, (InvalidInput,))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such assignment") from exc


# ---- the manager's pages --------------------------------------------------------------------------------------


def _teams(db: ReadDB, auth: PageAuth) -> list[Team]:
    ids = managed_team_ids(db, auth.viewer)
    return [t for t in (db.get(Team, i) for i in ids) if t is not None]


@router.get("/team/assignments")
def manager_list(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "manager", "admin")
    views = assignments.managed_assignments(db, auth.viewer)
    teams = _teams(db, auth)
    learners = team_dashboard(db, auth.viewer).learners if teams else []
    scenarios = viewer_content(request, auth.viewer).list_scenarios()
    return render(request, "team_assignments.html", auth, active="assignments", views=views, teams=teams,
                  learners=learners, scenarios=scenarios, difficulties=DIFFICULTIES,
                  today=datetime.now(UTC).date().isoformat())


@router.post("/team/assignments")
async def create(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)
    database = web(request).database()
    scope: ContentService = viewer_content(request, auth.viewer)

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return scope.get_scenario(scenario_id)  # the viewer's organisation: the service checked org_id is theirs

    def work() -> str:
        try:
            reps = int(form.get("reps", "").strip() or "0")
        except ValueError:
            raise InvalidInput("reps: give a whole number of reps") from None
        due_on = assignments.parse_due(form.get("due", ""))
        with database.session() as s:
            view = assignments.assign(s, auth.viewer, scenario_for, form.get("scenario", ""), form.get("to", ""),
                                      reps=reps, due_on=due_on, difficulty=form.get("difficulty", "medium"),
                                      submit_best=form.get("submit_best") == "on", note=form.get("note", ""))
        return f"Assigned {view.title} to {len(view.learners)} learner{'' if len(view.learners) == 1 else 's'}."

    return await flash_after("/team/assignments", work, (ServiceError,))


@router.get("/team/assignments/{assignment_id}")
def manager_page(assignment_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "manager", "admin")
    try:
        view = assignments.managed_assignment(db, auth.viewer, assignment_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such assignment") from exc
    return render(request, "team_assignment.html", auth, active="assignments", view=view)


@router.post("/team/assignments/{assignment_id}/review")
async def review(assignment_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)
    try:
        assignee_id = form_id(form, "assignee")
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc

    def work() -> str:
        with web(request).database().session() as s:
            if assignments.review(s, auth.viewer, assignee_id) != assignment_id:
                raise NotFound("no such assignment")
        return "Marked reviewed. The learner has been told."

    try:
        return await flash_after(f"/team/assignments/{assignment_id}", work, (InvalidInput,))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such assignment") from exc


# ---- comments on a turn ------------------------------------------------------------------------------------------


@router.post("/conversations/{conversation_id}/comments")
async def comment(conversation_id: DbId, request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    try:
        turn = form_index(form, "turn")
        back = form_id(form, "rep")
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc

    def work() -> str:
        with web(request).database().session() as s:
            comments.add_comment(s, auth.viewer, conversation_id, turn, form.get("text", ""))
        return "Comment added. The learner will see it beside the line."

    try:
        return await flash_after(f"/reps/{back}/scorecard#turn-{turn}", work, (InvalidInput,))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such conversation") from exc


# ---- notifications ------------------------------------------------------------------------------------------------


@router.get("/notifications")
def notification_list(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    items = notifications.list_notifications(db, auth.viewer.id)
    return render(request, "notifications.html", auth, active="notifications", items=items)


@router.post("/notifications/{notification_id}/open")
async def open_one(notification_id: DbId, request: Request, auth: PageAuth) -> Response:
    await form_with_csrf(request, auth)

    def work() -> str | None:
        with web(request).database().session() as s:
            return notifications.open_notification(s, auth.viewer.id, notification_id)

    link = await run_in_threadpool(work)
    if link is None:
        raise HTTPException(status_code=404, detail="no such notification")
    return RedirectResponse(link, status_code=303)


@router.post("/notifications/read")
async def read_all(request: Request, auth: PageAuth) -> Response:
    await form_with_csrf(request, auth)

    def work() -> str:
        with web(request).database().session() as s:
            n = notifications.mark_all_read(s, auth.viewer.id)
        return f"{n} notification{'' if n == 1 else 's'} marked read."

    return await flash_after("/notifications", work, ())
