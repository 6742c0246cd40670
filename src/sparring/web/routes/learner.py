"""Learner pages: the scenario library, history, progress per behaviour, and winning lines (with the lines suggested
from the learner's reps, their teams' libraries and how many lines are due for review; the review itself and the
managers' library pages are in ``routes.lines``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.coaching import winning_lines
from sparring.coaching.line_suggestions import suggest_lines
from sparring.coaching.programs import PACE_LABELS
from sparring.content.scenario import DIFFICULTIES
from sparring.inputs import InputError
from sparring.reports.progress import learner_progress
from sparring.reports.progress_charts import learner_charts
from sparring.services import certification
from sparring.services.conversations import list_visible_reps
from sparring.services.learner_home import learner_home
from sparring.services.program_progress import my_week
from sparring.services.team_lines import library_for
from sparring.web.content_scope import viewer_content
from sparring.web.deps import PageAuth, ReadDB, form_with_csrf, render, set_flash, web
from sparring.web.labels import criterion_names, scenario_titles
from sparring.web.params import DbId, SearchText, form_id, form_index
from sparring.web.templating import humanise

router = APIRouter(include_in_schema=False)


@router.get("/")
def library(request: Request, auth: PageAuth, db: ReadDB, q: SearchText = "", domain: SearchText = "",
            skill: SearchText = "", difficulty: SearchText = "") -> Response:
    """Every scenario the viewer's organisation sees, searchable and filterable by domain, skill and difficulty;
    above it the viewer's programs this week (what to do next, reps left; docs/programs.md) and the winning lines
    due for review."""
    scenarios = viewer_content(request, auth.viewer).list_scenarios()
    domains = sorted({s.domain for s in scenarios})
    skills = sorted({k for s in scenarios for k in s.skills})
    needle = q.strip().lower()
    shown = [
        s for s in scenarios
        if (not needle or needle in " ".join([s.title, s.summary, s.brief, s.persona.name, s.persona.role,
                                               *s.skills]).lower())
        and (not domain or s.domain == domain)
        and (not skill or skill in s.skills)
        and (not difficulty or difficulty in s.difficulties)
    ]
    home = learner_home(db, auth.viewer, scenarios)
    return render(request, "library.html", auth, active="library", scenarios=shown, total=len(scenarios),
                  home=home, titles={s.id: s.title for s in scenarios},
                  weeks=my_week(db, auth.viewer), pace_labels=PACE_LABELS,
                  certs=certification.my_certifications(db, auth.viewer),
                  domains=domains, skills=skills, difficulties=DIFFICULTIES,
                  lines_due=winning_lines.due_count(db, auth.viewer, datetime.now(UTC)),
                  f={"q": q, "domain": domain, "skill": skill, "difficulty": difficulty or "medium"})


@router.get("/history")
def history(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    reps = list_visible_reps(db, auth.viewer, user_id=auth.viewer.id, limit=200)
    return render(request, "history.html", auth, active="history", reps=reps,
                  titles=scenario_titles(request, auth.viewer))


@router.get("/progress")
def progress(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    data = learner_progress(db, auth.viewer.id, auth.viewer.org_id)
    charts = learner_charts(data, scenario_titles(request, auth.viewer), humanise)
    return render(request, "progress.html", auth, active="progress", data=data, charts=charts,
                  certificates=certification.list_certificates(db, auth.viewer, user_id=auth.viewer.id))


@router.get("/lines")
def lines(request: Request, auth: PageAuth, db: ReadDB, q: SearchText = "", situation: SearchText = "") -> Response:
    found = winning_lines.list_lines(db, auth.viewer, q, situation)
    return render(request, "lines.html", auth, active="lines", lines=found, q=q, situation=situation,
                  situations=winning_lines.situations(db, auth.viewer),
                  titles=scenario_titles(request, auth.viewer),
                  suggestions=suggest_lines(db, auth.viewer, criterion_names(request, auth.viewer)),
                  team_library=library_for(db, auth.viewer),
                  due=winning_lines.due_count(db, auth.viewer, datetime.now(UTC)))


@router.post("/lines")
async def save_line(request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    try:
        rep_id, turn = form_id(form, "rep"), form_index(form, "turn")
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    # saved from a suggestion on /lines: back there; from a scorecard: back to the turn
    target = "/lines" if form.get("back") == "lines" else f"/reps/{rep_id}/scorecard#turn-{turn}"
    response = RedirectResponse(target, status_code=303)

    def save() -> None:  # a write: in a worker thread, never on the event loop
        with web(request).database().session() as s:
            winning_lines.save_line(s, auth.viewer, rep_id, turn, form.get("situation", ""))

    try:
        await run_in_threadpool(save)
    except winning_lines.LineError as exc:
        if str(exc).startswith("rep:"):
            raise HTTPException(status_code=404, detail="no such rep") from exc
        set_flash(response, "error", str(exc))
        return response
    set_flash(response, "ok", "Saved to your winning lines.")
    return response


@router.post("/lines/{line_id}/delete")
async def delete_line(line_id: DbId, request: Request, auth: PageAuth) -> Response:
    await form_with_csrf(request, auth)

    def delete() -> bool:
        with web(request).database().session() as s:
            return winning_lines.delete_line(s, auth.viewer, line_id)

    if not await run_in_threadpool(delete):
        raise HTTPException(status_code=404, detail="no such line")
    response = RedirectResponse("/lines", status_code=303)
    set_flash(response, "ok", "Line removed.")
    return response
