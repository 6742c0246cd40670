"""Manager pages: the team dashboard and a learner drill-down (admins see every team)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sparring.reports.progress import learner_progress
from sparring.reports.progress_charts import learner_charts, team_charts
from sparring.services.conversations import list_visible_reps
from sparring.services.dashboards import IDLE_DAYS, may_view_learner, team_dashboard
from sparring.web.deps import PageAuth, ReadDB, render, require_role
from sparring.web.labels import criterion_names, scenario_titles
from sparring.web.params import DbId, DbIdQuery
from sparring.web.templating import humanise

router = APIRouter(include_in_schema=False)


@router.get("/team")
def team(request: Request, auth: PageAuth, db: ReadDB, team: DbIdQuery = None) -> Response:
    require_role(auth, "manager", "admin")
    try:
        dash = team_dashboard(db, auth.viewer, team_id=team)
    except PermissionError as exc:
        raise HTTPException(status_code=404, detail="no such team") from exc
    # every skill is drawn (small multiples when there are many), the weakest of the last weeks first
    names = criterion_names(request, auth.viewer)
    trend, bars, weakest = team_charts(dash.weeks, dash.skill_trend, dash.criterion_averages, names, humanise)
    recent = list_visible_reps(db, auth.viewer, limit=12)
    recent = [r for r in recent if r.user_id != auth.viewer.id]
    return render(request, "team.html", auth, active="team", dash=dash, trend_chart=trend, criterion_chart=bars,
                  recent=recent, idle_days=IDLE_DAYS, show_learner=True,
                  titles=scenario_titles(request, auth.viewer),
                  weakest_skill=weakest, names=names)


@router.get("/team/learners/{user_id}")
def learner(user_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "manager", "admin")
    person = may_view_learner(db, auth.viewer, user_id)
    if person is None:
        raise HTTPException(status_code=404, detail="no such learner")
    data = learner_progress(db, person.id, auth.viewer.org_id, include_private=person.id == auth.viewer.id)
    titles = scenario_titles(request, auth.viewer)
    charts = learner_charts(data, titles, humanise)
    reps = list_visible_reps(db, auth.viewer, user_id=person.id, limit=100)
    return render(request, "learner.html", auth, active="team", person=person, data=data, charts=charts,
                  reps=reps, show_learner=False, titles=titles)
