"""Manager pages: the team dashboard and a learner drill-down (admins see every team)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sparring.reports.charts import Series, bar_chart, line_chart
from sparring.reports.progress import learner_progress
from sparring.services.conversations import list_visible_reps
from sparring.services.dashboards import IDLE_DAYS, may_view_learner, team_dashboard
from sparring.web.deps import PageAuth, ReadDB, render, require_role
from sparring.web.labels import criterion_names, scenario_titles
from sparring.web.params import DbId, DbIdQuery
from sparring.web.templating import humanise

router = APIRouter(include_in_schema=False)

MAX_LINES = 6
MAX_BARS = 10


@router.get("/team")
def team(request: Request, auth: PageAuth, db: ReadDB, team: DbIdQuery = None) -> Response:
    require_role(auth, "manager", "admin")
    try:
        dash = team_dashboard(db, auth.viewer, team_id=team)
    except PermissionError as exc:
        raise HTTPException(status_code=404, detail="no such team") from exc
    # the skills with the most data, so the chart stays readable; the table below the chart has them all
    busiest = sorted(dash.skill_trend, key=lambda k: -sum(v is not None for v in dash.skill_trend[k]))[:MAX_LINES]
    trend = line_chart("Team score per skill by week", dash.weeks,
                       [Series(humanise(k), dash.skill_trend[k]) for k in sorted(busiest)])
    names = criterion_names(request, auth.viewer)
    weakest = dash.criterion_averages[:MAX_BARS]
    bars = bar_chart("Weakest criteria, average score", [(names.get(k, k), v) for k, v in weakest])
    recent = list_visible_reps(db, auth.viewer, limit=12)
    recent = [r for r in recent if r.user_id != auth.viewer.id]
    return render(request, "team.html", auth, active="team", dash=dash, trend_chart=trend, criterion_chart=bars,
                  recent=recent, idle_days=IDLE_DAYS, show_learner=True,
                  titles=scenario_titles(request, auth.viewer),
                  shown_skills=len(busiest), names=names)


@router.get("/team/learners/{user_id}")
def learner(user_id: DbId, request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "manager", "admin")
    person = may_view_learner(db, auth.viewer, user_id)
    if person is None:
        raise HTTPException(status_code=404, detail="no such learner")
    data = learner_progress(db, person.id, auth.viewer.org_id, include_private=person.id == auth.viewer.id)
    labels = [f"#{i + 1}" for i in range(len(data.reps))]
    busiest = sorted(data.skills, key=lambda k: -sum(v is not None for v in data.skills[k]))[:MAX_LINES]
    chart = line_chart("Score per skill over reps", labels,
                       [Series(humanise(k), data.skills[k]) for k in sorted(busiest)])
    bars = bar_chart("Recent average per skill", [(humanise(k), v) for k, v in data.skill_averages.items()])
    reps = list_visible_reps(db, auth.viewer, user_id=person.id, limit=100)
    return render(request, "learner.html", auth, active="team", person=person, data=data, skills_chart=chart,
                  skill_bars=bars, reps=reps, show_learner=False,
                  titles=scenario_titles(request, auth.viewer),
                  shown_skills=len(busiest))
