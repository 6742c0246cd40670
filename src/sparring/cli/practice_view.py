"""Terminal rendering for practice reps and scorecards (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from sparring.content.scenario import Scenario
from sparring.conversation.model import Turn
from sparring.scoring.scorecard import Scorecard

if TYPE_CHECKING:
    from sparring.services.records import RepSummary



def show_brief(console: Console, scenario: Scenario, difficulty: str, rep_id: int) -> None:
    who = f"{scenario.persona.name}, {scenario.persona.role}"
    if scenario.persona.company:
        who += f" at {scenario.persona.company}"
    body = [f"[bold]You talk to:[/bold] {who}"]
    if scenario.learner_role:
        body.append(f"[bold]You are:[/bold] {scenario.learner_role}")
    body += ["", scenario.brief.strip(), "", "[bold]Objectives[/bold]"]
    body += [f"  • {o}" for o in scenario.objectives]
    body += ["", f"[dim]Difficulty {difficulty} · rep {rep_id} · type /end to finish early, /help for commands[/dim]"]
    console.print(Panel("\n".join(body), title=scenario.title, expand=False))


def show_turn(console: Console, turn: Turn) -> None:
    if turn.role == "learner":
        console.print(f"[bold cyan]You:[/bold cyan] {turn.text}", highlight=False)
    else:
        console.print(f"[bold magenta]{turn.speaker}:[/bold magenta] {turn.text}", highlight=False)


def show_scorecard(console: Console, card: Scorecard, outcome: str) -> None:
    """The rep's outcome, then the same scorecard view as `sparring score`."""
    from sparring.cli.scorecard_view import show_scorecard as show_card
    from sparring.scoring.explain import outcome_and_score

    explained = outcome_and_score(outcome, card)
    console.print()
    console.print(f"[bold]Outcome[/bold] (what they decided): {explained.outcome}", highlight=False)
    console.print(f"[bold]Score[/bold] (what the rubric says): {explained.score}", highlight=False)
    console.print(explained.relation, highlight=False)
    show_card(card, console)


def history_table(reps: list[RepSummary]) -> Table:
    table = Table(title="Practice history", title_justify="left")
    table.add_column("rep", no_wrap=True, justify="right")
    table.add_column("started", no_wrap=True)
    table.add_column("scenario", overflow="fold")
    for col in ("level", "outcome", "turns", "score"):
        table.add_column(col, no_wrap=True)
    for r in reps:
        score = "-" if r.overall is None else f"{r.overall:.0f}" + (" ✓" if r.passed else " ✗")
        table.add_row(
            str(r.id),
            r.created_at.strftime("%b %d %H:%M"),
            r.scenario_id,
            r.difficulty,
            r.outcome,
            str(r.turn_count),
            score,
        )
    return table
