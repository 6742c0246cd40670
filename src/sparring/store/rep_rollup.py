"""The analytics roll-ups on ``reps`` (migration ``0021_analytics_rollup``) and on ``conversations`` (migration
``0031_call_rollup``); docs/analytics.md, "Speed".

Each rep carries copies of what the analytics would otherwise look up once per rep: its conversation's current
(newest: highest id) scorecard — ``scorecard_id``, ``overall``, ``passed`` —, the conversation's ``private`` flag
and its length (``seconds``: ended_at − started_at). With them the cohort window (``store.cohorts``), the practice
counts (``reports.analytics.practice``) and a program's progress (``services.program_progress``) read ``reps``
alone, through the covering index ``ix_reps_cohort``. Each conversation — a real call above all, which has no rep —
carries its current scorecard's id (``conversations.scorecard_id``), so the practice-to-call transfer
(``reports.analytics.transfer``) reads a cohort's scored calls from the covering index
``ix_conversations_user_source`` alone.

``refresh`` recomputes both roll-ups of some conversations from the truth (``scorecards``, ``conversations``) in
three UPDATE statements. Every write that can change the truth calls it in its own transaction:

- a scorecard stored — scoring, re-scoring, an imported call (``services.conversation_store.store_scorecard``);
- privacy set (``PracticeService.set_private``);
- a rep ended — by the learner (``PracticeService.end_rep``) or by the persona (``services.turn_store.save_reply``);
- a rep's times rewritten (the demo's back-dating, ``services.demo``).

A rep starts with its conversation's privacy (``start_rep``, a branch: the ``Rep`` is built with it); a
conversation starts unscored (``scorecard_id`` NULL). A deleted conversation takes its rep and its scorecards along
(``ON DELETE CASCADE``) and scorecards are never deleted on their own, so deletions need nothing.
``tests/store/test_rep_rollup.py`` recomputes both roll-ups the slow way after each of these paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Float, SQLColumnExpression, cast, func, select, update
from sqlalchemy.orm import Session, aliased

from sparring.store.models import ConversationRow, Rep, ScorecardRow

#: conversation ids per UPDATE (an IN list every backend takes)
CHUNK = 500


def seconds_between(dialect: str, start: SQLColumnExpression[datetime | None],
                    end: SQLColumnExpression[datetime | None]) -> ColumnElement[float]:
    """``end − start`` in seconds as a float, in SQL (NULL when either is NULL)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def refresh(db: Session | Connection, conversation_ids: Iterable[int]) -> None:
    """Recompute the roll-ups of ``conversation_ids``: each conversation's current scorecard, and the copies of its
    rep (conversations without a rep, such as calls, are skipped by the reps' UPDATE). Flushes a session first, so
    what it has pending counts."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return
    if isinstance(db, Session):
        db.flush()
        dialect = db.get_bind().dialect.name
    else:
        dialect = db.dialect.name
    card = aliased(ScorecardRow)
    conv = aliased(ConversationRow)
    of_rep = conv.id == Rep.conversation_id
    # the copies are not a change of the rep: ``updated_at`` (which would otherwise take the time now) stays
    same_time = {"updated_at": Rep.updated_at}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        db.execute(
            update(ConversationRow).where(ConversationRow.id.in_(chunk)).values(
                scorecard_id=select(func.max(card.id)).where(card.conversation_id == ConversationRow.id)
                .scalar_subquery(),
            ).execution_options(synchronize_session=False)
        )
        db.execute(
            update(Rep).where(Rep.conversation_id.in_(chunk)).values(
                scorecard_id=select(func.max(card.id)).where(card.conversation_id == Rep.conversation_id)
                .scalar_subquery(),
                private=select(conv.private).where(of_rep).scalar_subquery(),
                seconds=select(seconds_between(dialect, conv.started_at, conv.ended_at)).where(of_rep)
                .scalar_subquery(),
                **same_time,
            ).execution_options(synchronize_session=False)
        )
        db.execute(
            update(Rep).where(Rep.conversation_id.in_(chunk)).values(
                overall=select(card.overall).where(card.id == Rep.scorecard_id).scalar_subquery(),
                passed=select(card.passed).where(card.id == Rep.scorecard_id).scalar_subquery(),
                **same_time,
            ).execution_options(synchronize_session=False)
        )
    if isinstance(db, Session):
        # the reps and conversations of this session now hold stale copies: read them again when next used
        for obj in list(db.identity_map.values()):
            if isinstance(obj, Rep) and obj.conversation_id in ids:
                db.expire(obj, ["scorecard_id", "overall", "passed", "private", "seconds"])
            elif isinstance(obj, ConversationRow) and obj.id in ids:
                db.expire(obj, ["scorecard_id"])
