"""The terminal scorecard, shared by `sparring score` and the end of a practice rep."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sparring.scoring.explain import engine_label, metric_label, metric_value
from sparring.scoring.scorecard import Scorecard

VERDICT_STYLE = {"met": "green", "partly": "yellow", "missed": "red", "n/a": "dim", "HIT": "bold red", "clear": "green"}


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def show_scorecard(card: Scorecard, out: Console | None = None) -> None:
    """A readable terminal scorecard: verdicts with evidence, metrics and feedback."""
    out = out or Console()
    verdict = "[green]passed[/green]" if card.passed else "[red]not passed[/red]"
    out.print(f"[bold]Score:[/bold] {card.overall:.0f}/100 ({verdict})")
    out.print(f"[dim]rubric {card.rubric.id}@{card.rubric.version[:12]}, {engine_label(card.engine)}[/dim]")
    if card.blockers:
        out.print(f"[bold red]Rules broken:[/bold red] {', '.join(card.blockers)} — the rep fails whatever the total")
    wide = out.width >= 120
    table = Table(show_lines=True)
    table.add_column("criterion", no_wrap=True)
    if wide:
        table.add_column("kind")
    table.add_column("verdict", no_wrap=True)
    table.add_column("score", no_wrap=True)
    table.add_column("evidence", overflow="fold", ratio=2)
    if wide:
        table.add_column("why", overflow="fold", ratio=3)
    for c in card.criteria:
        shown = ("HIT" if c.hit else "clear") if c.kind == "blocker" and c.hit is not None else c.verdict
        style = VERDICT_STYLE.get(shown, "")
        ev = "\n".join(f"#{e.turn} “{_short(e.quote)}”" for e in c.evidence[:2])
        score = f"{c.score:g}/{c.max:g}" if c.max else "-"
        cells = [c.id] + ([c.kind] if wide else []) + [f"[{style}]{shown}[/{style}]", score, ev]
        table.add_row(*cells, *([_short(c.rationale, 160)] if wide else []))
    out.print(table)
    if not wide:  # no room for a "why" column: the plain-language reasons follow the table
        out.print("[bold]Why[/bold]")
        for c in card.criteria:
            if c.rationale:
                out.print(f"  • {c.id}: {c.rationale}", highlight=False)
    metrics = {k: v for k, v in card.metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    if metrics:
        out.print("[bold]Metrics:[/bold] " + ", ".join(f"{metric_label(k).lower()} {metric_value(k, v)}"
                                                   for k, v in sorted(metrics.items())), highlight=False)
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
