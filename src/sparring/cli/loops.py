"""``sparring call loops`` and ``sparring call loop open`` (docs/loops.md): coaching loops from a call's moment to
the rep's next call.

- ``call loop open CONVERSATION_ID --moment START_TURN [--end END_TURN] [--criterion ID] [--drill SCENARIO_ID]
  [--assignment ID] [--by MANAGER_EMAIL] [--json]`` → ``{"loop_id"}``. Without ``--criterion`` the criterion of
  the key moment starting at that turn is used; with ``--by`` the manager's access rules apply.
- ``call loops [--user EMAIL] [--status open|closed] [--json]``: every loop (or a rep's) with its verdict and
  numbers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

if TYPE_CHECKING:
    from sparring.services.loops import LoopView

console = Console(soft_wrap=True)  # ids, quotes and reasons stay on one line each


def _say(text: str) -> None:
    """One line as is: titles and reasons come from users, so nothing in them is read as markup."""
    console.print(text, markup=False, highlight=False)
STATUSES = ("open", "closed")  # sparring.store.coaching_models.LOOP_STATUSES, without loading SQLAlchemy here


def _open(
    conversation_id: int = typer.Argument(..., help="the call's conversation id (sparring call import prints it)"),
    moment: int = typer.Option(..., "--moment", help="the turn the moment starts at (sparring call review shows it)"),
    end: int | None = typer.Option(None, "--end", help="the moment's last turn (default: the key moment's, or "
                                                       "--moment)"),
    criterion: str | None = typer.Option(None, "--criterion", help="the rubric criterion to improve (default: the "
                                                                   "one the key moment bears on)"),
    drill: str | None = typer.Option(None, "--drill", help="the drill scenario whose reps count"),
    assignment: int | None = typer.Option(None, "--assignment", help="the assignment of the drill (its scenario is "
                                                                     "the drill when --drill is not given)"),
    by: str | None = typer.Option(None, "--by", help="the coaching manager's e-mail (their access rules apply; they "
                                                     "are notified when the loop closes)"),
    json_out: bool = typer.Option(False, "--json", help='print {"loop_id": N}'),
) -> None:
    """Open a coaching loop on a moment of a stored call; the rep's next imported call closes it with a verdict."""
    from sparring.cli.context import root
    from sparring.services import loops
    from sparring.services.access import Viewer
    from sparring.store.models import User

    app = root()
    database = app.database
    with service_errors():
        actor = None
        if by is not None:
            record = app.accounts().find_user(by)
            if record.role not in ("manager", "admin"):
                raise UserError(f"--by: {record.email} is a {record.role}; only managers and admins coach")
            with database.read() as s:
                user = s.get(User, record.id)
                assert user is not None
                actor = Viewer.of(user)
        with database.session() as s:
            found = loops.moment_for(s, conversation_id, moment)
            chosen = criterion or (found.criterion if found is not None else None)
            if chosen is None:
                raise UserError(f"no key moment at turn {moment} of call {conversation_id} names a criterion; "
                                "give --criterion ID")
            loop_id = loops.open_loop(
                s, viewer_or_creator=actor, call_conversation_id=conversation_id, start_turn=moment,
                end_turn=end if end is not None else (found.end_turn if found is not None else moment),
                criterion_id=chosen, drill_scenario_id=drill, assignment_id=assignment,
                moment_kind=found.kind if found is not None else None, find_moment=False)
    if json_out:
        print(json.dumps({"loop_id": loop_id}))
        return
    kind = f" ({found.kind})" if found is not None else ""
    _say(f"loop {loop_id}: call {conversation_id}, turn {moment}{kind}, criterion {chosen}"
         + (f", drill {drill}" if drill else "") + "; the rep's next imported call closes it")


def _num(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def show_loop(v: LoopView) -> None:
    """A loop as readable lines: what it is about, then (closed) the verdict and every number behind it."""
    state = f"closed: {(v.verdict or '').replace('_', ' ')}" if v.status == "closed" else "open"
    _say(f"loop {v.id} [{state}] {v.rep} <{v.rep_email}> — {v.criterion_name} ({v.criterion_id}, {v.rubric_id})")
    moment = f"turns {v.start_turn}–{v.end_turn}" + (f", {v.moment_kind}" if v.moment_kind else "")
    _say(f"  call {v.call_conversation_id} “{v.call_title}” ({moment}); opened {v.created_at:%Y-%m-%d %H:%M} by "
         f"{v.created_by}" + (f"; drill {v.drill_scenario_id}" if v.drill_scenario_id else "")
         + (f"; assignment {v.assignment_id}" if v.assignment_id else ""))
    n = v.numbers
    if v.status != "closed" or not n:
        return
    closed = f", closed {v.closed_at:%Y-%m-%d %H:%M}" if v.closed_at else ""
    _say(f"  next call {v.next_call_conversation_id} “{v.next_call_title or ''}”{closed}")
    c = n.get("criterion", {})

    def said(x: dict[str, Any] | None) -> str:
        return "not scored" if not x else f"{x['verdict']} {_num(x['score'])}/{_num(x['max'])}"

    _say(f"  criterion: {said(c.get('original'))} → {said(c.get('new'))} (change {_num(c.get('delta'))}; "
         f"needs a verdict step and {_num(c.get('min_change'))})")
    d = n.get("drills", {})
    interval = d.get("interval")
    _say(f"  drill reps: {d.get('n', 0)}"
         + (f", mean {d['mean']:.2f}, best {d['best']:.2f}" if d.get("mean") is not None else "")
         + (f", 90% interval {interval[0]:.2f}–{interval[1]:.2f}" if interval else ""))
    for m in n.get("metrics", []):
        extra = f", 90% interval of the change {m['interval'][0]:+.3f}…{m['interval'][1]:+.3f}" if m["interval"] else ""
        _say(f"  {m['name']}: {_num(m['original'])} → {_num(m['new'])} (drills {_num(m['drill_mean'])}; "
             f"{m['target']}; resolution {_num(m['resolution'])}{extra}): {m['change']}")
    if not n.get("situation", {}).get("arose", True):
        _say(f"  situation: {n['situation']['note']}")
    _say(f"  why: {n.get('reason', '')}")
    _say(f"  next step: {(n.get('next_step') or '').replace('_', ' ')} — {n.get('next_step_reason', '')}")


def _list(
    user: str | None = typer.Option(None, "--user", help="only this rep's loops (their e-mail)"),
    status: str | None = typer.Option(None, "--status", help="open | closed"),
    json_out: bool = typer.Option(False, "--json", help="print a JSON array of loops"),
) -> None:
    """List coaching loops with their verdicts and numbers."""
    from sparring.cli.context import root
    from sparring.services import loops

    if status is not None and status not in STATUSES:
        raise UserError(f"unknown status '{status[:20]}' (use one of: {', '.join(STATUSES)})")
    app = root()
    with service_errors():
        user_id = app.accounts().find_user(user).id if user is not None else None
        with app.database.read() as s:
            views = loops.list_all(s, user_id=user_id, status=status)
    if json_out:
        print(json.dumps([v.as_json() for v in views], ensure_ascii=False))
        return
    if not views:
        _say("no coaching loops")
    for v in views:
        show_loop(v)


def register_loops(call: typer.Typer) -> None:
    """Add ``loops`` and ``loop open`` to the ``sparring call`` group."""
    call.command("loops", help="List coaching loops (a call's moment → drill → the next call) with their verdicts "
                               "and numbers.")(_list)
    group = typer.Typer(help="Coaching loops: from a moment of a call to the rep's next call.", no_args_is_help=True)
    group.command("open", help="Open a coaching loop on a moment of a stored call; the rep's next imported call "
                               "closes it with a verdict.")(_open)
    call.add_typer(group, name="loop")
