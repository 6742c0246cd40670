"""``sparring call import`` and ``sparring call review`` (CONTRACT.md; docs/calls.md).

- ``call import PATH... [--rep NAME] [--user EMAIL] [--rubric R] [--json]`` stores calls (files, folders, zips) as
  conversations of source ``call`` in the rep's history; with ``--json`` one JSON line per file and nothing else on
  stdout; exit 1 if any file failed (the others are kept).
- ``call review FILE [--rep NAME] [--rubric R] [--json]`` scores a call and finds its moments without storing it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from sparring.cli.errors import UserError
from sparring.cli.limits import max_turns_option, max_words_option, no_limits_option, transcript_limits
from sparring.cli.service_errors import service_errors

if TYPE_CHECKING:
    from sparring.content.rubric import Rubric
    from sparring.review.moment import CallSummary
    from sparring.root import Sparring
    from sparring.services.calls import CallResult, ReviewedCall

console = Console()
err_console = Console(stderr=True)


def _rubric_file(ref: str | None) -> Rubric | None:
    """``--rubric`` when it names a YAML file: the rubric loaded from it (an id is looked up per organisation)."""
    if ref is None or not (ref.endswith((".yaml", ".yml")) or Path(ref).is_file()):
        return None
    from sparring.content.library import resolve_rubric

    return resolve_rubric(ref)[0]


def _importer(app: Sparring, max_turns: int | None, max_words: int | None, no_limits: bool) -> Any:
    from sparring.review.routing import load_routing
    from sparring.services.calls import CallImporter, call_limits

    return CallImporter(app.database, lambda: app.scorer, formats=app.formats, routing=load_routing(app.settings),
                        limits=call_limits(app.settings, transcript_limits(max_turns, max_words, no_limits)))


def _show_progress(file: str, fraction: float, note: str) -> None:
    """An audio file's transcription, on stderr (stdout stays the results, or JSON lines with ``--json``)."""
    err_console.print(f"[dim]{file}: {fraction * 100:3.0f}% {note}[/dim]", highlight=False, soft_wrap=True)


def _user_id(app: Sparring, email: str | None) -> tuple[int, int]:
    accounts = app.accounts()
    user = accounts.local_learner() if email is None else accounts.find_user(email)
    if not user.is_active:
        raise UserError(f"user {user.email} is deactivated")
    return user.id, user.org_id


def _result_line(r: CallResult) -> str:
    if not r.ok:  # a transcript problem already starts with FILE:LINE
        error = r.error or ""
        return f"[red]FAIL[/red] {error}" if error.startswith(f"{r.file}:") else f"[red]FAIL[/red] {r.file}: {error}"
    route = f"{r.route.call_type}, rubric {r.route.rubric}" if r.route else ""
    score = f", {r.overall:.0f}/100" if r.overall is not None else ""
    rep = f"; rep {r.rep}" if r.rep else ""
    return f"[green]ok[/green]   {r.file} → conversation {r.conversation_id} ({route}{score}{rep})"


def _import(
    paths: list[Path] = typer.Argument(..., help="transcripts, folders of them (recursive) or zip archives"),
    rep: str | None = typer.Option(None, "--rep", help="the speaker who is the rep (otherwise guessed, and said so)"),
    user: str | None = typer.Option(None, "--user", help="e-mail of the rep's account (default: the local learner)"),
    rubric: str | None = typer.Option(None, "--rubric", "-r", help="score every call with this rubric (id or YAML "
                                                                   "file) instead of the routing rules"),
    json_out: bool = typer.Option(False, "--json", help="one JSON line per file: file, ok, conversation_id, error"),
    max_turns: int | None = max_turns_option(),
    max_words: int | None = max_words_option(),
    no_limits: bool = no_limits_option(),
) -> None:
    from sparring.cli.context import root
    from sparring.services.content import ContentService

    app = root()
    with service_errors():
        user_id, org_id = _user_id(app, user)
        chosen: str | Rubric | None = _rubric_file(rubric) or rubric
        if isinstance(chosen, str):  # an unknown id fails the command at once, not every file
            ContentService(app.database, org_id).get_rubric(chosen)
        importer = _importer(app, max_turns, max_words, no_limits)

    def show(r: CallResult) -> None:
        if json_out:
            print(json.dumps(r.as_json(), ensure_ascii=False), flush=True)
            return
        console.print(_result_line(r), highlight=False, soft_wrap=True)  # paths stay whole
        for note in r.notes if r.ok else []:
            if note:
                console.print(f"     [dim]{note}[/dim]", highlight=False, soft_wrap=True)

    with service_errors():
        results = importer.import_paths(paths, user_id, rep=rep, rubric=chosen, on_result=show,
                                        progress=_show_progress)
    failed = sum(not r.ok for r in results)
    if not json_out:
        console.print(f"{len(results) - failed} imported, {failed} failed"
                      + ("" if results else " (no transcript found)"), highlight=False)
    if failed or not results:
        raise typer.Exit(1)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


def _show_review(reviewed: ReviewedCall, summary: CallSummary) -> None:
    from sparring.cli.scorecard_view import show_scorecard

    conv, route = reviewed.conversation, reviewed.route
    console.print(f"[bold]{conv.title}[/bold] — {len(conv.turns)} turns, "
                  f"{', '.join(conv.speakers())}", highlight=False)
    console.print(f"[bold]Rep:[/bold] {', '.join(conv.speakers('learner'))} [dim]({conv.role_note})[/dim]",
                  highlight=False)
    console.print(f"[bold]Call type:[/bold] {route.call_type}; [bold]rubric:[/bold] {reviewed.rubric.id} "
                  f"[dim]({route.reason})[/dim]", highlight=False)
    for note in conv.notes:
        console.print(f"[dim]note: {note}[/dim]", highlight=False)
    show_scorecard(reviewed.scorecard, console)
    if summary.moments:
        table = Table(title="Key moments", show_lines=False)
        for col in ("turns", "time", "kind", "impact", "what happened"):
            table.add_column(col, overflow="fold" if col == "what happened" else "ellipsis",
                             no_wrap=col != "what happened")
        for m in summary.moments:
            turns = f"#{m.start_turn}" + (f"–{m.end_turn}" if m.end_turn != m.start_turn else "")
            style = "red" if m.impact < 0 else "green"
            table.add_row(turns, _clock(m.start_s), m.kind, f"[{style}]{m.impact:+.2f}[/{style}]", m.summary)
        console.print(table)
    else:
        console.print("[dim]No key moments found.[/dim]")
    if summary.pivotal is not None:
        p = summary.pivotal
        console.print(f"[bold]Pivotal moment:[/bold] turn {p.start_turn} — {p.summary}", highlight=False)
        if p.reason:
            console.print(f"  [dim]why this one: {p.reason}[/dim]", highlight=False)
    elif summary.note:
        console.print(f"[bold]No pivotal moment:[/bold] {summary.note}", highlight=False)


def _review(
    file: Path = typer.Argument(..., help="a call transcript (.vtt, .srt, .txt, .json or a recorder's export) or "
                                          "recording (.wav, .mp3, .m4a with the [asr] extra)"),
    rep: str | None = typer.Option(None, "--rep", help="the speaker who is the rep (otherwise guessed, and said so)"),
    rubric: str | None = typer.Option(None, "--rubric", "-r", help="rubric id or YAML file (default: by the "
                                                                   "routing rules)"),
    json_out: bool = typer.Option(False, "--json", help="print conversation, scorecard, moments and pivotal as JSON"),
    max_turns: int | None = max_turns_option(),
    max_words: int | None = max_words_option(),
    no_limits: bool = no_limits_option(),
) -> None:
    from sparring.cli.context import root
    from sparring.conversation.errors import TranscriptError
    from sparring.kernel.problems import Problem
    from sparring.limits import TooLargeError, read_bytes_capped
    from sparring.review.routing import load_routing
    from sparring.services.calls import call_limits, review_call
    from sparring.services.content import resolve_rubric_ref

    app = root()
    limits = call_limits(app.settings, transcript_limits(max_turns, max_words, no_limits))
    if file.is_dir() or not file.exists():
        raise UserError(f"file not found: {file}")
    binary = file.suffix.lower() in app.formats.binary_suffixes
    try:
        data = read_bytes_capped(file, limits.max_audio_bytes if binary else limits.max_bytes)
    except TooLargeError as exc:
        raise TranscriptError([Problem(str(file), 0, "file", str(exc))]) from exc
    url = app.database_url
    with service_errors():
        reviewed = review_call(data, str(file), scorer=lambda: app.scorer,
                               rubric_for=lambda ref: resolve_rubric_ref(ref, url)[0], formats=app.formats,
                               routing=load_routing(app.settings), rep=rep, rubric=_rubric_file(rubric) or rubric,
                               limits=limits, progress=lambda f, n: _show_progress(str(file), f, n))
    from sparring.review.moments import summarise_call  # the call's key moments (docs/moments.md)
    from sparring.services.call_reviews import review_document

    summary = summarise_call(reviewed.conversation, reviewed.scorecard, rubric=reviewed.rubric)
    if json_out:  # the guess is in the document too; said on stderr like `sparring score` says it
        if reviewed.conversation.roles_guessed:
            err_console.print(f"[dim]note: {reviewed.conversation.role_note}[/dim]", highlight=False)
        print(json.dumps(review_document(reviewed, summary), indent=2, ensure_ascii=False))
        return
    _show_review(reviewed, summary)


def register(app: typer.Typer) -> None:
    call = typer.Typer(help="Import and review real calls.", no_args_is_help=True)
    call.command("import", help="Store calls (files, folders or zips) as scored conversations in the rep's history; "
                                "exit 1 if any file failed (the others are kept).")(_import)
    call.command("review", help="Score a call and show its key moments and the pivotal one, without storing it."
                 )(_review)
    from sparring.cli.loops import register_loops  # coaching loops: `call loops`, `call loop open` (docs/loops.md)

    register_loops(call)

    from sparring.cli.drills import drill  # docs/drills.md

    call.command("drill", help="Make a short targeted drill from a moment of a stored call and publish it "
                               "(optionally assign it).")(drill)
    app.add_typer(call, name="call")
