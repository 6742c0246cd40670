"""The ``sparring`` command line. Each domain registers its commands from its own module, found through the
``sparring.cli`` entry point group (Sparring's own in its pyproject.toml, a plugin's in its own): each names a
``register(app: typer.Typer) -> None`` function. A command group that cannot be loaded is reported on stderr
(``sparring plugins`` lists it) and the other commands keep working.

User errors (unknown ids, bad files, bad flags) print one line on stderr and exit non-zero, never a
traceback: scripts and CI rely on the commands, their flags and their JSON keys.
"""

from __future__ import annotations

import sys

import typer

from sparring.cli.context import PLUGINS
from sparring.cli.errors import UserError, run_guarded

app = typer.Typer(
    name="sparring",
    help="Sparring: practise the conversations that drive a business.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: the entry point group of ``register(app)`` functions
COMMAND_GROUP = "sparring.cli"

for _plugin in PLUGINS.group(COMMAND_GROUP).values():
    PLUGINS.call(_plugin, app)


def main(argv: list[str] | None = None) -> int:
    if not any((p.distribution or "").lower() == "sparring" for p in PLUGINS.group(COMMAND_GROUP).values()):
        print("sparring: the package's entry points are missing (is it installed? run `pip install -e .` in the "
              "source tree); no built-in command is available", file=sys.stderr)
    for problem in PLUGINS.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return run_guarded(app, sys.argv[1:] if argv is None else argv)


__all__ = ["UserError", "app", "main"]
