"""The ``sparring`` command line. Each domain registers its commands from its own module.

User errors (unknown ids, bad files, bad flags) print one line on stderr and exit non-zero, never a
traceback: scripts and CI rely on the commands, their flags and their JSON keys.
"""

from __future__ import annotations

import importlib
import sys

import typer

from sparring.cli.errors import UserError, run_guarded

app = typer.Typer(
    name="sparring",
    help="Sparring: practise the conversations that drive a business.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: modules that define ``register(app: typer.Typer) -> None``; add yours here
COMMAND_MODULES = [
    "sparring.cli.content",
    "sparring.cli.scoring",
    "sparring.cli.practice",
    "sparring.cli.accounts",
    "sparring.cli.db",
    "sparring.cli.bench",
    "sparring.cli.web",
    "sparring.cli.llm",
    "sparring.cli.jobs",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main(argv: list[str] | None = None) -> int:
    return run_guarded(app, sys.argv[1:] if argv is None else argv)


__all__ = ["UserError", "app", "main"]
