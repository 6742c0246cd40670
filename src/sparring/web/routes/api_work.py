"""Assignments and programs in the read API (docs/api.md, "Assignments and programs"), through the services the
pages use:

- a manager or admin sees the assignments and programs of their teams (an admin: the organisation's), each with
  the rows of the learners they may see (``services.assignments.managed_assignments``, ``services.programs``);
- a learner sees the assignments given to them (their own row only) and the programs they are enrolled in;
- a program's progress (``services.program_progress``, the program page's numbers) is for its managers.

404 for anything the caller may not see, never another organisation's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from sparring.services import assignments as assigning
from sparring.services.access import Viewer
from sparring.services.assignments import AssignmentView
from sparring.services.errors import NotFound
from sparring.services.program_progress import learner_programs, program_progress
from sparring.services.programs import ProgramView, get_program, list_programs, program_view
from sparring.web.api_examples import page_example
from sparring.web.api_paging import DEFAULT_LIMIT, Page, PageLimit, PageOffset, UtcDateTime, page_of
from sparring.web.deps import ApiAuth, ReadDB
from sparring.web.errors import error_responses
from sparring.web.params import DbId, OptionalSearchText

router = APIRouter(prefix="/api", tags=["assignments and programs"])


class AssigneeOut(BaseModel):
    user_id: int
    email: str
    status: str = Field(description="not_started | in_progress | submitted | overdue (docs/assignments.md)")
    reps_done: int
    submitted_rep_id: int | None = None
    reviewed: bool
    late: bool


class AssignmentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "assignment_id": 4, "scenario": "cs-renewal-discount", "title": "Renewal: the discount ask",
        "difficulty": "medium", "reps": 3, "due": "2026-12-18", "submit_best": True, "team": "East",
        "assigned_by": "Morgan Lee", "created_at": "2026-12-01T08:15:00Z", "overdue": False, "note": "",
        "learners": [{"user_id": 7, "email": "sam@northwind.example", "status": "in_progress", "reps_done": 1,
                      "submitted_rep_id": None, "reviewed": False, "late": False}]}]})

    assignment_id: int
    scenario: str
    title: str
    difficulty: str
    reps: int = Field(description="reps required")
    due: date
    submit_best: bool
    team: str | None = None
    assigned_by: str
    created_at: UtcDateTime
    overdue: bool
    note: str
    learners: list[AssigneeOut] = Field(description="the learners the caller may see (a learner: only their row)")


class PlannedOut(BaseModel):
    id: str
    title: str
    week: int | None = None
    difficulty: str | None = None


class ProgramOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "program_id": 2, "name": "Q1 renewals sprint", "description": "Four weeks of renewal practice.",
        "start": "2026-12-01", "end": "2026-12-28", "target": 8, "target_max": 12, "pass_bar": 70.0,
        "status": "active", "created_by": "Morgan Lee",
        "scenarios": [{"id": "cs-renewal-discount", "title": "Renewal: the discount ask", "week": 1,
                       "difficulty": None}], "teams": ["East"], "users": []}]})

    program_id: int
    name: str
    description: str
    start: date
    end: date
    target: int = Field(description="reps each learner should do")
    target_max: int | None = None
    pass_bar: float | None = None
    status: str = Field(description="active | archived")
    created_by: str
    scenarios: list[PlannedOut]
    teams: list[str]
    users: list[str] = Field(description="learners enrolled one by one (e-mails)")


class LearnerProgressOut(BaseModel):
    email: str
    name: str
    reps: int
    passed: int
    last_rep_at: UtcDateTime | None = None
    completion: float = Field(description="0 to 1")
    pace: str = Field(description="upcoming | on_track | behind | complete | missed (docs/programs.md)")
    per_scenario: dict[str, int]


class ProgramProgressOut(ProgramOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "program_id": 2, "name": "Q1 renewals sprint", "description": "", "start": "2026-12-01",
        "end": "2026-12-28", "target": 8, "target_max": None, "pass_bar": 70.0, "status": "active",
        "created_by": "Morgan Lee", "scenarios": [], "teams": ["East"], "users": [], "today": "2026-12-07",
        "expected_by_now": 2, "reps": 5, "completion": 0.3125,
        "learners": [{"email": "sam@northwind.example", "name": "Sam Ortiz", "reps": 3, "passed": 2,
                      "last_rep_at": "2026-12-06T16:20:00Z", "completion": 0.375, "pace": "on_track",
                      "per_scenario": {"cs-renewal-discount": 3}}]}]})

    today: date
    expected_by_now: int
    reps: int
    completion: float = Field(description="the learners' average completion, 0 to 1")
    learners: list[LearnerProgressOut] = Field(description="the learners the caller may see")


def _assignment_out(a: AssignmentView) -> AssignmentOut:
    return AssignmentOut(
        assignment_id=a.id, scenario=a.scenario_id, title=a.title, difficulty=a.difficulty, reps=a.reps_required,
        due=a.due_on, submit_best=a.submit_best, team=a.team, assigned_by=a.assigned_by, created_at=a.created_at,
        overdue=a.overdue, note=a.note,
        learners=[AssigneeOut(user_id=s.user_id, email=s.email, status=s.status, reps_done=s.reps_done,
                              submitted_rep_id=s.submitted_rep_id, reviewed=s.reviewed_at is not None, late=s.late)
                  for s in a.learners])


def _assignments(db: Session, viewer: Viewer) -> list[AssignmentView]:
    return assigning.managed_assignments(db, viewer) if viewer.is_manager else assigning.inbox(db, viewer)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@router.get("/assignments", response_model=Page[AssignmentOut],
            responses={**error_responses(401), **page_example(AssignmentOut, "/api/assignments")})
def list_assignments(request: Request, auth: ApiAuth, db: ReadDB, scenario: OptionalSearchText = None,
                     since: datetime | None = None, limit: PageLimit = DEFAULT_LIMIT, offset: PageOffset = 0) -> Any:
    """A manager's or admin's assignments (newest first, the 200 newest at most), or a learner's own (open ones
    first, by due day). ``scenario`` keeps one scenario's; ``since`` (ISO date-time) those created at or after
    it."""
    rows = [a for a in _assignments(db, auth.viewer)
            if (scenario is None or a.scenario_id == scenario)
            and (since is None or _aware(a.created_at) >= _aware(since))]
    return page_of(request, [_assignment_out(a) for a in rows], limit, offset)


@router.get("/assignments/{assignment_id}", response_model=AssignmentOut, responses=error_responses(401, 404))
def get_assignment(assignment_id: DbId, auth: ApiAuth, db: ReadDB) -> Any:
    """One assignment as the caller sees it (a learner: one given to them, with their row); 404 otherwise."""
    if auth.viewer.is_manager:
        try:
            return _assignment_out(assigning.managed_assignment(db, auth.viewer, assignment_id))
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such assignment") from exc
    found = next((a for a in assigning.inbox(db, auth.viewer) if a.id == assignment_id), None)
    if found is None:
        raise HTTPException(status_code=404, detail="no such assignment")
    return _assignment_out(found)


def _program_out(p: ProgramView) -> ProgramOut:
    return ProgramOut.model_validate(p.as_json())


def _programs(db: Session, viewer: Viewer) -> list[ProgramView]:
    if viewer.is_manager:
        return list_programs(db, viewer)
    today = datetime.now(UTC).date()
    return [program_view(db, row) for row in learner_programs(db, viewer.id, viewer.org_id, today)]


@router.get("/programs", response_model=Page[ProgramOut],
            responses={**error_responses(401), **page_example(ProgramOut, "/api/programs")})
def list_programs_api(request: Request, auth: ApiAuth, db: ReadDB,
                      status: Literal["active", "archived"] | None = None, scenario: OptionalSearchText = None,
                      limit: PageLimit = DEFAULT_LIMIT, offset: PageOffset = 0) -> Any:
    """The programs the caller sees: a manager those of their teams (an admin: all), a learner the ones they
    are enrolled in. ``status`` and ``scenario`` (a planned scenario's id) narrow the list."""
    rows = [p for p in _programs(db, auth.viewer) if (status is None or p.status == status)
            and (scenario is None or any(s.scenario_id == scenario for s in p.scenarios))]
    return page_of(request, [_program_out(p) for p in rows], limit, offset)


@router.get("/programs/{program_id}", response_model=ProgramOut, responses=error_responses(401, 404))
def get_program_api(program_id: DbId, auth: ApiAuth, db: ReadDB) -> Any:
    """One program the caller sees; 404 otherwise."""
    if auth.viewer.is_manager:
        try:
            return _program_out(get_program(db, auth.viewer, program_id))
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such program") from exc
    found = next((p for p in _programs(db, auth.viewer) if p.id == program_id), None)
    if found is None:
        raise HTTPException(status_code=404, detail="no such program")
    return _program_out(found)


@router.get("/programs/{program_id}/progress", response_model=ProgramProgressOut,
            responses=error_responses(401, 404))
def get_program_progress(program_id: DbId, auth: ApiAuth, db: ReadDB) -> Any:
    """A program's progress today, per learner the caller may see (managers and admins; the program page's
    numbers); 404 for anyone else."""
    try:
        progress = program_progress(db, auth.viewer, program_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such program") from exc
    return ProgramProgressOut.model_validate(progress.as_json())
