"""``sparring call drill`` (docs/drills.md): a short targeted scenario from one key moment of a stored call.

``call drill CONVERSATION_ID --moment START_TURN [--as EMAIL] [--assign EMAIL|team:NAME --reps N --due YYYY-MM-DD]
[--difficulty D] [--json]`` publishes the drill as the call's organisation's scenario; with ``--assign`` it is
assigned in the same step. With ``--json`` it prints ``{"scenario_id", "version", "assignment_id", "loop_id"}``
(``assignment_id`` null when not assigned). With ``--as`` the manager's or admin's access rules apply; without it
the local operator acts. The moments and their start turns are those of ``sparring call review``.
"""

from __future__ import annotations

import json

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

DIFFICULTIES = ("easy", "medium", "hard")


def drill(
    conversation_id: int = typer.Argument(..., help="the stored call's conversation id (sparring call import)"),
    moment: int = typer.Option(..., "--moment", help="the turn the moment starts at (start_turn in call review)"),
    as_user: str | None = typer.Option(None, "--as", help="act as this manager or admin (their access rules apply)"),
    assign: str | None = typer.Option(None, "--assign", help="also assign it: a learner's e-mail or team:NAME"),
    reps: int = typer.Option(3, "--reps", help="with --assign: reps each learner does"),
    due: str | None = typer.Option(None, "--due", help="with --assign: the last day, YYYY-MM-DD"),
    difficulty: str = typer.Option("medium", "--difficulty", help="with --assign: easy | medium | hard"),
    json_out: bool = typer.Option(False, "--json", help='print {"scenario_id", "version", "assignment_id", "loop_id"}'),
) -> None:
    """Make a short targeted drill from a moment of a stored call and publish it (optionally assign it)."""
    from sparring.cli.context import root
    from sparring.services import drills
    from sparring.services.access import Viewer
    from sparring.services.assignments import parse_due
    from sparring.store.models import User

    if assign is None and due is not None:
        raise UserError("--due only goes with --assign")
    if assign is not None and due is None:
        raise UserError("--assign needs --due YYYY-MM-DD")
    if difficulty not in DIFFICULTIES:
        raise UserError(f"unknown difficulty '{difficulty[:20]}' (use one of: {', '.join(DIFFICULTIES)})")
    app = root()
    database = app.database
    with service_errors():
        viewer = None
        if as_user is not None:
            record = app.accounts().find_user(as_user)
            if record.role not in ("manager", "admin"):
                raise UserError(f"--as: {record.email} is a {record.role}; only managers and admins create drills")
            with database.read() as s:
                user = s.get(User, record.id)
                assert user is not None
                viewer = Viewer.of(user)
        plan = None
        if assign is not None and due is not None:
            plan = drills.DrillAssignment(assign, parse_due(due), reps=reps, difficulty=difficulty)
        created = drills.create_drill(database, viewer, conversation_id, moment, writer=drills.drill_writer(
            app.settings), assign=plan)
    if json_out:
        print(json.dumps(created.as_json()))
        return
    state = "new version" if created.new_version else "unchanged, the current version"
    print(f"drill {created.scenario_id} version {created.version} ({state}): {created.title}")
    print(f"  from call {created.conversation_id}, turn {created.start_turn} ({created.moment_kind}); target "
          f"{created.criterion}; written by {created.engine}")
    for note in created.notes:
        print(f"  note: {note}")
    if created.assignment_id is not None:
        print(f"  assignment {created.assignment_id}: {reps} rep{'' if reps == 1 else 's'} at {difficulty} by {due}")
    if created.loop_id is not None:
        print(f"  coaching loop {created.loop_id}: the rep's next imported call is compared on {created.criterion} "
              "(sparring call loops)")
    print(f"  try it: sparring practice {created.scenario_id}")
