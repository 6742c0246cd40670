"""``sparring score``, ``sparring rubric test`` and ``sparring rubric lint``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from sparring.cli.errors import UserError
from sparring.cli.limits import max_turns_option, max_words_option, no_limits_option, transcript_limits
from sparring.cli.scorecard_view import show_scorecard
from sparring.content.rubric import Rubric
from sparring.conversation.importers import read_transcript

console = Console()
err_console = Console(stderr=True)


def _resolve(ref: str) -> tuple[Rubric, Path | None]:
    """A rubric YAML path, or an id: imported versions in the database first, then the built-ins."""
    from sparring.cli.context import root
    from sparring.services.content import resolve_rubric_ref

    return resolve_rubric_ref(ref, root().database_url)


def _score(
    file: Path = typer.Argument(..., help="transcript: .txt, .json, .vtt or .srt"),
    rubric: str = typer.Option(..., "--rubric", "-r", help="rubric id (imported or built-in) or a rubric YAML file"),
    rep: str | None = typer.Option(None, "--rep", help="the speaker who is the learner / rep"),
    json_out: bool = typer.Option(False, "--json", help="print the SCORECARD as JSON"),
    max_turns: int | None = max_turns_option(),
    max_words: int | None = max_words_option(),
    no_limits: bool = no_limits_option(),
) -> None:
    from sparring.cli.context import root

    app = root()
    limits = transcript_limits(max_turns, max_words, no_limits)
    rub, _path = _resolve(rubric)
    if not file.is_file():
        raise UserError(f"file not found: {file}")
    conv = read_transcript(file, rep=rep, limits=limits, formats=app.formats)
    if not conv.by_role("learner"):
        raise UserError(f"{file}: no learner turns found; name the rep with --rep NAME")
    if conv.roles_guessed and conv.role_note:
        err_console.print(f"[dim]note: {conv.role_note}[/dim]", highlight=False)
    card = app.scorer.score(conv, rub)
    if json_out:
        print(json.dumps(card.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    show_scorecard(card)


def _rubric_test(
    rubric: str = typer.Argument(..., help="rubric id (imported or built-in) or a rubric YAML file"),
    json_out: bool = typer.Option(False, "--json", help="print the results as JSON"),
) -> None:
    from sparring.scoring.rubric_tests import run_rubric_tests

    rub, path = _resolve(rubric)
    if not rub.tests:
        raise UserError(f"rubric '{rub.id}' has no tests")
    report = run_rubric_tests(rub, path)
    if json_out:
        doc = {
            "rubric": rub.id,
            "ok": report.ok,
            "tests": [
                {
                    "name": o.name,
                    "transcript": o.source,
                    "ok": o.ok,
                    "overall": o.scorecard.overall if o.scorecard else None,
                    "error": o.error,
                    "mismatches": [
                        {"criterion": m.criterion, "expected": m.expected, "got": m.got} for m in o.mismatches
                    ],
                }
                for o in report.outcomes
            ],
        }
        print(json.dumps(doc, indent=2))
    else:
        for o in report.outcomes:
            mark = "[green]ok[/green]  " if o.ok else "[red]FAIL[/red]"
            overall = f" (overall {o.scorecard.overall:g})" if o.scorecard else ""
            console.print(f"{mark} {o.name}{overall}", highlight=False)
            if o.error:
                console.print(f"      {o.error}", highlight=False)
            for m in o.mismatches:
                console.print(f"      {m}", highlight=False)
        failed = len(report.failures)
        console.print(f"{len(report.outcomes) - failed} passed, {failed} failed")
    if not report.ok:
        raise typer.Exit(1)


def _rubric_lint(
    rubric: str = typer.Argument(..., help="rubric id (imported or built-in) or a rubric YAML file"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when there is any warning"),
    json_out: bool = typer.Option(False, "--json", help="print the warnings as JSON"),
) -> None:
    from sparring.scoring.lint import lint_rubric

    rub, path = _resolve(rubric)
    warnings = lint_rubric(rub, path)
    if json_out:
        rows = [{"file": w.file, "line": w.line, "field": w.field, "message": w.message} for w in warnings]
        print(json.dumps(rows, indent=2))
    elif warnings:
        for w in warnings:
            typer.echo(f"warning: {w}")
    else:
        typer.echo(f"ok: no warnings for rubric '{rub.id}'")
    if strict and warnings:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("score", help="Score a transcript against a rubric.")(_score)
    rubric = typer.Typer(help="Test and lint rubrics.", no_args_is_help=True)
    rubric.command("test", help="Run a rubric's own test transcripts; exit 1 on any wrong verdict.")(_rubric_test)
    rubric.command("lint", help="Warn about vague or hard-to-score criteria.")(_rubric_lint)
    app.add_typer(rubric, name="rubric")
