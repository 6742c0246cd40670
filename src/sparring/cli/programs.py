"""``sparring program ...``: practice sprints from the command line (CONTRACT.md; docs/programs.md).

- ``program create --org ORG --name NAME --team TEAM --scenario ID [--scenario ID...] --start YYYY-MM-DD
  --end YYYY-MM-DD --target N [--json]`` → ``{"program_id"}``. Also ``--user EMAIL`` (repeatable; with it
  ``--team`` may be left out), ``--week N`` (repeatable: the i-th ``--week`` plans the i-th ``--scenario``),
  ``--target-max N``, ``--pass-bar SCORE``, ``--description TEXT``. The operator creates it in ORG.
- ``program edit PROGRAM_ID [--name] [--description] [--start] [--end] [--target N] [--target-max N |
  --no-target-max] [--pass-bar SCORE | --no-pass-bar] [--scenario ID [--week N]...] [--json]``: change a program
  mid-sprint (validated as ``create``; ``--scenario`` replaces the whole plan; the reps done stay and count by the
  new plan). An archived program is refused.
- ``program list [--org ORG] [--json]``: every program (or ORG's).
- ``program show PROGRAM_ID [--json]``: the program and each learner's progress.
- ``program enrol PROGRAM_ID --team T | --user EMAIL`` and ``program unenrol`` (the same options).
- ``program archive PROGRAM_ID [--undo]``: no more reminders, off the learners' cards (progress stays readable).
- ``program certify``, ``program certification``, ``program sign-off``, ``program revoke``: certification
  (``cli/certification.py``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors
from sparring.services.form_values import parse_day

if TYPE_CHECKING:
    from sparring.content.scenario import Scenario


def _create(
    org: str = typer.Option(..., "--org", help="the organisation's name or slug"),
    name: str = typer.Option(..., "--name", help="the program's name"),
    team: list[str] = typer.Option([], "--team", help="enrol this team's learners (repeatable)"),
    scenario: list[str] = typer.Option(..., "--scenario", help="a scenario id, in order (repeatable)"),
    start: str = typer.Option(..., "--start", help="the first day, YYYY-MM-DD (UTC)"),
    end: str = typer.Option(..., "--end", help="the last day, YYYY-MM-DD (UTC), included"),
    target: int = typer.Option(..., "--target", help="reps each learner does at least"),
    user: list[str] = typer.Option([], "--user", help="enrol this user (an e-mail; repeatable)"),
    week: list[int] = typer.Option([], "--week", help="the week of the scenario in the same place (repeatable)"),
    target_max: int | None = typer.Option(None, "--target-max", help="the stretch target (at least --target)"),
    pass_bar: float | None = typer.Option(None, "--pass-bar", help="overall score (0-100) a rep needs to pass"),
    description: str = typer.Option("", "--description", help="what the program is for"),
    json_out: bool = typer.Option(False, "--json", help='print {"program_id": N}'),
) -> None:
    """Create a practice program for teams or learners: scenarios, dates, a rep target."""
    from sparring.cli.context import root
    from sparring.services import programs
    from sparring.services.content import ContentService

    if week and len(week) != len(scenario):
        raise UserError(f"--week: give one --week per --scenario ({len(week)} weeks for {len(scenario)} scenarios)")
    app = root()
    database = app.database

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return ContentService(database, org_id).get_scenario(scenario_id)

    with service_errors():
        start_on = parse_day(start, "start")
        end_on = parse_day(end, "end")
        org_id = app.accounts().org_id(org)
        choices = [programs.ScenarioChoice(sid, week[i] if week else None) for i, sid in enumerate(scenario)]
        with database.session() as s:
            view = programs.create_program(s, None, scenario_for, org_id=org_id, name=name, start_on=start_on,
                                           end_on=end_on, target_min=target, target_max=target_max,
                                           pass_bar=pass_bar, scenarios=choices, teams=team, users=user,
                                           description=description)
    if json_out:
        print(json.dumps({"program_id": view.id}))
        return
    print(f"program {view.id}: {view.name}, {view.start_on.isoformat()} to {view.end_on.isoformat()}, "
          f"{view.target_label} reps per learner, {len(view.scenarios)} scenario"
          f"{'' if len(view.scenarios) == 1 else 's'}, enrolled: {', '.join(_enrolled(view.teams, view.users))}")


def _edit(
    program_id: int = typer.Argument(..., help="the program's id (sparring program list)"),
    name: str | None = typer.Option(None, "--name", help="a new name"),
    description: str | None = typer.Option(None, "--description", help="what the program is for"),
    start: str | None = typer.Option(None, "--start", help="a new first day, YYYY-MM-DD (UTC)"),
    end: str | None = typer.Option(None, "--end", help="a new last day, YYYY-MM-DD (UTC), included"),
    target: int | None = typer.Option(None, "--target", help="reps each learner does at least"),
    target_max: int | None = typer.Option(None, "--target-max", help="the stretch target (at least --target)"),
    no_target_max: bool = typer.Option(False, "--no-target-max", help="drop the stretch target"),
    pass_bar: float | None = typer.Option(None, "--pass-bar", help="overall score (0-100) a rep needs to pass"),
    no_pass_bar: bool = typer.Option(False, "--no-pass-bar", help="drop the pass bar (every counting rep passes)"),
    scenario: list[str] = typer.Option([], "--scenario", help="the new plan: scenario ids in order (repeatable)"),
    week: list[int] = typer.Option([], "--week", help="the week of the --scenario in the same place (repeatable)"),
    json_out: bool = typer.Option(False, "--json", help="print the program as JSON"),
) -> None:
    """Change a program mid-sprint: name, dates, rep target, pass bar, the plan. The reps done are kept."""
    from sparring.cli.context import root
    from sparring.services import programs
    from sparring.services.content import ContentService

    if target_max is not None and no_target_max:
        raise UserError("give either --target-max or --no-target-max")
    if pass_bar is not None and no_pass_bar:
        raise UserError("give either --pass-bar or --no-pass-bar")
    if week and len(week) != len(scenario):
        raise UserError(f"--week: give one --week per --scenario ({len(week)} weeks for {len(scenario)} scenarios)")
    app = root()
    database = app.database

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return ContentService(database, org_id).get_scenario(scenario_id)

    with service_errors():
        changes = programs.ProgramChanges(
            name=name, description=description,
            start_on=parse_day(start, "start") if start is not None else None,
            end_on=parse_day(end, "end") if end is not None else None, target_min=target,
            target_max=None if no_target_max else programs.KEEP if target_max is None else target_max,
            pass_bar=None if no_pass_bar else programs.KEEP if pass_bar is None else pass_bar,
            scenarios=[programs.ScenarioChoice(sid, week[i] if week else None) for i, sid in enumerate(scenario)]
            or None)
        if changes.empty:
            raise UserError("give at least one change (sparring program edit --help)")
        with database.session() as s:
            view = programs.edit_program(s, None, scenario_for, program_id, changes)
    if json_out:
        print(json.dumps(view.as_json(), ensure_ascii=False))
        return
    print(f"program {view.id} changed: {view.name}, {view.start_on.isoformat()} to {view.end_on.isoformat()}, "
          f"{view.target_label} reps per learner"
          + (f", pass bar {view.pass_bar:g}" if view.pass_bar is not None else ", no pass bar")
          + f", {len(view.scenarios)} scenario{'' if len(view.scenarios) == 1 else 's'}")


def _enrolled(teams: tuple[str, ...], users: tuple[str, ...]) -> list[str]:
    return [f"team {t}" for t in teams] + list(users)


def _list(
    org: str | None = typer.Option(None, "--org", help="only this organisation's programs"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List programs."""
    from sparring.cli.context import root
    from sparring.services import programs

    app = root()
    with service_errors():
        org_id = app.accounts().org_id(org) if org is not None else None
        with app.database.read() as s:
            views = programs.list_programs(s, None, org_id)
    if json_out:
        print(json.dumps([v.as_json() for v in views], ensure_ascii=False))
        return
    if not views:
        print("no programs")
    for v in views:
        print(f"program {v.id}: {v.name} ({v.status}), {v.start_on.isoformat()} to {v.end_on.isoformat()}, "
              f"{v.target_label} reps, enrolled: {', '.join(_enrolled(v.teams, v.users)) or 'nobody'}")


def _show(
    program_id: int = typer.Argument(..., help="the program's id (sparring program list)"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Show a program and each learner's progress: reps so far, passed, last rep, on track or behind."""
    from sparring.cli.context import root
    from sparring.coaching.programs import PACE_LABELS
    from sparring.services.program_progress import program_progress

    app = root()
    with service_errors(), app.database.read() as s:
        p = program_progress(s, None, program_id)
    if json_out:
        print(json.dumps(p.as_json(), ensure_ascii=False))
        return
    v = p.program
    print(f"program {v.id}: {v.name}, {v.start_on.isoformat()} to {v.end_on.isoformat()}, {v.target_label} reps "
          f"per learner" + (f", pass bar {v.pass_bar:g}" if v.pass_bar is not None else ""))
    for s_ in v.scenarios:
        print(f"  {s_.position + 1}. {s_.title} ({s_.scenario_id})" + (f", week {s_.week}" if s_.week else ""))
    print(f"{len(p.learners)} learner{'' if len(p.learners) == 1 else 's'}, {p.total_reps} reps, "
          f"{round(p.completion * 100)}% complete, {p.expected} reps expected each by today ({p.today.isoformat()})")
    for r in p.learners:
        last = r.last_rep_at.date().isoformat() if r.last_rep_at else "never"
        print(f"  {r.email}: {r.reps} of {v.target_min} reps, {r.passed} passed, last rep {last}, "
              f"{PACE_LABELS[r.pace].lower()}")


def _enrol_or_unenrol(program_id: int, team: str | None, user: str | None, add: bool) -> None:
    from sparring.cli.context import root
    from sparring.services import programs

    if (team is None) == (user is None):
        raise UserError("give either --team or --user")
    app = root()
    with service_errors(), app.database.session() as s:
        fn = programs.enrol if add else programs.unenrol
        view = fn(s, None, program_id, team=team, user=user)
    who = f"team {team}" if team is not None else user
    print(f"{who} {'enrolled in' if add else 'unenrolled from'} program {view.id} ({view.name})")


def _enrol(
    program_id: int = typer.Argument(..., help="the program's id"),
    team: str | None = typer.Option(None, "--team", help="a team (its learners, now and later)"),
    user: str | None = typer.Option(None, "--user", help="one user's e-mail"),
) -> None:
    """Enrol a team or a user in a program."""
    _enrol_or_unenrol(program_id, team, user, True)


def _unenrol(
    program_id: int = typer.Argument(..., help="the program's id"),
    team: str | None = typer.Option(None, "--team", help="a team enrolled before"),
    user: str | None = typer.Option(None, "--user", help="a user enrolled before (their e-mail)"),
) -> None:
    """Remove a team's or a user's enrolment (their reps are kept)."""
    _enrol_or_unenrol(program_id, team, user, False)


def _archive(
    program_id: int = typer.Argument(..., help="the program's id"),
    undo: bool = typer.Option(False, "--undo", help="make an archived program active again"),
) -> None:
    """Archive a program: no more reminders, off the learners' cards; its progress stays readable."""
    from sparring.cli.context import root
    from sparring.services import programs

    app = root()
    with service_errors(), app.database.session() as s:
        view = programs.set_archived(s, None, program_id, archived=not undo)
    print(f"program {view.id} ({view.name}) is {view.status}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Programs: practice sprints for a cohort (scenarios, dates, rep targets, progress).",
                        no_args_is_help=True)
    group.command("create")(_create)
    group.command("edit")(_edit)
    group.command("list")(_list)
    group.command("show")(_show)
    group.command("enrol")(_enrol)
    group.command("unenrol")(_unenrol)
    group.command("archive")(_archive)
    from sparring.cli import certification

    group.command("certify")(certification.certify)
    group.command("certification")(certification.show)
    group.command("sign-off")(certification.sign_off)
    group.command("revoke")(certification.revoke)
    app.add_typer(group, name="program")
