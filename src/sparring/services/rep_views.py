"""Reps as the web pages and the JSON API show them, already cut to what the viewer may see.

A rep the viewer has FULL access to carries its transcript and scorecard; a SUMMARY rep (someone else's
private rep) carries only that it happened, when, on what, and its score.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.scoring.scorecard import Scorecard
from sparring.services.access import Access, Viewer, visible_reps
from sparring.store.models import Rep, ScorecardRow, TurnRow, User


class TurnView(BaseModel):
    index: int
    speaker: str
    role: str
    text: str


class RepView(BaseModel):
    id: int
    user_id: int
    learner: str
    scenario: str
    scenario_version: str
    rubric: str
    rubric_version: str
    difficulty: str
    outcome: str
    ended_reason: str | None = None
    private: bool
    parent_rep_id: int | None = None
    branched_from_turn: int | None = None
    created_at: datetime
    ended_at: datetime | None = None
    turn_count: int | None = Field(default=None, description="left out of private reps' summaries")
    overall: float | None = None
    passed: bool | None = None
    summary_only: bool = Field(default=False, description="true when the rep is private: no transcript or detail")
    turns: list[TurnView] | None = None
    scorecard: dict[str, Any] | None = None

    @field_validator("created_at", "ended_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Stored times are UTC; SQLite hands them back without a zone. Said explicitly, the JSON carries an
        RFC 3339 ``date-time`` (with its offset), as the OpenAPI promises, on every database."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    def scorecard_model(self) -> Scorecard | None:
        return Scorecard.model_validate(self.scorecard) if self.scorecard else None


def newest_scorecards(db: Session, rep_ids: Sequence[int]) -> dict[int, ScorecardRow]:
    """The current (newest) scorecard of each rep."""
    if not rep_ids:
        return {}
    newest = (
        select(ScorecardRow.rep_id, func.max(ScorecardRow.id).label("sid"))
        .where(ScorecardRow.rep_id.in_(list(rep_ids)))
        .group_by(ScorecardRow.rep_id)
        .subquery()
    )
    rows = db.scalars(select(ScorecardRow).join(newest, newest.c.sid == ScorecardRow.id))
    return {r.rep_id: r for r in rows}


def _turn_counts(db: Session, rep_ids: Sequence[int]) -> dict[int, int]:
    if not rep_ids:
        return {}
    rows = db.execute(
        select(TurnRow.rep_id, func.count()).where(TurnRow.rep_id.in_(list(rep_ids))).group_by(TurnRow.rep_id)
    )
    return {rep_id: n for rep_id, n in rows}


def _names(db: Session, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.execute(select(User.id, User.name, User.email).where(User.id.in_(set(user_ids))))
    return {uid: (name or email) for uid, name, email in rows}


def _view(rep: Rep, learner: str, turns: int, card: ScorecardRow | None, summary_only: bool) -> RepView:
    return RepView(
        id=rep.id, user_id=rep.user_id, learner=learner, scenario=rep.scenario_id,
        scenario_version=rep.scenario_version, rubric=rep.rubric_id, rubric_version=rep.rubric_version,
        difficulty=rep.difficulty, outcome=rep.outcome, ended_reason=None if summary_only else rep.ended_reason,
        private=rep.private, parent_rep_id=None if summary_only else rep.parent_rep_id,
        branched_from_turn=None if summary_only else rep.branched_from_turn, created_at=rep.created_at,
        ended_at=rep.ended_at, turn_count=None if summary_only else turns, overall=card.overall if card else None,
        passed=card.passed if card else None, summary_only=summary_only,
    )


def list_visible(
    db: Session,
    viewer: Viewer,
    user_id: int | None = None,
    scenario: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[RepView]:
    """Reps the viewer may see, newest first (summaries only: no transcripts)."""
    q = visible_reps(viewer)
    if user_id is not None:
        q = q.where(Rep.user_id == user_id)
    if scenario:
        q = q.where(Rep.scenario_id == scenario)
    reps = list(db.scalars(q.limit(limit).offset(offset)))
    ids = [r.id for r in reps]
    cards, counts, names = newest_scorecards(db, ids), _turn_counts(db, ids), _names(db, [r.user_id for r in reps])
    return [
        _view(r, names.get(r.user_id, "?"), counts.get(r.id, 0), cards.get(r.id),
              r.private and r.user_id != viewer.id)
        for r in reps
    ]


def full_view(db: Session, viewer: Viewer, rep: Rep, access: Access) -> RepView:
    """One rep with its transcript and scorecard, or its summary when access is SUMMARY."""
    card = newest_scorecards(db, [rep.id]).get(rep.id)
    turns = list(db.scalars(select(TurnRow).where(TurnRow.rep_id == rep.id).order_by(TurnRow.turn_index)))
    learner = _names(db, [rep.user_id]).get(rep.user_id, "?")
    summary_only = access is not Access.FULL
    view = _view(rep, learner, len(turns), card, summary_only)
    if not summary_only:
        view.turns = [TurnView(index=t.turn_index, speaker=t.speaker, role=t.role, text=t.text) for t in turns]
        view.scorecard = card.document if card else None
    return view
