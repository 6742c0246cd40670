"""Winning lines beyond the learner's list (docs/lines.md): the spaced-repetition review (``/lines/review``) and the
team library managers curate (``/team/lines``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from sparring.coaching import winning_lines
from sparring.coaching.line_schedule import INTERVALS_DAYS
from sparring.inputs import InputError
from sparring.services import team_lines
from sparring.services.access import managed_team_ids
from sparring.services.errors import InvalidInput, NotFound
from sparring.store.models import Team
from sparring.web.deps import PageAuth, ReadDB, flash_after, form_with_csrf, render, require_role, set_flash, web
from sparring.web.params import DbId, form_id

router = APIRouter(include_in_schema=False)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/lines/review")
def review(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    """One due line at a time: its situation, a box to type it from memory, the line behind a reveal."""
    due = winning_lines.due_lines(db, auth.viewer, _now())
    return render(request, "lines_review.html", auth, active="lines", line=due[0] if due else None,
                  remaining=len(due), intervals=INTERVALS_DAYS)


@router.post("/lines/{line_id}/review")
async def record_review(line_id: DbId, request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)
    answer = form.get("remembered", "")
    if answer not in ("yes", "no"):
        raise HTTPException(status_code=400, detail="remembered: answer yes or no")

    def record() -> winning_lines.DueLine | None:
        with web(request).database().session() as s:
            return winning_lines.review_line(s, auth.viewer, line_id, answer == "yes", _now())

    done = await run_in_threadpool(record)
    if done is None:
        raise HTTPException(status_code=404, detail="no such line")
    response = RedirectResponse("/lines/review", status_code=303)
    days = max(1, round((done.due_at - _now()).total_seconds() / 86400))
    set_flash(response, "ok", f"Next review in {days} day{'' if days == 1 else 's'}."
              if answer == "yes" else "It comes back tomorrow.")
    return response


@router.post("/lines/team/{line_id}/keep")
async def keep_team_line(line_id: DbId, request: Request, auth: PageAuth) -> Response:
    """Keep a line of the learner's team library in their own lines (it then comes back for review)."""
    await form_with_csrf(request, auth)

    def keep() -> str:
        with web(request).database().session() as s:
            try:
                team_lines.keep_line(s, auth.viewer, line_id, _now())
            except NotFound as exc:
                raise HTTPException(status_code=404, detail="no such line") from exc
        return "Kept in your winning lines; it comes back for review tomorrow."

    return await flash_after("/lines", keep, ())


@router.get("/team/lines")
def team_library(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "manager", "admin")
    ids = managed_team_ids(db, auth.viewer)
    teams = list(db.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name))) if ids else []
    return render(request, "team_lines.html", auth, active="team", teams=teams,
                  library=team_lines.managed_library(db, auth.viewer),
                  candidates=team_lines.candidate_lines(db, auth.viewer))


@router.post("/team/lines")
async def add_team_line(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)
    try:
        team_id = form_id(form, "team")
        from_line = form_id(form, "line") if form.get("line") else None
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc

    def add() -> str:
        with web(request).database().session() as s:
            try:
                team_lines.add_line(s, auth.viewer, team_id, situation=form.get("situation", ""),
                                    skill=form.get("skill", ""), text=form.get("text", ""), from_line_id=from_line)
            except NotFound as exc:
                raise HTTPException(status_code=404, detail=str(exc)) from exc
        return "Added to the team library."

    return await flash_after("/team/lines", add, (InvalidInput,))


@router.post("/team/lines/{line_id}/delete")
async def remove_team_line(line_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    await form_with_csrf(request, auth)

    def remove() -> str:
        with web(request).database().session() as s:
            try:
                team_lines.remove_line(s, auth.viewer, line_id)
            except NotFound as exc:
                raise HTTPException(status_code=404, detail="no such line") from exc
        return "Line removed from the team library."

    return await flash_after("/team/lines", remove, ())
