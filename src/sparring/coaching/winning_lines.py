"""Winning lines: phrasings a learner said in a rep and wants to keep, tagged with the situation they fit.

Only the learner's own lines can be saved (the text is copied verbatim from the stored turn, never typed
in), and each learner sees only their own collection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sparring.inputs import InputError, clean_text, is_db_id
from sparring.store.models import Rep, TurnRow, WinningLine


class Viewer(Protocol):
    """Whose collection it is: the signed-in user (``sparring.services.access.Viewer`` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def org_id(self) -> int: ...


MAX_SITUATION = 120
#: longest search text ``list_lines`` takes
MAX_QUERY = 200


class LineError(ValueError):
    """The line cannot be saved; the message names the field."""


@dataclass(frozen=True)
class LineView:
    id: int
    text: str
    situation: str
    rep_id: int | None
    turn_index: int | None
    scenario_id: str | None
    created_at: datetime


def _clean(value: str, field: str, max_chars: int) -> str:
    try:
        return clean_text(value, field, max_chars=max_chars)
    except InputError as exc:
        raise LineError(str(exc)) from None


def save_line(db: Session, viewer: Viewer, rep_id: int, turn_index: int, situation: str) -> WinningLine:
    situation = _clean(situation, "situation", MAX_SITUATION)
    if not situation:
        raise LineError("situation: say when this line works (e.g. 'price objection')")
    if not is_db_id(rep_id):
        raise LineError("rep: you can save lines only from your own reps")
    rep = db.get(Rep, rep_id)
    if rep is None or rep.user_id != viewer.id or rep.org_id != viewer.org_id:
        raise LineError("rep: you can save lines only from your own reps")
    source = rep.conversation_id
    turn = db.scalar(select(TurnRow).where(TurnRow.conversation_id == source, TurnRow.turn_index == turn_index))
    if turn is None:
        raise LineError(f"turn: rep {rep_id} has no turn {turn_index}")
    if turn.role != "learner":
        raise LineError("turn: only your own lines can be saved, not the other side's")
    # the same turn, or the same words said in another rep, is one line: saving again re-tags it
    existing = db.scalar(
        select(WinningLine).where(
            WinningLine.user_id == viewer.id,
            or_(WinningLine.text == turn.text,
                (WinningLine.source_conversation_id == source) & (WinningLine.source_turn_index == turn_index)),
        ).limit(1)
    )
    if existing is not None:
        existing.situation = situation
        db.flush()
        return existing
    line = WinningLine(user_id=viewer.id, org_id=viewer.org_id, text=turn.text, situation=situation,
                       source_conversation_id=source, source_turn_index=turn_index)
    db.add(line)
    db.flush()
    return line


def list_lines(db: Session, viewer: Viewer, query: str = "", situation: str = "") -> list[LineView]:
    """The viewer's lines, newest first; ``query`` matches text or situation, ``situation`` one tag. Both are
    cleaned like any input (LineError on NUL or over-long text: PostgreSQL could not even compare a NUL)."""
    query, situation = _clean(query, "q", MAX_QUERY), _clean(situation, "situation", MAX_QUERY)
    q = (
        select(WinningLine, Rep.id, Rep.scenario_id)
        .outerjoin(Rep, Rep.conversation_id == WinningLine.source_conversation_id)
        .where(WinningLine.user_id == viewer.id, WinningLine.org_id == viewer.org_id)
    )
    if query.strip():
        like = f"%{query.strip().lower()}%"
        q = q.where(or_(func.lower(WinningLine.text).like(like), func.lower(WinningLine.situation).like(like)))
    if situation:
        q = q.where(WinningLine.situation == situation)
    q = q.order_by(WinningLine.created_at.desc(), WinningLine.id.desc())
    return [
        LineView(w.id, w.text, w.situation, rep_id, w.source_turn_index, scenario, w.created_at)
        for w, rep_id, scenario in db.execute(q).all()
    ]


def situations(db: Session, viewer: Viewer) -> list[str]:
    return list(
        db.scalars(
            select(WinningLine.situation).where(WinningLine.user_id == viewer.id).distinct()
            .order_by(WinningLine.situation)
        )
    )


def delete_line(db: Session, viewer: Viewer, line_id: int) -> bool:
    if not is_db_id(line_id):
        return False
    line = db.get(WinningLine, line_id)
    if line is None or line.user_id != viewer.id:
        return False
    db.delete(line)
    db.flush()
    return True
