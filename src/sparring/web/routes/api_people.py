"""People, teams and progress in the read API (docs/api.md, "People, teams, progress").

- ``/api/users`` and ``/api/teams``: managers and admins (a learner gets 403 on the lists); who is listed follows
  ``sparring.services.directory`` (an admin: the organisation; a manager: their teams). ``/api/users/{id}`` also
  answers a learner asking about themselves.
- ``/api/progress`` (the caller's own) and ``/api/users/{id}/progress``: a learner's score and per-skill trend over
  their last scored reps, the numbers of the progress page (``sparring.reports.progress``); someone else's
  private reps count with their overall score only, as on the team pages.

404 for anyone the caller may not see, never another organisation's people.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from sparring.reports.progress import learner_progress
from sparring.services.access import Viewer
from sparring.services.dashboards import may_view_learner
from sparring.services.directory import (
    PersonView,
    TeamView,
    visible_people,
    visible_person,
    visible_team,
    visible_teams,
)
from sparring.web.api_examples import page_example
from sparring.web.api_paging import DEFAULT_LIMIT, Page, PageLimit, PageOffset, UtcDateTime, fetched_page, page_of
from sparring.web.deps import ApiAuth, ReadDB, require_role
from sparring.web.errors import error_responses
from sparring.web.params import DbId, DbIdQuery

router = APIRouter(prefix="/api", tags=["people"])

#: how many of the learner's most recent scored reps a progress answer covers, at most
MAX_PROGRESS_REPS = 200


class TeamRefOut(BaseModel):
    id: int
    name: str


class UserOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 7, "email": "sam@northwind.example", "name": "Sam Ortiz", "role": "learner", "active": True,
        "teams": [{"id": 2, "name": "East"}]}]})

    id: int
    email: str
    name: str
    role: str = Field(description="learner | manager | admin")
    active: bool
    teams: list[TeamRefOut]


class TeamOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 2, "name": "East", "members": 5,
                                                               "member_ids": [3, 4, 7, 9, 12]}]})

    id: int
    name: str
    members: int
    member_ids: list[int] | None = Field(default=None, description="only when one team is asked for (null in lists)")


class ProgressRep(BaseModel):
    rep_id: int
    scenario: str
    scored_at: UtcDateTime
    overall: float = Field(description="0-100")
    passed: bool


class ProgressOut(BaseModel):
    """A learner's progress: their last scored reps (oldest first), one value per rep and skill (null where the
    rep's rubric did not score the skill, or the rep is someone else's private one), the recent average per
    skill (lowest first) and the weakest skill."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "user_id": 7, "reps": [{"rep_id": 31, "scenario": "cs-renewal-discount",
                                "scored_at": "2026-11-30T14:02:11Z", "overall": 62.5, "passed": False},
                               {"rep_id": 35, "scenario": "cs-renewal-discount",
                                "scored_at": "2026-12-02T09:40:03Z", "overall": 78.0, "passed": True}],
        "skills": {"discovery": [50.0, 75.0], "value-recap": [66.7, None]},
        "skill_averages": {"value-recap": 66.7, "discovery": 62.5}, "weakest_skill": "value-recap",
        "average": 70.25}]})

    user_id: int
    reps: list[ProgressRep]
    skills: dict[str, list[float | None]]
    skill_averages: dict[str, float] = Field(description="average of the last five reps per skill, lowest first")
    weakest_skill: str | None = None
    average: float | None = None


def _user_out(p: PersonView) -> UserOut:
    return UserOut(id=p.id, email=p.email, name=p.name, role=p.role, active=p.active,
                   teams=[TeamRefOut(id=t.id, name=t.name) for t in p.teams])


def _team_out(t: TeamView, members: bool = False) -> TeamOut:
    return TeamOut(id=t.id, name=t.name, members=t.members, member_ids=t.member_ids if members else None)


@router.get("/users", response_model=Page[UserOut],
            responses={**error_responses(401, 403), **page_example(UserOut, "/api/users")})
def list_users(request: Request, auth: ApiAuth, db: ReadDB, team: DbIdQuery = None,
               role: Literal["learner", "manager", "admin"] | None = None,
               limit: PageLimit = DEFAULT_LIMIT, offset: PageOffset = 0) -> Any:
    """The people the caller may see, by e-mail (managers and admins): ``team`` (an id) and ``role`` narrow it."""
    require_role(auth, "manager", "admin")
    rows = visible_people(db, auth.viewer, team_id=team, role=role, limit=limit + 1, offset=offset)
    return fetched_page(request, [_user_out(p) for p in rows], limit, offset)


@router.get("/users/{user_id}", response_model=UserOut, responses=error_responses(401, 404))
def get_user(user_id: DbId, auth: ApiAuth, db: ReadDB) -> Any:
    """One person the caller may see (a learner: only themselves); 404 otherwise."""
    found = visible_person(db, auth.viewer, user_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such user")
    return _user_out(found)


@router.get("/teams", response_model=Page[TeamOut],
            responses={**error_responses(401, 403), **page_example(TeamOut, "/api/teams")})
def list_teams(request: Request, auth: ApiAuth, db: ReadDB, limit: PageLimit = DEFAULT_LIMIT,
               offset: PageOffset = 0) -> Any:
    """The teams the caller may see, by name, with member counts: a manager their own, an admin every one."""
    require_role(auth, "manager", "admin")
    return page_of(request, [_team_out(t) for t in visible_teams(db, auth.viewer)], limit, offset)


@router.get("/teams/{team_id}", response_model=TeamOut, responses=error_responses(401, 404))
def get_team(team_id: DbId, auth: ApiAuth, db: ReadDB) -> Any:
    """One team with its members' ids (``/api/users?team=ID`` lists them); 404 when the caller may not see it."""
    found = visible_team(db, auth.viewer, team_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such team")
    return _team_out(found, members=True)


Last = Annotated[int, Query(ge=1, le=MAX_PROGRESS_REPS, description="how many of the most recent scored reps")]


def _progress(db: Session, viewer: Viewer, user_id: int, last: int) -> ProgressOut:
    data = learner_progress(db, user_id, viewer.org_id, last=last, include_private=user_id == viewer.id)
    return ProgressOut(
        user_id=user_id,
        reps=[ProgressRep(rep_id=r.rep_id, scenario=r.scenario_id, scored_at=r.when, overall=round(r.overall, 1),
                          passed=r.passed) for r in data.reps],
        skills={k: [None if v is None else round(v, 1) for v in vs] for k, vs in data.skills.items()},
        skill_averages={k: round(v, 1) for k, v in data.skill_averages.items()},
        weakest_skill=data.weakest_skill,
        average=None if data.average is None else round(data.average, 1))


@router.get("/progress", response_model=ProgressOut, responses=error_responses(401))
def my_progress(auth: ApiAuth, db: ReadDB, last: Last = 30) -> Any:
    """The caller's own progress (the progress page's numbers)."""
    return _progress(db, auth.viewer, auth.viewer.id, last)


@router.get("/users/{user_id}/progress", response_model=ProgressOut, responses=error_responses(401, 404))
def user_progress(user_id: DbId, auth: ApiAuth, db: ReadDB, last: Last = 30) -> Any:
    """A learner's progress as the team pages show it: the caller themselves, a learner in a team the manager
    belongs to, or anyone in an admin's organisation; 404 otherwise."""
    if may_view_learner(db, auth.viewer, user_id) is None:
        raise HTTPException(status_code=404, detail="no such user")
    return _progress(db, auth.viewer, user_id, last)
