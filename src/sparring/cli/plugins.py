"""``sparring plugins``: what each entry point group holds, and the plugins that could not be loaded."""

from __future__ import annotations

import json

import typer

from sparring.cli.context import PLUGINS
from sparring.kernel.plugins import GROUPS


def _plugins(json_out: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the installed plugins per entry point group (Sparring's own included) and any that failed to load."""
    groups = {g: PLUGINS.group(g) for g in GROUPS}
    problems = list(PLUGINS.problems)
    if json_out:
        print(json.dumps({
            "groups": {g: [{"name": p.name, "value": p.value, "distribution": p.distribution}
                           for p in found.values()] for g, found in groups.items()},
            "problems": [{"group": p.group, "name": p.name, "value": p.value, "distribution": p.distribution,
                          "error": p.error} for p in problems],
        }, indent=2))
        return
    for group, found in groups.items():
        print(f"{group}: {GROUPS[group]}")
        for p in found.values():
            origin = "" if (p.distribution or "").lower() == "sparring" else f"  [{p.distribution}]"
            print(f"  {p.name} = {p.value}{origin}")
    for problem in problems:
        print(f"problem: {problem}")


def register(app: typer.Typer) -> None:
    app.command(name="plugins")(_plugins)
