"""``sparring practice`` (interactive, or scripted with ``--script FILE --json``) and ``sparring history``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from sparring.cli.context import root
from sparring.cli.errors import UserError
from sparring.cli.limits import max_turns_option, max_words_option, no_limits_option, transcript_limits
from sparring.cli.practice_view import history_table, show_brief, show_scorecard, show_turn
from sparring.cli.service_errors import service_errors
from sparring.content.scenario import DIFFICULTIES, Scenario
from sparring.limits import DEFAULT_TRANSCRIPT_LIMITS, TooLargeError, TranscriptLimits, read_text_capped
from sparring.persona.base import streams_text

if TYPE_CHECKING:  # the services (and SQLAlchemy) load only when a command runs
    from sparring.services.accounts import Accounts
    from sparring.services.practice import PracticeService
    from sparring.services.records import RepRecord, TurnResult, UserRecord

_SPEAKER_LINE = re.compile(r"^(?:\[[\d:.]+\]\s*)?([^:]{1,60}):\s+\S")
END_COMMANDS = {"/end", "/quit", "/exit"}


def read_script(path: Path, scenario: Scenario, limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS) -> list[str]:
    """Learner lines from ``path``: one per line, or the learner turns of a transcript file (any format
    of docs/scoring.md, "Transcript files"). A plain-text file counts as a transcript when it has a ``# roles:``
    header, or when every line reads ``Speaker: text`` and at least two speakers (one of them the persona) take
    part. Either way the transcript ``limits`` apply (one line = one turn), and every line is checked as a turn
    would be (``clean_turn``) before anything is stored: a bad line is a one-line error naming its line, and no rep
    is started."""
    try:
        text = read_text_capped(path, limits.max_bytes, encoding="utf-8-sig")
    except TooLargeError as exc:
        raise UserError(f"script file {path}: {exc}{limits.hint('bytes')}") from None
    except FileNotFoundError:
        raise UserError(f"script file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read script file {path}: {exc}") from None
    numbered = [(ln.strip(), n) for n, ln in enumerate(text.splitlines(), start=1)
                if ln.strip() and not ln.strip().startswith("#")]
    lines = [ln for ln, _n in numbered]
    if not lines:
        raise UserError(f"script file {path} has no learner lines")
    if _is_transcript(path, text, lines, scenario):
        from sparring.conversation.importers import read_transcript

        conv = read_transcript(path, persona_name=scenario.persona.name, source="practice", limits=limits,
                               formats=root().formats)
        learner = [t.text for t in conv.turns if t.role == "learner"]
        if not learner:
            raise UserError(f"transcript {path} has no learner turns")
        return [_checked(path, f"learner turn {i}", t) for i, t in enumerate(learner, 1)]
    from sparring.conversation.importers import check_limits

    check_limits(numbered, str(path), limits)
    return [_checked(path, f"line {n}", ln) for ln, n in numbered]


def _checked(path: Path, where: str, line: str) -> str:
    from sparring.services.errors import InvalidInput
    from sparring.services.practice import clean_turn

    try:
        return clean_turn(line)
    except InvalidInput as exc:
        raise UserError(f"script file {path}, {where}: {exc}") from None


def _is_transcript(path: Path, text: str, lines: list[str], scenario: Scenario) -> bool:
    if path.suffix.lower() in (".json", ".vtt", ".webvtt", ".srt"):
        return True
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith(("WEBVTT", "{")):
        return True
    if re.search(r"^#\s*roles\s*:", text, re.MULTILINE | re.IGNORECASE):
        return True
    speakers = []
    for ln in lines:
        m = _SPEAKER_LINE.match(ln)
        if not m:
            return False
        speakers.append(m.group(1).strip().lower())
    persona = scenario.persona.name.lower()
    return len(set(speakers)) >= 2 and any(s == persona or s == persona.split()[0] for s in speakers)


def rep_json(rep: RepRecord) -> dict[str, Any]:
    return {
        "rep_id": rep.id,
        "scenario": rep.scenario_id,
        "difficulty": rep.difficulty,
        "outcome": rep.outcome,
        "turns": [{"index": t.index, "speaker": t.speaker, "role": t.role, "text": t.text} for t in rep.turns],
        "state": rep.state.model_dump(mode="json"),
        "scorecard": rep.scorecard.model_dump(mode="json") if rep.scorecard else None,
    }


def whose_rep(rep_id: int, who: UserRecord, where: str) -> str:
    """The line that says whose rep this is and where it is stored (on stderr, so --json output stays one
    document): CLI reps of the local learner never show up in the web app, which surprised people."""
    from sparring.services.accounts import LOCAL_LEARNER_EMAIL

    if who.email == LOCAL_LEARNER_EMAIL:
        return (f"Rep {rep_id} belongs to the local learner (terminal only, not a web account) in {where}; "
                "use --user EMAIL to practise as a web user.")
    return f"Rep {rep_id} belongs to {who.name or who.email} <{who.email}> in {where}."


def _user(accounts: Accounts, email: str | None) -> UserRecord:
    if email is None:
        return accounts.local_learner()
    user = accounts.find_user(email)
    if not user.is_active:
        raise UserError(f"user {user.email} is deactivated")
    return user


def _practice(
    scenario_id: str | None = typer.Argument(None, help="scenario id (see: sparring scenarios list)"),
    difficulty: str = typer.Option("medium", "--difficulty", "-d", help="easy | medium | hard"),
    script: Path | None = typer.Option(None, "--script", help="learner lines, one per line, or a transcript file"),
    json_out: bool = typer.Option(False, "--json", help="print the finished rep as one JSON document"),
    resume: int | None = typer.Option(None, "--resume", help="continue rep REP_ID"),
    from_turn: int | None = typer.Option(
        None, "--from-turn", help="with --resume: retry from turn K in a new rep (turns before K are kept)"
    ),
    user: str | None = typer.Option(None, "--user", help="e-mail of the learner (default: the local learner)"),
    private: bool = typer.Option(False, "--private", help="mark the rep private (managers see only its score)"),
    max_turns: int | None = max_turns_option(),
    max_words: int | None = max_words_option(),
    no_limits: bool = no_limits_option(),
) -> None:
    """Practise a conversation: in the terminal, or scripted with --script FILE --json."""
    limits = transcript_limits(max_turns, max_words, no_limits)
    if difficulty not in DIFFICULTIES:
        raise UserError(f"unknown difficulty '{difficulty}' (use one of: {', '.join(DIFFICULTIES)})")
    if scenario_id is None and resume is None:
        raise UserError("give a SCENARIO_ID to start a rep, or --resume REP_ID to continue one")
    if from_turn is not None and resume is None:
        raise UserError("--from-turn needs --resume REP_ID (the rep to retry)")
    if json_out and script is None and resume is None:
        raise UserError("--json needs --script FILE (without a script the rep is interactive)")
    from sparring.services.accounts import Accounts

    with service_errors():
        svc = root().practice()
        accounts = Accounts(svc.db)
        who = _user(accounts, user)
        if resume is not None:
            rep = svc.get_rep(resume)
            if user is not None and rep.user_id != who.id:
                raise UserError(f"rep {resume} does not belong to {who.email}")
            if scenario_id is not None and scenario_id != rep.scenario_id:
                raise UserError(f"rep {resume} is a '{rep.scenario_id}' rep, not '{scenario_id}'")
            scenario = svc.content_for(rep.org_id).get_scenario(rep.scenario_id, rep.scenario_version)
            rep = svc.branch_rep(resume, from_turn) if from_turn is not None else svc.resume_rep(resume)
        else:
            assert scenario_id is not None
            scenario = svc.content_for(who.org_id).get_scenario(scenario_id)
            lines_first = read_script(script, scenario, limits) if script is not None else None
            rep = svc.start_rep(who, scenario_id, difficulty, private=private)
        typer.echo(whose_rep(rep.id, who, svc.db.describe()), err=True)
        if script is not None:
            lines = lines_first if resume is None else read_script(script, scenario, limits)
            assert lines is not None
            _run_script(svc, rep, lines, json_out)
        elif json_out:  # --resume --json: report where the rep stands, without ending it
            print(json.dumps(rep_json(svc.get_rep(rep.id)), indent=2, ensure_ascii=False))
        else:
            _interactive(svc, rep, scenario)


def _finish(svc: PracticeService, rep_id: int, reason: str) -> RepRecord:
    rep = svc.end_rep(rep_id, reason=reason)
    if rep.scorecard is None:
        svc.score_rep(rep_id)
    return svc.get_rep(rep_id)


def _run_script(svc: PracticeService, rep: RepRecord, lines: list[str], json_out: bool) -> None:
    console = Console(stderr=json_out)
    if not json_out:
        for t in rep.turns:
            show_turn(console, t)
    for line in lines:
        if rep.ended:
            break
        result = svc.submit_turn(rep.id, line)
        if not json_out:
            show_turn(console, result.learner_turn)
            if result.reply:
                show_turn(console, result.reply)
        if result.ended:
            break
    final = _finish(svc, rep.id, reason="the script ran out of lines")
    if json_out:
        print(json.dumps(rep_json(final), indent=2, ensure_ascii=False))
    else:
        assert final.scorecard is not None
        show_scorecard(console, final.scorecard, final.outcome)


def _streamed_turn(console: Console, svc: PracticeService, rep_id: int, line: str, persona: str) -> TurnResult:
    """An LLM persona's reply printed sentence by sentence as it is written. If the guard replaced what was
    shown, the stored reply is printed again in full so the terminal ends with what the rep keeps."""
    shown: list[str] = []

    def on_text(chunk: str) -> None:
        if not shown:
            console.print(f"[bold magenta]{persona}:[/bold magenta] ", end="", highlight=False)
        shown.append(chunk)
        console.print(chunk, end="", highlight=False, soft_wrap=True)

    result = svc.submit_turn(rep_id, line, on_text=on_text)
    if shown:
        console.print()
    final = result.reply.text if result.reply else ""
    if result.reply and " ".join("".join(shown).split()) != " ".join(final.split()):
        console.print("[dim](corrected)[/dim]", highlight=False)
        show_turn(console, result.reply)
    return result


def _interactive(svc: PracticeService, rep: RepRecord, scenario: Scenario) -> None:
    console = Console()
    show_brief(console, scenario, rep.difficulty, rep.id)
    for t in rep.turns:
        show_turn(console, t)
    try:
        while not rep.ended:
            try:
                line = console.input("[bold cyan]You:[/bold cyan] ").strip()
            except EOFError:
                console.print()
                break
            if not line:
                continue
            if line.lower() in END_COMMANDS:
                break
            if line.lower() == "/help":
                console.print("[dim]/end finishes the rep and scores it; Ctrl-C leaves it to resume later.[/dim]")
                continue
            if streams_text(svc.persona):
                result = _streamed_turn(console, svc, rep.id, line, scenario.persona.name)
            else:
                with console.status(f"{scenario.persona.name} is thinking…"):
                    result = svc.submit_turn(rep.id, line)
                if result.reply:
                    show_turn(console, result.reply)
            if result.ended:
                console.print(f"[dim]The conversation ended: {result.state.reason or result.outcome}.[/dim]")
                break
    except KeyboardInterrupt:
        console.print(
            f"\n[yellow]Rep {rep.id} is saved. Continue it with: sparring practice --resume {rep.id}[/yellow]"
        )
        raise typer.Exit(130) from None
    final = _finish(svc, rep.id, reason="ended by the learner")
    assert final.scorecard is not None
    show_scorecard(console, final.scorecard, final.outcome)
    console.print(f"[dim]Rep {final.id}. Retry from a turn in the web app, or see: sparring history[/dim]")


def _history(
    user: str | None = typer.Option(None, "--user", help="e-mail of the learner (default: the local learner)"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="how many reps, newest first"),
) -> None:
    """List your practice reps, newest first."""
    from sparring.services.accounts import Accounts

    with service_errors():
        svc = root().practice()
        who = _user(Accounts(svc.db), user)
        reps = svc.list_reps(user_id=who.id, limit=limit)
    if json_out:
        rows = [
            {
                "rep_id": r.id,
                "scenario": r.scenario_id,
                "scenario_version": r.scenario_version,
                "difficulty": r.difficulty,
                "outcome": r.outcome,
                "turns": r.turn_count,
                "overall": r.overall,
                "passed": r.passed,
                "private": r.private,
                "parent_rep_id": r.parent_rep_id,
                "created_at": r.created_at.isoformat(),
                "ended_at": r.ended_at.isoformat() if r.ended_at else None,
            }
            for r in reps
        ]
        print(json.dumps(rows, indent=2))
        return
    if not reps:
        print(f"no reps yet for {who.email}; start one with: sparring practice SCENARIO_ID", file=sys.stderr)
        return
    Console().print(history_table(reps))


def register(app: typer.Typer) -> None:
    app.command("practice")(_practice)
    app.command("history")(_history)
