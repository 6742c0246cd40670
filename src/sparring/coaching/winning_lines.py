"""Winning lines: phrasings a learner said in a rep and wants to keep, tagged with the situation they fit.

Only the learner's own lines can be saved (the text is copied verbatim from the stored turn, never typed
in), and each learner sees only their own collection. Saved lines come back for review on a spaced-repetition
schedule (``line_schedule``): ``due_lines`` / ``due_count`` list what is due, ``review_line`` records a review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sparring.coaching.line_schedule import Schedule, after_review, first
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


def save_line(db: Session, viewer: Viewer, rep_id: int, turn_index: int, situation: str,
              now: datetime | None = None) -> WinningLine:
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
                       source_conversation_id=source, source_turn_index=turn_index,
                       due_at=first(now or datetime.now(UTC)).due_at)
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


# --- spaced repetition (docs/lines.md, "Review lines") -----------------------------------------------------------


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes that were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DueLine:
    id: int
    text: str
    situation: str
    step: int
    due_at: datetime
    reviews: int
    lapses: int


def due_lines(db: Session, viewer: Viewer, now: datetime, limit: int = 50) -> list[DueLine]:
    """The viewer's lines due for review at ``now``, the longest overdue first."""
    q = (
        select(WinningLine)
        .where(WinningLine.user_id == viewer.id, WinningLine.org_id == viewer.org_id, WinningLine.due_at <= now)
        .order_by(WinningLine.due_at, WinningLine.id)
        .limit(limit)
    )
    return [DueLine(w.id, w.text, w.situation, w.review_step, _aware(w.due_at), w.reviews, w.lapses)
            for w in db.scalars(q)]


def due_count(db: Session, viewer: Viewer, now: datetime) -> int:
    """How many of the viewer's lines are due at ``now`` (one index range scan: ix_winning_lines_user_due)."""
    return int(db.scalar(select(func.count()).select_from(WinningLine).where(
        WinningLine.user_id == viewer.id, WinningLine.due_at <= now)) or 0)


def review_line(db: Session, viewer: Viewer, line_id: int, remembered: bool, now: datetime) -> DueLine | None:
    """Record a review of one of the viewer's lines; its new schedule, or None when it is not theirs."""
    if not is_db_id(line_id):
        return None
    line = db.get(WinningLine, line_id)
    if line is None or line.user_id != viewer.id or line.org_id != viewer.org_id:
        return None
    before = Schedule(step=line.review_step, due_at=_aware(line.due_at), reviews=line.reviews, lapses=line.lapses)
    after = after_review(before, remembered, now)
    line.review_step, line.due_at, line.reviews, line.lapses = after.step, after.due_at, after.reviews, after.lapses
    line.last_reviewed_at = now
    db.flush()
    return DueLine(line.id, line.text, line.situation, after.step, after.due_at, after.reviews, after.lapses)
