"""Program pages (docs/programs.md): the leads' list (``/programs``), the form for a new program (``/programs/new``),
a program's progress page (``/programs/{id}``: completion chart, reps so far, who is behind, a table per learner)
and enrolling a team or a learner from it. The learner's "This week" card is on the home page (routes/learner.py).

Leads are managers and admins; every rule is in the services (``services.programs``,
``services.program_progress``); a form is a POST with the CSRF token; a program the viewer may not see answers 404.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from sparring.coaching.programs import PACE_LABELS
from sparring.content.scenario import DIFFICULTIES, Scenario
from sparring.reports.charts import bar_chart
from sparring.services import certification, programs
from sparring.services.access import managed_team_ids
from sparring.services.errors import InvalidInput, NotFound, ServiceError
from sparring.services.program_progress import ProgramProgress, program_progress, team_names
from sparring.services.programs import ScenarioChoice
from sparring.store.models import Team, TeamMember, User
from sparring.web.content_scope import viewer_content
from sparring.web.deps import PageAuth, ReadDB, flash_after, form_with_csrf, render, require_role, set_flash, web
from sparring.web.params import DbId

router = APIRouter(include_in_schema=False)
SCENARIO_ROWS = 8  # scenario rows on the form


def _lead(auth: PageAuth) -> None:
    require_role(auth, "manager", "admin")


@router.get("/programs")
def program_list(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    _lead(auth)
    views = programs.list_programs(db, auth.viewer)
    today = datetime.now(UTC).date()
    rows = [(v, program_progress(db, auth.viewer, v.id)) for v in views]
    return render(request, "programs.html", auth, active="programs", rows=rows, today=today)


def _form_choices(request: Request, db: ReadDB, auth: PageAuth) -> dict[str, Any]:
    teams = [t for t in (db.get(Team, i) for i in managed_team_ids(db, auth.viewer)) if t is not None]
    q = select(User).where(User.org_id == auth.viewer.org_id, User.is_active.is_(True), User.role == "learner")
    if not auth.viewer.is_admin:
        q = q.join(TeamMember, TeamMember.user_id == User.id).where(
            TeamMember.team_id.in_([t.id for t in teams] or [-1]))
    learners = sorted({u.id: u for u in db.scalars(q)}.values(), key=lambda u: (u.name or u.email).lower())
    return {"teams": teams, "learners": learners, "scenarios": viewer_content(request, auth.viewer).list_scenarios(),
            "difficulties": DIFFICULTIES, "rows": SCENARIO_ROWS}


def _blank_form() -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {"name": "", "description": "", "start": today.isoformat(),
            "end": (today + timedelta(days=29)).isoformat(), "target": "10", "target_max": "", "pass_bar": "",
            "teams": [], "users": [], "scenario": [""] * SCENARIO_ROWS, "week": [""] * SCENARIO_ROWS,
            "difficulty": [""] * SCENARIO_ROWS}


@router.get("/programs/new")
def new_program(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    _lead(auth)
    return render(request, "program_new.html", auth, active="programs", f=_blank_form(), error=None,
                  **_form_choices(request, db, auth))


def _parse_choices(f: dict[str, Any]) -> list[ScenarioChoice]:
    out = []
    for i in range(SCENARIO_ROWS):
        sid = f["scenario"][i].strip()
        if not sid:
            continue
        week = programs.parse_number(f["week"][i], f"week (row {i + 1})", optional=True)
        out.append(ScenarioChoice(sid, int(week) if week is not None else None, f["difficulty"][i] or None))
    return out


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@router.post("/programs")
async def create(request: Request, auth: PageAuth) -> Response:
    _lead(auth)
    raw = await request.form()
    await form_with_csrf(request, auth)
    f = _blank_form()
    for key in ("name", "description", "start", "end", "target", "target_max", "pass_bar"):
        f[key] = _text(raw.get(key, ""))
    f["teams"] = [v for v in raw.getlist("teams") if isinstance(v, str)]
    f["users"] = [v for v in raw.getlist("users") if isinstance(v, str)]
    for key in ("scenario", "week", "difficulty"):
        f[key] = [_text(raw.get(f"{key}_{i}", "")) for i in range(SCENARIO_ROWS)]
    database = web(request).database()
    scope = viewer_content(request, auth.viewer)

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return scope.get_scenario(scenario_id)  # the viewer's organisation (the service set org_id to theirs)

    def work() -> int:
        target = programs.parse_number(f["target"], "target")
        target_max = programs.parse_number(f["target_max"], "target_max", optional=True)
        pass_bar = programs.parse_number(f["pass_bar"], "pass_bar", optional=True, whole=False)
        with database.session() as s:
            return programs.create_program(
                s, auth.viewer, scenario_for, org_id=None, name=f["name"], description=f["description"],
                start_on=programs.parse_day(f["start"], "start"), end_on=programs.parse_day(f["end"], "end"),
                target_min=int(target or 0), target_max=int(target_max) if target_max is not None else None,
                pass_bar=pass_bar, scenarios=_parse_choices(f), teams=f["teams"], users=f["users"]).id

    try:
        program_id = await run_in_threadpool(work)
    except ServiceError as exc:
        error = str(exc)

        def page() -> Response:  # the form again, as filled in, with what is wrong
            with database.read() as s:
                return render(request, "program_new.html", auth, active="programs", status_code=400, f=f,
                              error=error, **_form_choices(request, s, auth))
        return await run_in_threadpool(page)
    response = RedirectResponse(f"/programs/{program_id}", status_code=303)
    set_flash(response, "ok", "Program created. Enrolled learners have been told.")
    return response


@router.get("/programs/{program_id}")
def progress_page(program_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    _lead(auth)
    try:
        progress = program_progress(db, auth.viewer, program_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program") from exc
    charts = _completion_charts(progress) if progress.learners else None
    choices = _form_choices(request, db, auth)
    return render(request, "program.html", auth, active="programs", p=progress, v=progress.program, charts=charts,
                  team_of=team_names(db, (r.user_id for r in progress.learners)), labels=PACE_LABELS,
                  teams_choices=choices["teams"], learners=choices["learners"],
                  cert=certification.certification_of(db, program_id),
                  cert_rows=certification.program_status(db, auth.viewer, program_id),
                  scenarios=choices["scenarios"], difficulties=DIFFICULTIES)


def _completion_charts(progress: ProgramProgress) -> tuple[Markup, Markup]:
    """The completion chart for wide screens and for phones (the page shows one or the other), with a marker at
    the share of the target expected by today; green on track, amber one rep short, red further behind."""
    target = progress.program.target_min
    title = f"Completion of the {target}-rep target, per learner (%)"
    bars = [(r.name, r.completion * 100) for r in progress.learners]
    expected = min(100.0, 100 * progress.expected / target)
    marker = (expected, "expected by now") if progress.expected else None
    bands = (expected - 1e-9, expected - 100 / target - 1e-9)
    return (bar_chart(title, bars, marker=marker, bands=bands),
            bar_chart(title, bars, width=360, label_width=120, marker=marker, bands=bands))


@router.post("/programs/{program_id}/enrol")
async def enrol(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    _lead(auth)
    form = await form_with_csrf(request, auth)
    target = form.get("target", "").strip()

    def work() -> str:
        kind, _, value = target.partition(":")
        if kind not in ("team", "user") or not value:
            raise InvalidInput("enrol: choose a team or a learner")
        with web(request).database().session() as s:
            programs.enrol(s, auth.viewer, program_id, team=value if kind == "team" else None,
                           user=value if kind == "user" else None)
        return f"Enrolled {'team ' + value if kind == 'team' else value}."

    try:
        return await flash_after(f"/programs/{program_id}", work, (InvalidInput,))
    except NotFound as exc:
        if str(exc).startswith("no such program"):
            raise HTTPException(status_code=404, detail="no such program") from exc
        response = RedirectResponse(f"/programs/{program_id}", status_code=303)
        set_flash(response, "error", str(exc))  # an unknown team or learner: said on the page
        return response


@router.post("/programs/{program_id}/archive")
async def archive(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    _lead(auth)
    form = await form_with_csrf(request, auth)
    undo = form.get("undo") == "1"

    def work() -> str:
        with web(request).database().session() as s:
            view = programs.set_archived(s, auth.viewer, program_id, archived=not undo)
        return "Program active again." if view.status == "active" else "Program archived: no more reminders."

    try:
        return await flash_after(f"/programs/{program_id}", work, ())
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program") from exc
