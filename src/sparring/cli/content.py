"""``sparring scenarios``, ``sparring rubrics`` and ``sparring content`` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from sparring.content.library import get_library
from sparring.content.loader import validate_paths
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario

console = Console()


def _scenarios() -> list[Scenario]:
    """Imported scenarios (newest published version) and the built-ins, sorted by id."""
    from sparring.cli.context import root
    from sparring.services.content import operator_content

    svc = operator_content(root().database_url)
    return svc.list_scenarios() if svc is not None else sorted(get_library().scenarios.values(), key=lambda s: s.id)


def _rubrics() -> list[Rubric]:
    from sparring.cli.context import root
    from sparring.services.content import operator_content

    svc = operator_content(root().database_url)
    return svc.list_rubrics() if svc is not None else sorted(get_library().rubrics.values(), key=lambda r: r.id)


def _scenarios_list(json_out: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    rows: list[dict[str, Any]] = [
        {
            "id": s.id,
            "title": s.title,
            "domain": s.domain,
            "rubric": s.rubric,
            "skills": list(s.skills),
            "difficulties": list(s.difficulties),
        }
        for s in _scenarios()
    ]
    if json_out:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="Scenarios", title_justify="left")
    table.add_column("id", no_wrap=True, style="bold")
    table.add_column("title", ratio=3)
    table.add_column("domain", no_wrap=True)
    if console.width >= 140:
        table.add_column("rubric", no_wrap=True)
        table.add_column("skills", ratio=2)
    for r in rows:
        cells = [r["id"], r["title"], r["domain"]]
        if console.width >= 140:
            cells += [r["rubric"], ", ".join(r["skills"])]
        table.add_row(*cells)
    console.print(table)
    console.print("Start one with: sparring practice SCENARIO_ID   (details: sparring scenarios show SCENARIO_ID)")


def _scenarios_show(
    scenario_id: str = typer.Argument(..., help="scenario id"),
    json_out: bool = typer.Option(False, "--json", help="print JSON (the learner-visible fields)"),
) -> None:
    from sparring.cli.context import root
    from sparring.services.content import operator_content

    svc = operator_content(root().database_url)
    s = svc.get_scenario(scenario_id) if svc is not None else get_library().scenario(scenario_id)
    visible = {
        "id": s.id,
        "title": s.title,
        "domain": s.domain,
        "rubric": s.rubric,
        "skills": s.skills,
        "difficulties": s.difficulties,
        "brief": s.brief,
        "learner_role": s.learner_role,
        "objectives": s.objectives,
        "counterpart": {"name": s.persona.name, "role": s.persona.role, "company": s.persona.company},
        "max_turns": s.max_turns,
        "version": s.version,
    }
    if json_out:
        print(json.dumps(visible, indent=2))
        return
    console.print(f"[bold]{s.title}[/bold]  ({s.id}, {s.domain}, rubric {s.rubric})")
    who = s.persona.name + ", " + s.persona.role + (f" at {s.persona.company}" if s.persona.company else "")
    console.print(f"You talk to: {who}")
    if s.learner_role:
        console.print(f"You are: {s.learner_role}")
    console.print()
    console.print(s.brief.strip())
    console.print()
    console.print("[bold]Objectives[/bold]")
    for o in s.objectives:
        console.print(f"  • {o}")
    console.print(f"\nSkills: {', '.join(s.skills)}   Difficulties: easy, medium, hard   Max turns: {s.max_turns}")


def _rubrics_list(json_out: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    rows: list[dict[str, Any]] = [
        {
            "id": r.id,
            "title": r.title,
            "criteria": [{"id": c.id, "name": c.name, "kind": c.kind} for c in r.criteria],
        }
        for r in _rubrics()
    ]
    if json_out:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="Rubrics", title_justify="left")
    table.add_column("id", no_wrap=True, style="bold")
    table.add_column("title")
    table.add_column("criteria")
    for r in rows:
        table.add_row(r["id"], r["title"], ", ".join(f"{c['id']} ({c['kind']})" for c in r["criteria"]))
    console.print(table)


def _content_validate(paths: list[Path] = typer.Argument(..., help="YAML files or directories")) -> None:
    problems = validate_paths(list(paths))
    if problems:
        for p in problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(1)
    typer.echo("ok: all content is valid")


def register(app: typer.Typer) -> None:
    scenarios = typer.Typer(help="Browse the scenario library.", no_args_is_help=True)
    scenarios.command("list")(_scenarios_list)
    scenarios.command("show")(_scenarios_show)
    app.add_typer(scenarios, name="scenarios")

    rubrics = typer.Typer(help="Browse rubrics.", no_args_is_help=True)
    rubrics.command("list")(_rubrics_list)
    app.add_typer(rubrics, name="rubrics")

    content = typer.Typer(help="Validate and import content.", no_args_is_help=True)
    content.command("validate")(_content_validate)
    from sparring.cli.content_import import content_import

    content.command("import")(content_import)
    app.add_typer(content, name="content")
