"""Programs as use cases (issue 14 item 1; docs/programs.md): a lead creates a practice sprint for a cohort,
enrols teams and learners, and reads the programs they may see. Progress and the learner's "this week" view are
in ``services.program_progress``; the rules (which reps count, pace, the weekly plan) in ``coaching.programs``.

Who may do what (``services.access``):
- **create**: an admin in their organisation (any team or user of it); a manager with teams they manage and
  learners of those teams only; the operator (``actor=None``: ``sparring program create``) in the organisation
  named. Never across organisations. Learners never.
- **enrol / unenrol**: whoever may create with that team or user, on a program they may see.
- **change** (``edit_program``: name, description, dates, targets, pass bar, the plan): the operator, an admin, or
  the manager who made it; never an archived program (make it active again first).
- **see**: an admin every program of the organisation; a manager the programs they created and those enrolling one
  of their teams or a learner of their teams (the progress page shows only those learners); a learner only their
  own "this week" view.

Creating and changing validate every field with one function (``validate_program``) and name it in the error
(``name: ...``, ``end: ...``, ``scenario: ...``); nothing is stored when anything is wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from sparring.coaching.programs import Plan, PlannedScenario, order_problems
from sparring.content.errors import UnknownContentError
from sparring.content.scenario import Scenario
from sparring.inputs import InputError, clean_text, is_db_id
from sparring.services import audit
from sparring.services.access import Viewer, managed_team_ids
from sparring.services.accounts import normalise_email
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.notifications import notify
from sparring.store.models import DIFFICULTIES, Team, TeamMember, User, utcnow
from sparring.store.program_models import ProgramEnrolmentRow, ProgramRow, ProgramScenarioRow

MAX_NAME = 200
MAX_DESCRIPTION = 4000
MAX_TARGET = 500
MAX_DAYS = 366
MAX_SCENARIOS = 30
#: looks a scenario up in an organisation's content (raises UnknownContentError for an unknown id)
ScenarioLookup = Callable[[int, str], Scenario]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class ScenarioChoice:
    """One scenario as the creator gives it: its id, and optionally the week it is planned for and a difficulty."""

    scenario_id: str
    week: int | None = None
    difficulty: str | None = None


@dataclass(frozen=True)
class ProgramView:
    """A program as stored: its plan, who created it, and who is enrolled (team names, users' e-mails)."""

    id: int
    org_id: int
    name: str
    description: str
    start_on: date
    end_on: date
    target_min: int
    target_max: int | None
    pass_bar: float | None
    status: str
    created_by: str
    created_at: datetime
    scenarios: tuple[PlannedScenario, ...]
    teams: tuple[str, ...]
    users: tuple[str, ...]
    #: the account that made it (None: the operator, or an account deleted since)
    created_by_id: int | None = None

    @property
    def plan(self) -> Plan:
        return Plan(self.start_on, self.end_on, self.target_min, self.target_max, self.pass_bar, self.scenarios)

    @property
    def target_label(self) -> str:
        return f"{self.target_min}–{self.target_max}" if self.target_max else str(self.target_min)

    def as_json(self) -> dict[str, object]:
        return {
            "program_id": self.id, "name": self.name, "description": self.description,
            "start": self.start_on.isoformat(), "end": self.end_on.isoformat(), "target": self.target_min,
            "target_max": self.target_max, "pass_bar": self.pass_bar, "status": self.status,
            "created_by": self.created_by,
            "scenarios": [{"id": s.scenario_id, "title": s.title, "week": s.week, "difficulty": s.difficulty}
                          for s in self.scenarios],
            "teams": list(self.teams), "users": list(self.users),
        }


# ---- parsing what people type -------------------------------------------------------------------------------


# ---- who may touch what ---------------------------------------------------------------------------------------


def _lead(actor: Viewer | None) -> None:
    if actor is not None and not actor.is_manager:
        raise NotFound("only managers and admins run programs")


def _team(db: Session, actor: Viewer | None, org_id: int, name: str) -> Team:
    name = name.strip()
    team = db.scalar(select(Team).where(Team.org_id == org_id, Team.name == name))
    if team is None or (actor is not None and team.id not in managed_team_ids(db, actor)):
        raise NotFound(f"team: unknown team {name[:80]!r}")
    return team


def _user(db: Session, actor: Viewer | None, org_id: int, email: str) -> User:
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        raise InvalidInput(f"user: give a learner's e-mail ({exc})") from None
    user = db.scalar(select(User).where(User.email == email, User.org_id == org_id))
    if user is None or (actor is not None and not actor.is_admin and not _manages(db, actor, user.id)):
        raise NotFound(f"user: unknown user {email}")
    if not user.is_active:
        raise InvalidInput(f"user: {email} is deactivated")
    return user


def _manages(db: Session, actor: Viewer, user_id: int) -> bool:
    teams = managed_team_ids(db, actor)
    return bool(teams) and db.scalar(select(TeamMember.user_id).where(
        TeamMember.user_id == user_id, TeamMember.team_id.in_(teams)).limit(1)) is not None


def visible_learner_ids(db: Session, viewer: Viewer | None) -> set[int] | None:
    """Learners whose progress the viewer sees (None: everyone of the organisation, for admins and the operator)."""
    if viewer is None or viewer.is_admin:
        return None
    teams = managed_team_ids(db, viewer) if viewer.is_manager else []
    if not teams:
        return set()
    return set(db.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(teams))))


def enrolled_ids_query(program_id: int) -> Select[int]:
    """The ids of the program's learners now, as a query: the learners of its enrolled teams and the users enrolled
    one by one (active accounts only). The one definition of "enrolled" (progress, reminders, the program filter of
    the CSV export)."""
    teams = select(ProgramEnrolmentRow.team_id).where(ProgramEnrolmentRow.program_id == program_id,
                                                      ProgramEnrolmentRow.team_id.is_not(None))
    direct = select(ProgramEnrolmentRow.user_id).where(ProgramEnrolmentRow.program_id == program_id,
                                                       ProgramEnrolmentRow.user_id.is_not(None))
    via_team = select(TeamMember.user_id).join(User, User.id == TeamMember.user_id).where(
        TeamMember.team_id.in_(teams), User.role == "learner")
    return select(User.id).where(User.is_active.is_(True), or_(User.id.in_(direct), User.id.in_(via_team)))


def enrolled_users(db: Session, program_id: int) -> list[User]:
    """The program's learners now (``enrolled_ids_query``), by name."""
    users = db.scalars(select(User).where(User.id.in_(enrolled_ids_query(program_id))))
    return sorted(users, key=lambda u: ((u.name or u.email).lower(), u.id))


# ---- creating and enrolling -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidProgram:
    """A program's fields after ``validate_program``: cleaned, checked, its scenarios resolved in order."""

    name: str
    description: str
    start_on: date
    end_on: date
    target_min: int
    target_max: int | None
    pass_bar: float | None
    scenarios: tuple[PlannedScenario, ...]


def validate_program(scenario_for: ScenarioLookup, org_id: int, *, name: str, description: str, start_on: date,
                     end_on: date, target_min: int, target_max: int | None, pass_bar: float | None,
                     scenarios: Sequence[ScenarioChoice | PlannedScenario]) -> ValidProgram:
    """Check every field of a program, as created or as changed (the one validation of both): InvalidInput or
    NotFound naming the field. A ``ScenarioChoice`` is looked up in the organisation's content; a
    ``PlannedScenario`` (a program's own, unchanged) is kept as it is, its week checked against the dates."""
    try:
        name = clean_text(name, "name", max_chars=MAX_NAME, required=True)
        description = clean_text(description, "description", max_chars=MAX_DESCRIPTION, multiline=True).strip()
    except InputError as exc:
        raise InvalidInput(str(exc)) from None
    if end_on < start_on:
        raise InvalidInput(f"end: {end_on.isoformat()} is before the start, {start_on.isoformat()}")
    if (end_on - start_on).days + 1 > MAX_DAYS:
        raise InvalidInput(f"end: a program lasts at most {MAX_DAYS} days")
    for field, value in (("target", target_min), ("target_max", target_max)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 1 <= value <= MAX_TARGET):
            raise InvalidInput(f"{field}: give a number of reps from 1 to {MAX_TARGET}")
    if target_max is not None and target_max < target_min:
        raise InvalidInput(f"target_max: {target_max} is below the target, {target_min}")
    if pass_bar is not None and not 0 <= pass_bar <= 100:
        raise InvalidInput("pass_bar: give an overall score from 0 to 100")
    if len(scenarios) > MAX_SCENARIOS:
        raise InvalidInput(f"scenario: at most {MAX_SCENARIOS} scenarios")
    planned: list[PlannedScenario] = []
    for i, choice in enumerate(scenarios):
        if choice.difficulty is not None and choice.difficulty not in DIFFICULTIES:
            raise InvalidInput(f"difficulty: use one of {', '.join(DIFFICULTIES)} (got {choice.difficulty[:20]!r})")
        if isinstance(choice, PlannedScenario):
            planned.append(PlannedScenario(choice.scenario_id, choice.title, i, choice.week, choice.difficulty))
            continue
        try:
            scenario = scenario_for(org_id, choice.scenario_id.strip())
        except UnknownContentError as exc:
            raise NotFound(f"scenario: {exc.brief}") from None
        planned.append(PlannedScenario(scenario.id, (scenario.title or scenario.id)[:300], i, choice.week,
                                       choice.difficulty))
    weeks = Plan(start_on, end_on, target_min, target_max, pass_bar, tuple(planned)).weeks
    problems = order_problems(planned, weeks)
    if problems:
        raise InvalidInput(problems[0])
    return ValidProgram(name, description, start_on, end_on, target_min, target_max, pass_bar, tuple(planned))


def create_program(db: Session, actor: Viewer | None, scenario_for: ScenarioLookup, *, org_id: int | None,
                   name: str, start_on: date, end_on: date, target_min: int, scenarios: Sequence[ScenarioChoice],
                   teams: Sequence[str] = (), users: Sequence[str] = (), target_max: int | None = None,
                   pass_bar: float | None = None, description: str = "",
                   now: datetime | None = None) -> ProgramView:
    """Create a program as ``actor`` (None: the operator, in ``org_id``) and enrol ``teams`` and ``users``.
    InvalidInput or NotFound naming the field; nothing is stored then."""
    now = now or utcnow()
    _lead(actor)
    if actor is not None:
        org_id = actor.org_id
    if org_id is None:
        raise InvalidInput("org: name the organisation")
    valid = validate_program(scenario_for, org_id, name=name, description=description, start_on=start_on,
                             end_on=end_on, target_min=target_min, target_max=target_max, pass_bar=pass_bar,
                             scenarios=scenarios)
    team_rows = [_team(db, actor, org_id, t) for t in dict.fromkeys(t.strip() for t in teams if t.strip())]
    user_rows = [_user(db, actor, org_id, u) for u in dict.fromkeys(u.strip() for u in users if u.strip())]
    if not team_rows and not user_rows:
        raise InvalidInput("team: enrol at least one team or learner")
    row = ProgramRow(org_id=org_id, name=valid.name, description=valid.description, start_on=start_on,
                     end_on=end_on, target_min=target_min, target_max=target_max, pass_bar=pass_bar,
                     created_by=actor.id if actor else None, status="active", created_at=now)
    db.add(row)
    db.flush()
    _store_scenarios(db, row.id, valid.scenarios)
    for team in team_rows:
        db.add(ProgramEnrolmentRow(program_id=row.id, team_id=team.id, created_at=now))
    for user in user_rows:
        db.add(ProgramEnrolmentRow(program_id=row.id, user_id=user.id, created_at=now))
    db.flush()
    _tell_enrolled(db, row, {u.id for u in enrolled_users(db, row.id)}, now)
    _audit(db, actor, row, "created", teams=[t.name for t in team_rows], users=[u.email for u in user_rows])
    return program_view(db, row)


def _store_scenarios(db: Session, program_id: int, planned: Sequence[PlannedScenario]) -> None:
    for p in planned:
        db.add(ProgramScenarioRow(program_id=program_id, position=p.position, scenario_id=p.scenario_id,
                                  title=p.title, week=p.week, difficulty=p.difficulty))
    db.flush()


class Keep(Enum):
    """``KEEP``: leave an optional field (the stretch target, the pass bar) as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class ProgramChanges:
    """What a lead changes in a program; None (``KEEP`` for the fields that may be cleared) leaves a field as it
    is, and ``scenarios`` replaces the whole plan (the order, the weeks, the difficulties)."""

    name: str | None = None
    description: str | None = None
    start_on: date | None = None
    end_on: date | None = None
    target_min: int | None = None
    target_max: int | Keep | None = KEEP
    pass_bar: float | Keep | None = KEEP
    scenarios: Sequence[ScenarioChoice] | None = None

    @property
    def empty(self) -> bool:
        return self == ProgramChanges()


def may_change(viewer: Viewer | None, created_by: int | None) -> bool:
    """Whether ``viewer`` may change a program they can see (made by ``created_by``): the operator, an admin, or
    the manager who made it."""
    return viewer is None or viewer.is_admin or (viewer.is_manager and created_by == viewer.id)


def edit_program(db: Session, actor: Viewer | None, scenario_for: ScenarioLookup, program_id: int,
                 changes: ProgramChanges) -> ProgramView:
    """Change a program mid-sprint (``validate_program`` checks the result as creating does; nothing is stored when
    anything is wrong). The reps already done stay; the progress, computed from the reps, follows the new plan.
    NotFound when the actor may not see the program; Conflict when they may not change it or it is archived."""
    _lead(actor)
    row = visible_program_row(db, actor, program_id)
    if not may_change(actor, row.created_by):
        raise Conflict("program: only the manager who made it or an admin may change it")
    if row.status == "archived":
        raise Conflict(f"program: {row.name} is archived; make it active again before changing it")
    if changes.empty:
        raise InvalidInput("program: nothing to change")
    view = program_view(db, row)
    valid = validate_program(
        scenario_for, row.org_id, name=row.name if changes.name is None else changes.name,
        description=row.description if changes.description is None else changes.description,
        start_on=changes.start_on or row.start_on, end_on=changes.end_on or row.end_on,
        target_min=row.target_min if changes.target_min is None else changes.target_min,
        target_max=row.target_max if isinstance(changes.target_max, Keep) else changes.target_max,
        pass_bar=row.pass_bar if isinstance(changes.pass_bar, Keep) else changes.pass_bar,
        scenarios=view.scenarios if changes.scenarios is None else changes.scenarios)
    row.name, row.description, row.start_on, row.end_on = valid.name, valid.description, valid.start_on, valid.end_on
    row.target_min, row.target_max, row.pass_bar = valid.target_min, valid.target_max, valid.pass_bar
    if valid.scenarios != view.scenarios:
        for old in db.scalars(select(ProgramScenarioRow).where(ProgramScenarioRow.program_id == row.id)):
            db.delete(old)
        db.flush()
        _store_scenarios(db, row.id, valid.scenarios)
    db.flush()
    _audit(db, actor, row, "edited", fields=[f.name for f in dataclasses.fields(changes)
                                             if getattr(changes, f.name) is not None
                                             and not isinstance(getattr(changes, f.name), Keep)])
    return program_view(db, row)


def _tell_enrolled(db: Session, program: ProgramRow, user_ids: set[int], now: datetime) -> None:
    for user_id in sorted(user_ids):
        notify(db, user_id, "enrolled",
               f"You are enrolled in {program.name}: {program.target_min} reps from {program.start_on:%d %b} to "
               f"{program.end_on:%d %b %Y}", "/", key=f"enrolled:{program.id}:{user_id}", now=now)


def enrol(db: Session, actor: Viewer | None, program_id: int, *, team: str | None = None,
          user: str | None = None, now: datetime | None = None) -> ProgramView:
    """Enrol a team (its learners now and later) or one user; enrolling again changes nothing."""
    now = now or utcnow()
    row = visible_program_row(db, actor, program_id)
    if (team is None) == (user is None):
        raise InvalidInput("team: give either a team or a user to enrol")
    before = {u.id for u in enrolled_users(db, row.id)}
    if team is not None:
        t = _team(db, actor, row.org_id, team)
        if db.scalar(select(ProgramEnrolmentRow.id).where(ProgramEnrolmentRow.program_id == row.id,
                                                          ProgramEnrolmentRow.team_id == t.id)) is None:
            db.add(ProgramEnrolmentRow(program_id=row.id, team_id=t.id, created_at=now))
    else:
        u = _user(db, actor, row.org_id, user or "")
        if db.scalar(select(ProgramEnrolmentRow.id).where(ProgramEnrolmentRow.program_id == row.id,
                                                          ProgramEnrolmentRow.user_id == u.id)) is None:
            db.add(ProgramEnrolmentRow(program_id=row.id, user_id=u.id, created_at=now))
    db.flush()
    _tell_enrolled(db, row, {u.id for u in enrolled_users(db, row.id)} - before, now)
    _audit(db, actor, row, "enrolled", **({"team": team} if team is not None else {"user": user}))
    return program_view(db, row)


def unenrol(db: Session, actor: Viewer | None, program_id: int, *, team: str | None = None,
            user: str | None = None) -> ProgramView:
    """Remove a team's or a user's enrolment (their reps stay; they no longer count for this program)."""
    row = visible_program_row(db, actor, program_id)
    if (team is None) == (user is None):
        raise InvalidInput("team: give either a team or a user to unenrol")
    if team is not None:
        target = ProgramEnrolmentRow.team_id == _team(db, actor, row.org_id, team).id
    else:
        target = ProgramEnrolmentRow.user_id == _user(db, actor, row.org_id, user or "").id
    found = db.scalar(select(ProgramEnrolmentRow).where(ProgramEnrolmentRow.program_id == row.id, target))
    if found is None:
        raise NotFound(f"{'team' if team is not None else 'user'}: not enrolled in this program")
    db.delete(found)
    db.flush()
    _audit(db, actor, row, "unenrolled", **({"team": team} if team is not None else {"user": user}))
    return program_view(db, row)


def set_archived(db: Session, actor: Viewer | None, program_id: int, archived: bool = True) -> ProgramView:
    """Archive a program (no more reminders, off the learners' This week cards; its progress stays readable) or
    make it active again."""
    row = visible_program_row(db, actor, program_id)
    row.status = "archived" if archived else "active"
    db.flush()
    _audit(db, actor, row, "archived" if archived else "made active")
    return program_view(db, row)


def _audit(db: Session, actor: Viewer | None, row: ProgramRow, change: str, **detail: object) -> None:
    """The audit entry for a change to a program, in the change's transaction (None acts from the command line)."""
    audit.record(db, actor, "program.changed", "program", row.id, {"change": change, "name": row.name, **detail},
                 "web" if actor is not None else "cli", org_id=row.org_id)


# ---- reading ------------------------------------------------------------------------------------------------------


def program_view(db: Session, row: ProgramRow) -> ProgramView:
    by = db.get(User, row.created_by) if row.created_by else None
    scenarios = tuple(PlannedScenario(s.scenario_id, s.title, s.position, s.week, s.difficulty)
                      for s in db.scalars(select(ProgramScenarioRow).where(ProgramScenarioRow.program_id == row.id)
                                          .order_by(ProgramScenarioRow.position)))
    teams = tuple(db.scalars(select(Team.name).join(ProgramEnrolmentRow, ProgramEnrolmentRow.team_id == Team.id)
                             .where(ProgramEnrolmentRow.program_id == row.id).order_by(Team.name)))
    users = tuple(db.scalars(select(User.email).join(ProgramEnrolmentRow, ProgramEnrolmentRow.user_id == User.id)
                             .where(ProgramEnrolmentRow.program_id == row.id).order_by(User.email)))
    return ProgramView(row.id, row.org_id, row.name, row.description, row.start_on, row.end_on, row.target_min,
                       row.target_max, row.pass_bar, row.status, (by.name or by.email) if by else "operator",
                       _utc(row.created_at), scenarios, teams, users, row.created_by)


def _sees(db: Session, viewer: Viewer, row: ProgramRow) -> bool:
    if row.org_id != viewer.org_id or not viewer.is_manager:
        return False
    if viewer.is_admin or row.created_by == viewer.id:
        return True
    teams = managed_team_ids(db, viewer)
    learners = visible_learner_ids(db, viewer) or set()
    return db.scalar(select(ProgramEnrolmentRow.id).where(
        ProgramEnrolmentRow.program_id == row.id,
        or_(ProgramEnrolmentRow.team_id.in_(teams or [-1]), ProgramEnrolmentRow.user_id.in_(learners or {-1})))
        .limit(1)) is not None


def visible_program_row(db: Session, viewer: Viewer | None, program_id: int) -> ProgramRow:
    row = db.get(ProgramRow, program_id) if isinstance(program_id, int) and is_db_id(program_id) else None
    if row is None or (viewer is not None and not _sees(db, viewer, row)):
        raise NotFound(f"no such program {program_id}")
    return row


def get_program(db: Session, viewer: Viewer | None, program_id: int) -> ProgramView:
    """One program as ``viewer`` (None: the operator) may see it; NotFound otherwise."""
    return program_view(db, visible_program_row(db, viewer, program_id))


def list_programs(db: Session, viewer: Viewer | None, org_id: int | None = None) -> list[ProgramView]:
    """The programs ``viewer`` sees (None: the operator sees every one, or ``org_id``'s), newest start first."""
    q = select(ProgramRow)
    if viewer is not None:
        if not viewer.is_manager:
            return []
        q = q.where(ProgramRow.org_id == viewer.org_id)
    elif org_id is not None:
        q = q.where(ProgramRow.org_id == org_id)
    rows = db.scalars(q.order_by(ProgramRow.start_on.desc(), ProgramRow.id.desc()).limit(500))
    return [program_view(db, r) for r in rows if viewer is None or _sees(db, viewer, r)]
