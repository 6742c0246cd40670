"""``sparring report program PROGRAM_ID --out FILE.html|FILE.pdf`` (CONTRACT.md; docs/programs.md, "The sponsor
report"): the sponsor report of a program as the operator sees it; the suffix picks the format."""

from __future__ import annotations

from pathlib import Path

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors


def _program(
    program_id: int = typer.Argument(..., help="the program's id (sparring program list)"),
    out: Path = typer.Option(..., "--out", help="the file to write: FILE.html or FILE.pdf (PDF needs [reports])"),
) -> None:
    """Write a program's sponsor report: practice done, improvement per behaviour, gaps, calls, the method."""
    from sparring.cli.context import root
    from sparring.reports import sponsor
    from sparring.services.sponsor_report import sponsor_report

    try:
        sponsor.check_suffix(out)
        with service_errors(), root().database.read() as s:
            report = sponsor_report(s, None, program_id)
        sponsor.write(report, out)
    except sponsor.ReportError as exc:
        raise UserError(str(exc)) from exc
    learners = f"{report.learners} learner{'' if report.learners == 1 else 's'}"
    reps = f"{report.reps} rep{'' if report.reps == 1 else 's'}"
    print(f"{out}: sponsor report of {report.program!r} ({learners}, {reps})")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Reports: the sponsor report of a program.", no_args_is_help=True)
    group.command("program")(_program)
    app.add_typer(group, name="report")
