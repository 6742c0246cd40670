"""``sparring assign`` and ``sparring assignments list`` (CONTRACT.md; docs/assignments.md).

- ``assign SCENARIO_ID --to EMAIL|team:NAME --reps N --due YYYY-MM-DD [--difficulty D] [--by MANAGER_EMAIL]
  [--note TEXT] [--no-submit-best] [--json]`` → ``{"assignment_id"}``. With ``--by`` the manager's access rules
  apply (only their teams' learners); without it the local operator assigns within the target's organisation.
- ``assignments list [--user EMAIL] [--json]``: every assignment, or a learner's, with each learner's status.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

if TYPE_CHECKING:
    from sparring.content.scenario import Scenario

DIFFICULTIES = ("easy", "medium", "hard")  # sparring.store.models.DIFFICULTIES, without loading SQLAlchemy here


def _assign(
    scenario: str = typer.Argument(..., help="the scenario's id (sparring scenarios list)"),
    to: str = typer.Option(..., "--to", help="a learner's e-mail, or team:NAME for every learner of a team"),
    reps: int = typer.Option(..., "--reps", help="how many reps each learner does (1 or more)"),
    due: str = typer.Option(..., "--due", help="the last day, YYYY-MM-DD (UTC); today or later"),
    difficulty: str = typer.Option("medium", "--difficulty", help="easy | medium | hard (harder reps count too)"),
    by: str | None = typer.Option(None, "--by", help="the assigning manager's e-mail (their access rules apply)"),
    note: str = typer.Option("", "--note", help="a note the learners see"),
    submit_best: bool = typer.Option(True, "--submit-best/--no-submit-best",
                                     help="learners submit their best rep (default), or the reps alone complete it"),
    json_out: bool = typer.Option(False, "--json", help='print {"assignment_id": N}'),
) -> None:
    """Assign a scenario to a learner or a team: N reps by a due date."""
    from sparring.cli.context import root
    from sparring.services import assignments
    from sparring.services.access import Viewer
    from sparring.services.content import ContentService
    from sparring.store.models import User

    if difficulty not in DIFFICULTIES:
        raise UserError(f"unknown difficulty '{difficulty[:20]}' (use one of: {', '.join(DIFFICULTIES)})")
    if reps < 1:
        raise UserError(f"--reps must be 1 or more (got {reps})")
    app = root()
    database = app.database

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return ContentService(database, org_id).get_scenario(scenario_id)

    with service_errors():
        due_on = assignments.parse_due(due)
        actor = None
        if by is not None:
            record = app.accounts().find_user(by)
            if record.role not in ("manager", "admin"):
                raise UserError(f"--by: {record.email} is a {record.role}; only managers and admins assign")
            with database.read() as s:
                user = s.get(User, record.id)
                assert user is not None
                actor = Viewer.of(user)
        with database.session() as s:
            view = assignments.assign(s, actor, scenario_for, scenario, to, reps=reps, due_on=due_on,
                                      difficulty=difficulty, submit_best=submit_best, note=note)
    if json_out:
        print(json.dumps({"assignment_id": view.id}))
        return
    who = f"team {view.team}" if view.team else view.learners[0].email
    print(f"assignment {view.id}: {view.title} ({view.scenario_id}), {view.reps_required} rep"
          f"{'' if view.reps_required == 1 else 's'} at {view.difficulty} by {view.due_on.isoformat()} for {who}"
          f" ({len(view.learners)} learner{'' if len(view.learners) == 1 else 's'})")


def _list(
    user: str | None = typer.Option(None, "--user", help="only this learner's assignments (their e-mail)"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List assignments with each learner's status."""
    from sparring.cli.context import root
    from sparring.services import assignments

    app = root()
    with service_errors():
        user_id = app.accounts().find_user(user).id if user is not None else None
        with app.database.read() as s:
            views = assignments.list_for_user(s, user_id)
    if json_out:
        print(json.dumps([v.as_json() for v in views], ensure_ascii=False))
        return
    if not views:
        print("no assignments")
        return
    for v in views:
        who = f"team {v.team}" if v.team else "learner"
        print(f"assignment {v.id}: {v.title} ({v.scenario_id}), {v.reps_required} rep"
              f"{'' if v.reps_required == 1 else 's'} at {v.difficulty}, due {v.due_on.isoformat()}, to {who},"
              f" by {v.assigned_by}")
        for row in v.learners:
            submitted = f", submitted rep {row.submitted_rep_id}" if row.submitted_rep_id else ""
            reviewed = ", reviewed" if row.reviewed_at else ""
            print(f"  {row.email}: {row.status.replace('_', ' ')}, {row.reps_done} of {v.reps_required} reps done"
                  f"{submitted}{reviewed}")


def register(app: typer.Typer) -> None:
    app.command("assign")(_assign)
    group = typer.Typer(help="Assignments: who practises what, by when, and where they are.", no_args_is_help=True)
    group.command("list")(_list)
    app.add_typer(group, name="assignments")
