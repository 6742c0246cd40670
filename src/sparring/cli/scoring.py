"""``sparring score``, ``sparring rubric test`` and ``sparring rubric lint``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sparring.cli.errors import UserError
from sparring.content.library import resolve_rubric
from sparring.conversation.importers import read_transcript
from sparring.scoring.scorecard import Scorecard

console = Console()
err_console = Console(stderr=True)
VERDICT_STYLE = {"met": "green", "partly": "yellow", "missed": "red", "n/a": "dim", "HIT": "bold red", "clear": "green"}


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def show_scorecard(card: Scorecard, out: Console | None = None) -> None:
    """A readable terminal scorecard: verdicts with evidence, metrics and feedback."""
    out = out or console
    verdict = "[green]passed[/green]" if card.passed else "[red]not passed[/red]"
    out.print(
        f"[bold]Score:[/bold] {card.overall:.0f}/100 ({verdict})   "
        f"[dim]rubric {card.rubric.id}@{card.rubric.version[:12]}, engine {card.engine}[/dim]"
    )
    if card.blockers:
        out.print(f"[bold red]Rules broken:[/bold red] {', '.join(card.blockers)} — the rep fails whatever the total")
    table = Table(show_lines=True)
    for col in ("criterion", "kind", "verdict", "score", "evidence", "why"):
        table.add_column(col, overflow="fold")
    for c in card.criteria:
        shown = ("HIT" if c.hit else "clear") if c.kind == "blocker" and c.hit is not None else c.verdict
        style = VERDICT_STYLE.get(shown, "")
        ev = "\n".join(f"#{e.turn} “{_short(e.quote)}”" for e in c.evidence[:2])
        score = f"{c.score:g}/{c.max:g}" if c.max else "-"
        table.add_row(c.id, c.kind, f"[{style}]{shown}[/{style}]", score, ev, _short(c.rationale, 160))
    out.print(table)
    metrics = {k: v for k, v in card.metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    if metrics:
        out.print("[bold]Metrics:[/bold] " + ", ".join(f"{k} {v:.3g}" for k, v in sorted(metrics.items())))
    fb = card.feedback
    for title, items in (("What landed", fb.landed), ("What missed", fb.missed)):
        if items:
            out.print(f"[bold]{title}[/bold]")
            for item in items:
                out.print(f"  • {item}", highlight=False)
    if fb.next_drill:
        out.print(f"[bold]Next drill:[/bold] {fb.next_drill}", highlight=False)
    if fb.better_line:
        where = f" (turn {fb.better_line_for_turn})" if fb.better_line_for_turn is not None else ""
        out.print(f"[bold]A better line{where}:[/bold] {fb.better_line}", highlight=False)


def _score(
    file: Path = typer.Argument(..., help="transcript: .txt, .json, .vtt or .srt"),
    rubric: str = typer.Option(..., "--rubric", "-r", help="built-in rubric id or a rubric YAML file"),
    rep: str | None = typer.Option(None, "--rep", help="the speaker who is the learner / rep"),
    json_out: bool = typer.Option(False, "--json", help="print the SCORECARD as JSON"),
) -> None:
    from sparring.engines import scorer

    rub, _path = resolve_rubric(rubric)
    if not file.is_file():
        raise UserError(f"file not found: {file}")
    conv = read_transcript(file, rep=rep)
    if not conv.by_role("learner"):
        raise UserError(f"{file}: no learner turns found; name the rep with --rep NAME")
    if conv.roles_guessed and conv.role_note:
        err_console.print(f"[dim]note: {conv.role_note}[/dim]", highlight=False)
    card = scorer().score(conv, rub)
    if json_out:
        print(json.dumps(card.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    show_scorecard(card)


def _rubric_test(
    rubric: str = typer.Argument(..., help="built-in rubric id or a rubric YAML file"),
    json_out: bool = typer.Option(False, "--json", help="print the results as JSON"),
) -> None:
    from sparring.scoring.rubric_tests import run_rubric_tests

    rub, path = resolve_rubric(rubric)
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
    rubric: str = typer.Argument(..., help="built-in rubric id or a rubric YAML file"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when there is any warning"),
    json_out: bool = typer.Option(False, "--json", help="print the warnings as JSON"),
) -> None:
    from sparring.scoring.lint import lint_rubric

    rub, path = resolve_rubric(rubric)
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
