"""The team insights page (docs/analytics.md): cohort trends per skill and the early coaching needs, for managers
(their teams) and admins (every team). The numbers come from ``services.insights``; the charts from
``reports.charts``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from sparring.coaching.coaching_needs import EARLY_REPS, MIN_COHORT, MIN_REPS
from sparring.reports.analytics import Practice, time_practised
from sparring.reports.charts import Series, line_chart
from sparring.services.insights import PERIODS, team_insights
from sparring.web.deps import PageAuth, ReadDB, render, require_role
from sparring.web.labels import criterion_names
from sparring.web.params import DbIdQuery
from sparring.web.templating import humanise

router = APIRouter(include_in_schema=False)

MAX_LINES = 6


@router.get("/team/insights")
def insights(request: Request, auth: PageAuth, db: ReadDB, team: DbIdQuery = None,
             days: Annotated[int, Query(ge=0, le=365, description="days back; 0 = every rep")] = 90) -> Response:
    require_role(auth, "manager", "admin")
    period = days or None
    if period not in PERIODS:
        raise HTTPException(status_code=400, detail=f"days: one of {', '.join(str(p) for p in PERIODS if p)} or 0")
    try:
        found = team_insights(db, auth.viewer, team_id=team, days=period)
    except PermissionError as exc:
        raise HTTPException(status_code=404, detail="no such team") from exc
    chart, shown = None, 0
    curve = found.curve
    if curve is not None and curve.points:
        # up to the last rep number anyone has reached, the skills with the most data (the table has them all)
        shown = max(i + 1 for counts in curve.counts.values() for i, n in enumerate(counts) if n)
        busiest = sorted(curve.points, key=lambda k: -sum(curve.counts[k]))[:MAX_LINES]
        chart = line_chart("Team score per skill by rep number", [f"#{i + 1}" for i in range(shown)],
                           [Series(humanise(k), curve.points[k][:shown]) for k in sorted(busiest)])
    return render(request, "team_insights.html", auth, active="team", found=found, curve_chart=chart,
                  shown_positions=shown, names=criterion_names(request, auth.viewer), periods=PERIODS,
                  time_shown=time_practised(found.practice or Practice()), early_reps=EARLY_REPS,
                  min_reps=MIN_REPS, min_cohort=MIN_COHORT)
