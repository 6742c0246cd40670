"""Program pages (docs/programs.md): the leads' list (``/programs``), the form for a new program (``/programs/new``),
a program's progress page (``/programs/{id}``: completion chart, reps so far, who is behind, a table per learner)
and, from it, enrolling a team or a learner, changing the program (``/programs/{id}/edit``: its own fields and the
plan, the form shared with the new-program page) and removing an enrolment (``/programs/{id}/unenrol``, after a
confirmation page). The learner's "This week" card is on the home page (routes/learner.py).

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
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sparring.coaching.programs import PACE_LABELS
from sparring.content.scenario import DIFFICULTIES, Scenario
from sparring.reports.charts import bar_chart
from sparring.services import certification, programs
from sparring.services.access import managed_team_ids
from sparring.services.errors import InvalidInput, NotFound, ServiceError
from sparring.services.form_values import parse_day, parse_number
from sparring.services.program_progress import ProgramProgress, program_progress, team_names
from sparring.services.programs import ProgramView, ScenarioChoice
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


def _scenario_lookup(request: Request, auth: PageAuth) -> programs.ScenarioLookup:
    scope = viewer_content(request, auth.viewer)

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return scope.get_scenario(scenario_id)  # the viewer's organisation (the service set org_id to theirs)

    return scenario_for


def _form_choices(request: Request, db: Session, auth: PageAuth, rows: int = SCENARIO_ROWS) -> dict[str, Any]:
    teams = [t for t in (db.get(Team, i) for i in managed_team_ids(db, auth.viewer)) if t is not None]
    q = select(User).where(User.org_id == auth.viewer.org_id, User.is_active.is_(True), User.role == "learner")
    if not auth.viewer.is_admin:
        q = q.join(TeamMember, TeamMember.user_id == User.id).where(
            TeamMember.team_id.in_([t.id for t in teams] or [-1]))
    learners = sorted({u.id: u for u in db.scalars(q)}.values(), key=lambda u: (u.name or u.email).lower())
    return {"teams": teams, "learners": learners, "scenarios": viewer_content(request, auth.viewer).list_scenarios(),
            "difficulties": DIFFICULTIES, "rows": rows}


def _blank_form() -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {"name": "", "description": "", "start": today.isoformat(),
            "end": (today + timedelta(days=29)).isoformat(), "target": "10", "target_max": "", "pass_bar": "",
            "teams": [], "users": [], "scenario": [""] * SCENARIO_ROWS, "week": [""] * SCENARIO_ROWS,
            "difficulty": [""] * SCENARIO_ROWS}


def _program_form(v: ProgramView) -> dict[str, Any]:
    """The edit form filled with the program as it is: its plan and a few empty rows to add scenarios."""
    rows = _rows(len(v.scenarios) + 2)
    pad = [""] * (rows - len(v.scenarios))
    return {"name": v.name, "description": v.description, "start": v.start_on.isoformat(),
            "end": v.end_on.isoformat(), "target": str(v.target_min),
            "target_max": str(v.target_max) if v.target_max is not None else "",
            "pass_bar": f"{v.pass_bar:g}" if v.pass_bar is not None else "", "teams": [], "users": [],
            "scenario": [s.scenario_id for s in v.scenarios] + pad, "week": [str(s.week or "") for s in v.scenarios]
            + pad, "difficulty": [s.difficulty or "" for s in v.scenarios] + pad}


def _rows(n: int) -> int:
    """How many scenario rows a form shows: at least ``SCENARIO_ROWS``, at most the most a program has."""
    return max(SCENARIO_ROWS, min(programs.MAX_SCENARIOS, n))


def _read_form(raw: FormData) -> dict[str, Any]:
    """A posted program form as typed (every scenario row posted, up to the most a program has)."""
    f = _blank_form()
    for key in ("name", "description", "start", "end", "target", "target_max", "pass_bar"):
        f[key] = _text(raw.get(key, ""))
    f["teams"] = [v for v in raw.getlist("teams") if isinstance(v, str)]
    f["users"] = [v for v in raw.getlist("users") if isinstance(v, str)]
    posted = [i for i in range(programs.MAX_SCENARIOS) if f"scenario_{i}" in raw]
    rows = _rows(max(posted, default=-1) + 1)
    for key in ("scenario", "week", "difficulty"):
        f[key] = [_text(raw.get(f"{key}_{i}", "")) for i in range(rows)]
    return f


def _numbers(f: dict[str, Any]) -> tuple[int, int | None, float | None]:
    """The form's target, stretch target and pass bar as numbers (InvalidInput naming the field)."""
    target = parse_number(f["target"], "target")
    target_max = parse_number(f["target_max"], "target_max", optional=True)
    pass_bar = parse_number(f["pass_bar"], "pass_bar", optional=True, whole=False)
    return int(target or 0), int(target_max) if target_max is not None else None, pass_bar


@router.get("/programs/new")
def new_program(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    _lead(auth)
    return render(request, "program_new.html", auth, active="programs", f=_blank_form(), error=None,
                  **_form_choices(request, db, auth))


def _parse_choices(f: dict[str, Any]) -> list[ScenarioChoice]:
    out = []
    for i in range(len(f["scenario"])):
        sid = f["scenario"][i].strip()
        if not sid:
            continue
        week = parse_number(f["week"][i], f"week (row {i + 1})", optional=True)
        out.append(ScenarioChoice(sid, int(week) if week is not None else None, f["difficulty"][i] or None))
    return out


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@router.post("/programs")
async def create(request: Request, auth: PageAuth) -> Response:
    _lead(auth)
    raw = await request.form()
    await form_with_csrf(request, auth)
    f = _read_form(raw)
    database = web(request).database()
    scenario_for = _scenario_lookup(request, auth)

    def work() -> int:
        target, target_max, pass_bar = _numbers(f)
        with database.session() as s:
            return programs.create_program(
                s, auth.viewer, scenario_for, org_id=None, name=f["name"], description=f["description"],
                start_on=parse_day(f["start"], "start"), end_on=parse_day(f["end"], "end"),
                target_min=target, target_max=target_max, pass_bar=pass_bar, scenarios=_parse_choices(f),
                teams=f["teams"], users=f["users"]).id

    try:
        program_id = await run_in_threadpool(work)
    except ServiceError as exc:
        error = str(exc)

        def page() -> Response:  # the form again, as filled in, with what is wrong
            with database.read() as s:
                return render(request, "program_new.html", auth, active="programs", status_code=400, f=f,
                              error=error, **_form_choices(request, s, auth, rows=len(f["scenario"])))
        return await run_in_threadpool(page)
    response = RedirectResponse(f"/programs/{program_id}", status_code=303)
    set_flash(response, "ok", "Program created. Enrolled learners have been told.")
    return response


@router.get("/programs/{program_id}")
def progress_page(program_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    _lead(auth)
    return _program_page(request, db, auth, program_id)


def _program_page(request: Request, db: Session, auth: PageAuth, program_id: int, *,
                  edit: dict[str, Any] | None = None, edit_error: str = "", status_code: int = 200) -> Response:
    """The program page; ``edit``: the edit form as typed (shown open, with ``edit_error``)."""
    try:
        progress = program_progress(db, auth.viewer, program_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program") from exc
    v = progress.program
    charts = _completion_charts(progress) if progress.learners else None
    f = edit or _program_form(v)
    choices = _form_choices(request, db, auth, rows=len(f["scenario"]))
    return render(request, "program.html", auth, active="programs", status_code=status_code, p=progress, v=v,
                  charts=charts, team_of=team_names(db, (r.user_id for r in progress.learners)), labels=PACE_LABELS,
                  teams_choices=choices["teams"], learners=choices["learners"],
                  cert=certification.certification_of(db, program_id),
                  cert_rows=certification.program_status(db, auth.viewer, program_id),
                  scenarios=choices["scenarios"], difficulties=DIFFICULTIES, rows=choices["rows"], f=f,
                  may_change=programs.may_change(auth.viewer, v.created_by_id), editing=edit is not None,
                  edit_error=edit_error, removable=_removable(db, auth, v))


def _removable(db: Session, auth: PageAuth, v: ProgramView) -> list[tuple[str, str]]:
    """The enrolments the viewer may remove, as (form value, label): teams they manage, learners of those teams
    (an admin: every one)."""
    teams = {t.name for t in (db.get(Team, i) for i in managed_team_ids(db, auth.viewer)) if t is not None}
    visible = programs.visible_learner_ids(db, auth.viewer)
    out = [(f"team:{name}", f"Team {name}") for name in v.teams if auth.viewer.is_admin or name in teams]
    for email in v.users:
        user = db.scalar(select(User).where(User.email == email, User.org_id == v.org_id))
        if user is not None and (visible is None or user.id in visible):
            out.append((f"user:{email}", user.name or email))
    return out


@router.post("/programs/{program_id}/edit")
async def edit(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    _lead(auth)
    raw = await request.form()
    await form_with_csrf(request, auth)
    f = _read_form(raw)
    database = web(request).database()
    scenario_for = _scenario_lookup(request, auth)

    def work() -> None:
        target, target_max, pass_bar = _numbers(f)
        changes = programs.ProgramChanges(
            name=f["name"], description=f["description"], start_on=parse_day(f["start"], "start"),
            end_on=parse_day(f["end"], "end"), target_min=target, target_max=target_max, pass_bar=pass_bar,
            scenarios=_parse_choices(f))
        with database.session() as s:
            programs.edit_program(s, auth.viewer, scenario_for, program_id, changes)

    try:
        await run_in_threadpool(work)
    except ServiceError as exc:
        if isinstance(exc, NotFound) and str(exc).startswith("no such program"):
            raise HTTPException(status_code=404, detail="no such program") from exc
        error = str(exc)
    else:
        response = RedirectResponse(f"/programs/{program_id}", status_code=303)
        set_flash(response, "ok", "Program changed. The reps done so far count by the new plan.")
        return response

    def page() -> Response:  # the program page again, the form as typed and open, with what is wrong
        with database.read() as s:
            return _program_page(request, s, auth, program_id, edit=f, edit_error=error, status_code=400)
    return await run_in_threadpool(page)


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


@router.post("/programs/{program_id}/unenrol")
async def unenrol(program_id: DbId, request: Request, auth: PageAuth) -> Response:
    """Remove a team's or a learner's enrolment; their reps stay. Without ``confirm=yes`` it answers a page that asks
    to confirm (no script needed), whose button posts again with it."""
    _lead(auth)
    form = await form_with_csrf(request, auth)
    target = form.get("target", "").strip()
    if form.get("confirm") != "yes":
        return await run_in_threadpool(_confirm_unenrol, request, auth, program_id, target)

    def work() -> str:
        kind, _, value = target.partition(":")
        if kind not in ("team", "user") or not value:
            raise InvalidInput("unenrol: choose a team or a learner")
        with web(request).database().session() as s:
            programs.unenrol(s, auth.viewer, program_id, team=value if kind == "team" else None,
                             user=value if kind == "user" else None)
        who = f"team {value}" if kind == "team" else value
        return f"Removed {who} from the program. Their reps are kept."

    try:
        return await flash_after(f"/programs/{program_id}", work, (InvalidInput,))
    except NotFound as exc:
        if str(exc).startswith("no such program"):
            raise HTTPException(status_code=404, detail="no such program") from exc
        response = RedirectResponse(f"/programs/{program_id}", status_code=303)
        set_flash(response, "error", str(exc))  # a team or learner not enrolled or not theirs: said on the page
        return response


def _confirm_unenrol(request: Request, auth: PageAuth, program_id: int, target: str) -> Response:
    kind, _, value = target.partition(":")
    with web(request).database().read() as s:
        try:
            v = programs.get_program(s, auth.viewer, program_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such program") from exc
        if (kind, value) not in {tuple(t.split(":", 1)) for t, _ in _removable(s, auth, v)}:
            response = RedirectResponse(f"/programs/{program_id}", status_code=303)
            set_flash(response, "error", "unenrol: choose a team or a learner enrolled in this program")
            return response
        label = f"Team {value}" if kind == "team" else value
        return render(request, "program_unenrol.html", auth, active="programs", v=v, target=target, label=label,
                      kind=kind, who=value)
