"""Assignments as use cases (issue 13 item 5; docs/assignments.md): a manager assigns a scenario to a learner or a
team, the learner practises and submits their best rep, the manager reviews it.

Who may do what (``services.access``):
- **assign**: a manager to a learner of a team they manage, or to such a team (its learners at that moment become
  the assignees); an admin to anyone or any team of their organisation; the operator (``actor=None``: the local
  ``sparring assign`` without ``--by``) to anyone. Never across organisations.
- **see**: a learner sees their own assignments (the inbox); a manager the assignments they made and those with a
  learner of their teams (only those learners' rows); an admin every assignment of the organisation.
- **submit**: the assignee, one of their own ended reps that counts (``coaching.assignments.submit_problem``).
- **review**: whoever may see that learner's row, once a rep is submitted.

Notifications (``services.notifications``): each assignee on assign; the assigning manager on submit; the learner
on review. Statuses are computed live from the reps (``coaching.assignments.status_of``); the reminder task
(``services.assignment_reminders``) stores them and sends the reminders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from sparring.coaching.assignments import (
    CountedRep,
    Progress,
    Status,
    counting_reps,
    is_overdue,
    status_of,
    submit_problem,
)
from sparring.content.errors import UnknownContentError
from sparring.content.scenario import Scenario
from sparring.inputs import InputError, clean_text, is_db_id
from sparring.integrations import events
from sparring.services import audit, event_data
from sparring.services.access import Viewer, managed_team_ids
from sparring.services.accounts import normalise_email
from sparring.services.dashboards import may_view_learner
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.form_values import parse_day
from sparring.services.notifications import notify
from sparring.store.coaching_models import AssigneeRow, AssignmentRow
from sparring.store.models import DIFFICULTIES, Team, TeamMember, User, utcnow

MAX_NOTE = 2000
MAX_REPS = 50
TEAM_PREFIX = "team:"
#: looks a scenario up in an organisation's content (raises UnknownContentError for an unknown id)
ScenarioLookup = Callable[[int, str], Scenario]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class LearnerStatus:
    """One assignee's row: who, status, reps done and the counting reps, the submitted rep, review."""

    assignee_id: int
    user_id: int
    name: str
    email: str
    status: Status
    reps_done: int
    reps: tuple[CountedRep, ...]
    submitted_rep_id: int | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    late: bool


@dataclass(frozen=True)
class AssignmentView:
    id: int
    scenario_id: str
    title: str
    difficulty: str
    reps_required: int
    due_on: date
    submit_best: bool
    note: str
    team: str | None
    assigned_by: str
    created_at: datetime
    overdue: bool
    learners: list[LearnerStatus] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for learner in self.learners if learner.status == status)

    def as_json(self) -> dict[str, object]:
        return {
            "assignment_id": self.id, "scenario": self.scenario_id, "title": self.title,
            "difficulty": self.difficulty, "reps": self.reps_required, "due": self.due_on.isoformat(),
            "submit_best": self.submit_best, "team": self.team, "assigned_by": self.assigned_by,
            "learners": [{"email": s.email, "status": s.status, "reps_done": s.reps_done,
                          "submitted_rep_id": s.submitted_rep_id,
                          "reviewed": s.reviewed_at is not None} for s in self.learners],
        }


# ---- assigning -----------------------------------------------------------------------------------------------


def _targets(db: Session, actor: Viewer | None, target: str) -> tuple[int, int | None, list[User]]:
    """(organisation, team id or None, assignees) for ``target`` (an e-mail or ``team:NAME``), checked against
    what ``actor`` may assign to."""
    target = target.strip()
    if target.lower().startswith(TEAM_PREFIX):
        name = target[len(TEAM_PREFIX):].strip()
        q = select(Team).where(Team.name == name)
        if actor is not None:
            q = q.where(Team.org_id == actor.org_id)
        teams = list(db.scalars(q))
        if not teams:
            raise NotFound(f"to: unknown team {name[:80]!r}")
        if len(teams) > 1:
            raise InvalidInput(f"to: team {name[:80]!r} exists in several organisations; name the manager with --by")
        team = teams[0]
        if actor is not None and team.id not in managed_team_ids(db, actor):
            raise NotFound(f"to: unknown team {name[:80]!r}")  # another manager's team is not there for this one
        members = list(db.scalars(
            select(User).join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team.id, User.role == "learner", User.is_active.is_(True))
            .order_by(User.id)))
        if not members:
            raise InvalidInput(f"to: team {team.name!r} has no active learners to assign to")
        return team.org_id, team.id, members
    try:
        email = normalise_email(target)
    except InvalidInput as exc:
        raise InvalidInput(f"to: give a learner's e-mail or team:NAME ({exc})") from None
    user = db.scalar(select(User).where(User.email == email))
    if user is None or (actor is not None and (user.id == actor.id or may_view_learner(db, actor, user.id) is None)):
        raise NotFound(f"to: unknown user {email}")
    if not user.is_active:
        raise InvalidInput(f"to: {email} is deactivated")
    return user.org_id, None, [user]


def check_due(due_on: date, now: datetime) -> None:
    if is_overdue(due_on, now):
        raise InvalidInput(f"due: {due_on.isoformat()} is in the past (give today or a later day, YYYY-MM-DD)")


def parse_due(text: str) -> date:
    return parse_day(text, "due")


def assign(db: Session, actor: Viewer | None, scenario_for: ScenarioLookup, scenario_id: str, target: str, *,
           reps: int, due_on: date, difficulty: str = "medium", submit_best: bool = True, note: str = "",
           now: datetime | None = None) -> AssignmentView:
    """Assign ``scenario_id`` to ``target`` (an e-mail or ``team:NAME``) as ``actor`` (None: the operator).
    NotFound for an unknown scenario, user or team (or one the actor may not assign to); InvalidInput for a bad
    number of reps, a past due date, an unknown difficulty or an over-long note."""
    now = now or utcnow()
    if actor is not None and not actor.is_manager:
        raise NotFound("only managers and admins assign practice")
    if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= MAX_REPS:
        raise InvalidInput(f"reps: give a number of reps from 1 to {MAX_REPS}")
    if difficulty not in DIFFICULTIES:
        raise InvalidInput(f"difficulty: use one of {', '.join(DIFFICULTIES)}")
    check_due(due_on, now)
    try:
        note = clean_text(note, "note", max_chars=MAX_NOTE, multiline=True).strip()
        scenario_id = clean_text(scenario_id, "scenario", max_chars=80, required=True)
    except InputError as exc:
        raise InvalidInput(str(exc)) from None
    org_id, team_id, users = _targets(db, actor, target)
    try:
        scenario = scenario_for(org_id, scenario_id)
    except UnknownContentError as exc:
        raise NotFound(f"scenario: {exc.brief}") from None
    row = AssignmentRow(org_id=org_id, assigned_by=actor.id if actor else None, team_id=team_id,
                        scenario_id=scenario.id, scenario_version=scenario.version or None,
                        title=(scenario.title or scenario.id)[:300], difficulty=difficulty, reps_required=reps,
                        due_on=due_on, submit_best=submit_best, note=note, created_at=now)
    db.add(row)
    db.flush()
    by = actor.name if actor else "Your organisation"
    for user in users:
        db.add(AssigneeRow(assignment_id=row.id, user_id=user.id, status="not_started", created_at=now))
        notify(db, user.id, "assigned",
               f"{by} assigned you {row.title}: {reps} rep{'' if reps == 1 else 's'} at {difficulty} by "
               f"{due_on:%d %b %Y}", "/assignments", now=now)
    db.flush()
    audit.record(db, actor, "assignment.created", "assignment", row.id,
                 {"scenario": scenario.id, "target": target[:200], "reps": reps, "due": due_on.isoformat(),
                  "assignees": len(users)}, "web" if actor is not None else "cli", org_id=org_id)
    return _view(db, row, users_visible=None, now=now)


# ---- reading -------------------------------------------------------------------------------------------------


def _learner_status(db: Session, a: AssignmentRow, assignee: AssigneeRow, user: User,
                    now: datetime) -> LearnerStatus:
    progress: Progress = counting_reps(db, user.id, a.scenario_id, a.difficulty, _utc(a.created_at))
    status = status_of(progress, reps_required=a.reps_required, submit_best=a.submit_best,
                       submitted=assignee.submitted_rep_id is not None, due_on=a.due_on, now=now)
    submitted_at = _utc(assignee.submitted_at) if assignee.submitted_at else None
    late = submitted_at is not None and is_overdue(a.due_on, submitted_at)
    return LearnerStatus(assignee.id, user.id, user.name or user.email, user.email, status, progress.done,
                         progress.reps, assignee.submitted_rep_id, submitted_at,
                         _utc(assignee.reviewed_at) if assignee.reviewed_at else None, late)


def _view(db: Session, a: AssignmentRow, users_visible: set[int] | None, now: datetime) -> AssignmentView:
    by = db.get(User, a.assigned_by) if a.assigned_by else None
    team = db.get(Team, a.team_id) if a.team_id else None
    learners = []
    for assignee, user in db.execute(select(AssigneeRow, User).join(User, User.id == AssigneeRow.user_id)
                                     .where(AssigneeRow.assignment_id == a.id)):
        if users_visible is None or user.id in users_visible:
            learners.append(_learner_status(db, a, assignee, user, now))
    learners.sort(key=lambda row: (row.name.lower(), row.user_id))
    return AssignmentView(a.id, a.scenario_id, a.title, a.difficulty, a.reps_required, a.due_on, a.submit_best,
                          a.note, team.name if team else None, (by.name or by.email) if by else "operator",
                          _utc(a.created_at), is_overdue(a.due_on, now), learners)


def _managed_learner_ids(db: Session, viewer: Viewer) -> set[int] | None:
    """Learners whose rows the viewer sees (None: every row of the organisation, for admins)."""
    if viewer.is_admin:
        return None
    teams = managed_team_ids(db, viewer)
    if not teams:
        return set()
    return set(db.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(teams))))


def managed_assignments(db: Session, viewer: Viewer, now: datetime | None = None) -> list[AssignmentView]:
    """The assignments a manager or admin sees (the module's docstring), newest first, each with the rows of the
    learners they may see."""
    now = now or utcnow()
    if not viewer.is_manager:
        return []
    visible = _managed_learner_ids(db, viewer)
    q = select(AssignmentRow).where(AssignmentRow.org_id == viewer.org_id)
    if visible is not None:
        theirs = exists().where(AssigneeRow.assignment_id == AssignmentRow.id,
                                AssigneeRow.user_id.in_(visible or {-1}))
        q = q.where(or_(AssignmentRow.assigned_by == viewer.id, theirs))
    rows = db.scalars(q.order_by(AssignmentRow.created_at.desc(), AssignmentRow.id.desc()).limit(200))
    return [_view(db, a, visible, now) for a in rows]


def managed_assignment(db: Session, viewer: Viewer, assignment_id: int,
                       now: datetime | None = None) -> AssignmentView:
    """One assignment as a manager or admin sees it; NotFound when they may not (or it does not exist)."""
    now = now or utcnow()
    a = db.get(AssignmentRow, assignment_id) if is_db_id(assignment_id) else None
    if a is None or a.org_id != viewer.org_id or not viewer.is_manager:
        raise NotFound("no such assignment")
    visible = _managed_learner_ids(db, viewer)
    view = _view(db, a, visible, now)
    if visible is not None and not view.learners and a.assigned_by != viewer.id:
        raise NotFound("no such assignment")
    return view


def inbox(db: Session, viewer: Viewer, now: datetime | None = None) -> list[AssignmentView]:
    """The viewer's own assignments (their row only), open ones first by due day, then the submitted ones."""
    now = now or utcnow()
    out = [_view(db, a, {viewer.id}, now) for a in db.scalars(
        select(AssignmentRow).join(AssigneeRow, AssigneeRow.assignment_id == AssignmentRow.id)
        .where(AssigneeRow.user_id == viewer.id, AssignmentRow.org_id == viewer.org_id))]
    return sorted(out, key=lambda v: (v.learners[0].status == "submitted" if v.learners else True, v.due_on, v.id))


def list_for_user(db: Session, user_id: int | None, now: datetime | None = None) -> list[AssignmentView]:
    """Every assignment (the operator's view: ``sparring assignments list``), or those of ``user_id`` with their
    row only; newest first."""
    now = now or utcnow()
    q = select(AssignmentRow)
    if user_id is not None:
        q = q.where(exists().where(AssigneeRow.assignment_id == AssignmentRow.id, AssigneeRow.user_id == user_id))
    rows = db.scalars(q.order_by(AssignmentRow.created_at.desc(), AssignmentRow.id.desc()).limit(500))
    return [_view(db, a, None if user_id is None else {user_id}, now) for a in rows]


# ---- submitting and reviewing ----------------------------------------------------------------------------------


def _own_assignee(db: Session, viewer: Viewer, assignee_id: int) -> tuple[AssigneeRow, AssignmentRow]:
    row = db.get(AssigneeRow, assignee_id) if is_db_id(assignee_id) else None
    a = db.get(AssignmentRow, row.assignment_id) if row is not None else None
    if row is None or a is None or row.user_id != viewer.id or a.org_id != viewer.org_id:
        raise NotFound("no such assignment")
    return row, a


def submit(db: Session, viewer: Viewer, assignee_id: int, rep_id: int, now: datetime | None = None) -> int:
    """Submit ``rep_id`` as the viewer's best rep for their assignment row ``assignee_id`` (again: the new one
    replaces the earlier until it is reviewed); returns the assignment id."""
    now = now or utcnow()
    row, a = _own_assignee(db, viewer, assignee_id)
    if row.reviewed_at is not None:
        raise InvalidInput("rep: this submission was reviewed already")
    progress = counting_reps(db, viewer.id, a.scenario_id, a.difficulty, _utc(a.created_at))
    problem = submit_problem(progress, rep_id, a.reps_required)
    if problem:
        raise InvalidInput(problem)
    row.submitted_rep_id, row.submitted_at, row.status = rep_id, now, "submitted"
    events.publish(db, a.org_id, events.ASSIGNMENT_SUBMITTED,
                   event_data.assignment_submitted(a, row, is_overdue(a.due_on, now)))
    if a.assigned_by is not None:
        late = " (late)" if is_overdue(a.due_on, now) else ""
        notify(db, a.assigned_by, "submitted", f"{viewer.name} submitted their best rep of {a.title}{late}",
               f"/team/assignments/{a.id}", now=now)
    return a.id


def review(db: Session, viewer: Viewer, assignee_id: int, now: datetime | None = None, via: str = "web") -> int:
    """Mark a learner's submitted rep reviewed (a manager or admin who sees the learner's row), audited as
    ``assignment.reviewed``; returns the assignment id."""
    now = now or utcnow()
    row = db.get(AssigneeRow, assignee_id) if is_db_id(assignee_id) else None
    if row is None:
        raise NotFound("no such assignment")
    view = managed_assignment(db, viewer, row.assignment_id, now)
    if all(learner.assignee_id != row.id for learner in view.learners):
        raise NotFound("no such assignment")
    if row.submitted_rep_id is None:
        raise InvalidInput("review: nothing was submitted yet")
    if row.reviewed_at is None:
        row.reviewed_at = now
        notify(db, row.user_id, "reviewed", f"{viewer.name} reviewed your rep of {view.title}",
               f"/reps/{row.submitted_rep_id}/scorecard", now=now)
        learner = db.get(User, row.user_id)
        audit.record(db, viewer, "assignment.reviewed", "assignment", view.id,
                     {"learner": learner.email if learner else row.user_id, "rep_id": row.submitted_rep_id,
                      "title": view.title}, via)
    return view.id
