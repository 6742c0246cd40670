"""Reading what a coaching loop compares from the store (docs/loops.md): a stored call as a ``Conversation`` with
its newest scorecard and rubric, the loop's criterion on it, its moments, and the drill reps since the loop opened.
Used by ``services.loops``; the comparison itself is ``coaching.loop_verdict`` (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from sparring.coaching.loop_verdict import SITUATIONS, CallSample, CriterionScore, DrillSample, situation_of
from sparring.content.errors import ContentError
from sparring.content.rubric import Rubric
from sparring.conversation.model import Conversation, Turn
from sparring.scoring.scorecard import Scorecard
from sparring.services.content import ContentService, _parse, visible_to
from sparring.services.conversations import newest_scorecards
from sparring.store.models import ContentVersion, ConversationRow, Rep, TurnRow

#: scores a conversation against a rubric (the importer's scorer): used when the new call was routed to another
#: rubric than the loop's
Rescore = Callable[[Conversation, Rubric], Scorecard]


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def call_time(row: ConversationRow) -> datetime:
    """When a call happened: its recording's start when known, else when it was stored."""
    return utc(row.started_at or row.created_at)


def rubric_in(s: Session, org_id: int, rubric_id: str, version: str | None = None) -> Rubric | None:
    """The rubric ``rubric_id`` as the organisation sees it: the pinned ``version`` when it is still stored, else
    the current one (its own versions first), else the built-in; None when there is none any more."""
    base = select(ContentVersion).where(ContentVersion.kind == "rubric", ContentVersion.content_id == rubric_id,
                                        visible_to(org_id))
    wanted = [base.where(ContentVersion.version == version)] if version else []
    wanted.append(base.where(ContentVersion.published.is_(True)))
    for q in wanted:
        q = q.order_by(case((ContentVersion.org_id.is_(None), 1), else_=0), ContentVersion.created_at.desc(),
                       ContentVersion.id.desc())
        row = s.scalars(q.limit(1)).first()
        if row is not None:
            try:
                return _parse(row, Rubric)
            except ContentError:
                continue
    return ContentService._builtin(Rubric, rubric_id)


@dataclass
class StoredCall:
    """A stored conversation rebuilt for scoring and review: its row, turns, newest scorecard and that rubric."""

    row: ConversationRow
    conversation: Conversation
    scorecard: Scorecard | None
    rubric: Rubric | None


def load_call(s: Session, row: ConversationRow) -> StoredCall:
    turns = [Turn(index=t.turn_index, speaker=t.speaker, role=t.role, text=t.text,
                  start=t.start_s, end=t.end_s)
             for t in s.scalars(select(TurnRow).where(TurnRow.conversation_id == row.id)
                                .order_by(TurnRow.turn_index))]
    conv = Conversation(source=row.source, title=row.title, turns=turns)
    card_row = newest_scorecards(s, [row.id]).get(row.id)
    card = Scorecard.model_validate(card_row.document) if card_row is not None else None
    rubric = rubric_in(s, row.org_id, card.rubric.id, card.rubric.version) if card is not None else None
    return StoredCall(row, conv, card, rubric)


def criterion_score(card: Scorecard | None, criterion_id: str) -> CriterionScore | None:
    """The criterion's result on a scorecard (None: not on it). A blocker counts 1 of 1 when kept, 0 when broken."""
    if card is None:
        return None
    for c in card.criteria:
        if c.id == criterion_id:
            if c.kind == "blocker":
                return CriterionScore(0.0 if c.hit else 1.0, 1.0, "missed" if c.hit else "met")
            return CriterionScore(c.score, c.max, c.verdict)
    return None


def moment_kinds(call: StoredCall) -> list[tuple[str, int, int, str | None]]:
    """(kind, start turn, end turn, criterion) of every key moment of the call (``review.moments``)."""
    from sparring.review.moments import summarise_call

    summary = summarise_call(call.conversation, call.scorecard, rubric=call.rubric)
    return [(m.kind, m.start_turn, m.end_turn, m.criterion) for m in summary.moments]


def moment_at(call: StoredCall, start_turn: int) -> tuple[str, int, int, str | None] | None:
    """The key moment that starts at ``start_turn``, else the first one that spans it; None when there is none."""
    moments = moment_kinds(call)
    for m in moments:
        if m[1] == start_turn:
            return m
    return next((m for m in moments if m[1] <= start_turn <= m[2]), None)


def call_sample(call: StoredCall, criterion_id: str, *, card: Scorecard | None, situation: str | None = None,
                kinds: list[str] | None = None) -> CallSample:
    """``call`` as the verdict reads it: the criterion from ``card`` (the stored scorecard, or the call rescored
    with the loop's rubric; None: not scored on it), the metrics from it or the stored one (metrics do not depend on
    the rubric); ``situation`` (a ``SITUATIONS`` key) is checked against the moment ``kinds`` found on the call."""
    source = card or call.scorecard
    metrics = dict(source.metrics) if source is not None else {}
    turns = [(t.role == "learner", t.words) for t in call.conversation.turns]
    arose, note = True, ""
    if situation is not None and kinds is not None:
        arose = any(situation_of(k) == situation for k in kinds)
        if not arose:
            note = f"{SITUATIONS[situation]} did not come up on the next call, so it could not show the behaviour"
    return CallSample(call.row.id, criterion_score(card, criterion_id), metrics, turns, situation_arose=arose,
                      situation_note=note)


def drill_samples(s: Session, user_id: int, scenario_id: str | None, since: datetime,
                  criterion_id: str) -> list[DrillSample]:
    """Every scored rep of ``user_id`` on the drill scenario started since ``since``, oldest first."""
    if not scenario_id:
        return []
    rows = list(s.execute(select(Rep.conversation_id, ConversationRow.created_at)
                          .join(ConversationRow, ConversationRow.id == Rep.conversation_id)
                          .where(Rep.user_id == user_id, Rep.scenario_id == scenario_id)
                          .order_by(ConversationRow.created_at, ConversationRow.id)))
    ids = [cid for cid, created in rows if utc(created) >= since]
    cards = newest_scorecards(s, ids)
    out = []
    for cid in ids:
        if cid in cards:
            card = Scorecard.model_validate(cards[cid].document)
            out.append(DrillSample(cid, criterion_score(card, criterion_id), dict(card.metrics)))
    return out
