"""Conversations as every adapter shows them: the one read model of a practice rep, a real call or a drill.

``ConversationView`` is built by one loader (``_views``) from the stored rows, already cut to what the viewer may
see (``services.access.conversation_access``): FULL carries the transcript, the participants and the scorecard;
SUMMARY (someone else's private conversation) carries only that it happened, when, on what, and its score. A
practice rep adds its ``practice`` extension (scenario, difficulty, outcome, persona state …).

The shapes the adapters promise are projections of this one model: ``RepView`` (the JSON API's and the pages'
rep, ``GET /api/reps`` in docs/web.md) and ``records.RepRecord`` (what ``PracticeService`` works with and the CLI
prints).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sparring.scoring.scorecard import Scorecard
from sparring.services.access import Access, Viewer, conversation_access, visible_conversations
from sparring.store.models import ConversationRow, ParticipantRow, Rep, ScorecardRow, TurnRow, User


def _utc(value: datetime | None) -> datetime | None:
    """Stored times are UTC; SQLite hands them back without a zone. Said explicitly, the JSON carries an RFC 3339
    ``date-time`` (with its offset), as the OpenAPI promises, on every database."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class TurnView(BaseModel):
    """A turn as the API's rep shows it."""

    index: int
    speaker: str
    role: str
    text: str


class TimedTurnView(TurnView):
    """A turn of a conversation, with its start and end in seconds when known (calls)."""

    start: float | None = None
    end: float | None = None


class ParticipantView(BaseModel):
    name: str
    role: str
    user_id: int | None = None


class PracticeView(BaseModel):
    """The practice extension of a conversation (a rep)."""

    rep_id: int
    scenario: str
    scenario_version: str
    difficulty: str
    engine: str
    outcome: str
    ended_reason: str | None = None
    parent_rep_id: int | None = None
    branched_from_turn: int | None = None
    #: the persona's hidden state after the last reply (FULL access only)
    state: dict[str, Any] | None = None


class ConversationView(BaseModel):
    id: int
    source: str
    title: str
    rubric: str | None = None
    rubric_version: str | None = None
    user_id: int
    owner: str
    org_id: int
    team_id: int | None = None
    private: bool
    started_at: datetime | None = None
    ended_at: datetime | None = None
    created_at: datetime
    turn_count: int | None = Field(default=None, description="left out of private conversations' summaries")
    learner_turns: int | None = Field(
        default=None, description="the learner's own turns (role 'learner'); left out of private summaries")
    overall: float | None = None
    passed: bool | None = None
    summary_only: bool = Field(default=False, description="true when private: no transcript or detail")
    participants: list[ParticipantView] | None = None
    turns: list[TimedTurnView] | None = None
    scorecard: dict[str, Any] | None = None
    practice: PracticeView | None = None

    _utc_times = field_validator("created_at", "started_at", "ended_at")(_utc)


class RepView(BaseModel):
    """A practice rep as the JSON API (``/api/reps``) and the pages show it: a projection of ``ConversationView``
    whose keys are part of the API (docs/web.md, "JSON API")."""

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
    turn_count: int | None = Field(default=None, description="every turn, both speakers; left out of private reps' "
                                   "summaries")
    learner_turns: int | None = Field(
        default=None, description="the learner's own turns, as the brief's turn limit counts them; left out of "
                                  "private reps' summaries")
    overall: float | None = None
    passed: bool | None = None
    summary_only: bool = Field(default=False, description="true when the rep is private: no transcript or detail")
    turns: list[TurnView] | None = None
    scorecard: dict[str, Any] | None = None

    _utc_times = field_validator("created_at", "ended_at")(_utc)

    @classmethod
    def of(cls, view: ConversationView) -> RepView:
        p = view.practice
        if p is None:
            raise ValueError(f"conversation {view.id} ({view.source}) is not a practice rep")
        turns = [TurnView(index=t.index, speaker=t.speaker, role=t.role, text=t.text) for t in view.turns] \
            if view.turns is not None else None
        return cls(
            id=p.rep_id, user_id=view.user_id, learner=view.owner, scenario=p.scenario,
            scenario_version=p.scenario_version, rubric=view.rubric or "", rubric_version=view.rubric_version or "",
            difficulty=p.difficulty, outcome=p.outcome, ended_reason=p.ended_reason, private=view.private,
            parent_rep_id=p.parent_rep_id, branched_from_turn=p.branched_from_turn, created_at=view.created_at,
            ended_at=view.ended_at, turn_count=view.turn_count, learner_turns=view.learner_turns,
            overall=view.overall, passed=view.passed,
            summary_only=view.summary_only, turns=turns, scorecard=view.scorecard,
        )

    def scorecard_model(self) -> Scorecard | None:
        return Scorecard.model_validate(self.scorecard) if self.scorecard else None


# --- the loader -------------------------------------------------------------------------------------------


def newest_scorecards(db: Session, conversation_ids: Sequence[int]) -> dict[int, ScorecardRow]:
    """The current (newest) scorecard of each conversation."""
    if not conversation_ids:
        return {}
    newest = (
        select(ScorecardRow.conversation_id, func.max(ScorecardRow.id).label("sid"))
        .where(ScorecardRow.conversation_id.in_(list(conversation_ids)))
        .group_by(ScorecardRow.conversation_id)
        .subquery()
    )
    rows = db.scalars(select(ScorecardRow).join(newest, newest.c.sid == ScorecardRow.id))
    return {r.conversation_id: r for r in rows}


def _turn_counts(db: Session, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per conversation: (every turn, the learner's turns)."""
    if not ids:
        return {}
    rows = db.execute(
        select(TurnRow.conversation_id, func.count(),
               func.count().filter(TurnRow.role == "learner"))
        .where(TurnRow.conversation_id.in_(list(ids)))
        .group_by(TurnRow.conversation_id)
    )
    return {cid: (int(n), int(mine)) for cid, n, mine in rows}


def _names(db: Session, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.execute(select(User.id, User.name, User.email).where(User.id.in_(set(user_ids))))
    return {uid: (name or email) for uid, name, email in rows}


def _practice(rep: Rep | None, summary_only: bool, with_state: bool) -> PracticeView | None:
    if rep is None:
        return None
    return PracticeView(
        rep_id=rep.id, scenario=rep.scenario_id, scenario_version=rep.scenario_version, difficulty=rep.difficulty,
        engine=rep.engine, outcome=rep.outcome, ended_reason=None if summary_only else rep.ended_reason,
        parent_rep_id=None if summary_only else rep.parent_rep_id,
        branched_from_turn=None if summary_only else rep.branched_from_turn,
        state=rep.state if with_state and not summary_only else None,
    )


def _views(db: Session, rows: Sequence[tuple[ConversationRow, Rep | None]], access: dict[int, Access],
           detail: bool) -> list[ConversationView]:
    """Views of ``rows`` (conversation, its rep if practice); ``access`` per conversation id; ``detail``: with
    transcripts, participants and scorecard documents (FULL access only)."""
    ids = [c.id for c, _ in rows]
    cards, counts = newest_scorecards(db, ids), _turn_counts(db, ids)
    names = _names(db, [c.user_id for c, _ in rows])
    full_ids = [c.id for c, _ in rows if detail and access[c.id] is Access.FULL]
    turns: dict[int, list[TimedTurnView]] = {i: [] for i in full_ids}
    people: dict[int, list[tuple[int | None, int, ParticipantView]]] = {i: [] for i in full_ids}
    if full_ids:
        for t in db.scalars(select(TurnRow).where(TurnRow.conversation_id.in_(full_ids))
                            .order_by(TurnRow.conversation_id, TurnRow.turn_index)):
            turns[t.conversation_id].append(TimedTurnView(index=t.turn_index, speaker=t.speaker, role=t.role,
                                                     text=t.text, start=t.start_s, end=t.end_s))
        for p in db.scalars(select(ParticipantRow).where(ParticipantRow.conversation_id.in_(full_ids))):
            people[p.conversation_id].append(
                (p.first_turn, p.id, ParticipantView(name=p.name, role=p.role, user_id=p.user_id)))
    views = []
    for c, rep in rows:
        summary_only = access[c.id] is not Access.FULL
        card = cards.get(c.id)
        view = ConversationView(
            id=c.id, source=c.source, title=c.title, rubric=c.rubric_id, rubric_version=c.rubric_version,
            user_id=c.user_id, owner=names.get(c.user_id, "?"), org_id=c.org_id, team_id=c.team_id,
            private=c.private, started_at=c.started_at, ended_at=c.ended_at, created_at=c.created_at,
            turn_count=None if summary_only else counts.get(c.id, (0, 0))[0],
            learner_turns=None if summary_only else counts.get(c.id, (0, 0))[1],
            overall=card.overall if card else None, passed=card.passed if card else None,
            summary_only=summary_only, practice=_practice(rep, summary_only, detail),
        )
        if c.id in turns:
            view.turns = turns[c.id]
            ordered = sorted(people[c.id], key=lambda p: (p[0] is None, p[0] or 0, p[1]))
            view.participants = [p for _, _, p in ordered]
            view.scorecard = card.document if card else None
        views.append(view)
    return views


def _with_reps(q: Select[ConversationRow]) -> Select[ConversationRow, Rep]:
    return q.add_columns(Rep).outerjoin(Rep, Rep.conversation_id == ConversationRow.id)


# --- what the adapters call ------------------------------------------------------------------------------


def list_visible(
    db: Session,
    viewer: Viewer,
    *,
    user_id: int | None = None,
    source: str | None = None,
    scenario: str | None = None,
    reps_only: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> list[ConversationView]:
    """Conversations the viewer may see, newest first (summaries: no transcripts). ``scenario`` keeps practice
    reps of that scenario only; ``reps_only`` keeps conversations with a rep (practice and drills)."""
    q = _with_reps(visible_conversations(viewer))
    if user_id is not None:
        q = q.where(ConversationRow.user_id == user_id)
    if source is not None:
        q = q.where(ConversationRow.source == source)
    if scenario:
        q = q.where(Rep.scenario_id == scenario)
    if reps_only:
        q = q.where(Rep.id.is_not(None))
    rows = [(c, r) for c, r in db.execute(q.limit(max(1, min(limit, 500))).offset(max(0, offset))).all()]
    access = {c.id: conversation_access(db, viewer, c, listed=True) for c, _ in rows}
    return _views(db, rows, access, detail=False)


def list_visible_reps(db: Session, viewer: Viewer, *, user_id: int | None = None, scenario: str | None = None,
                      limit: int = 200, offset: int = 0) -> list[RepView]:
    """Practice reps the viewer may see, newest first, as the API and the pages show them."""
    views = list_visible(db, viewer, user_id=user_id, scenario=scenario, reps_only=True, limit=limit, offset=offset)
    return [RepView.of(v) for v in views]


def get_visible(db: Session, viewer: Viewer, conversation_id: int) -> ConversationView | None:
    """One conversation as the viewer may see it (with transcript and scorecard unless SUMMARY), or None when
    it does not exist or may not be seen."""
    from sparring.inputs import is_db_id

    if not is_db_id(conversation_id):
        return None
    row = db.execute(_with_reps(select(ConversationRow)).where(ConversationRow.id == conversation_id)).first()
    if row is None:
        return None
    conversation, rep = row
    access = conversation_access(db, viewer, conversation)
    if access is Access.NONE:
        return None
    return _views(db, [(conversation, rep)], {conversation.id: access}, detail=True)[0]


def rep_view(db: Session, viewer: Viewer, rep: Rep) -> RepView | None:
    """A rep (its conversation) as the viewer may see it, or None."""
    view = get_visible(db, viewer, rep.conversation_id)
    return RepView.of(view) if view is not None else None


def load(db: Session, conversation_id: int) -> ConversationView | None:
    """A conversation in full, for the services that own it (no viewer: the caller has already checked who
    asks, or acts for the owner, as the local CLI does)."""
    return _load_one(db, _with_reps(select(ConversationRow)).where(ConversationRow.id == conversation_id))


def load_rep(db: Session, rep_id: int) -> ConversationView | None:
    """A practice rep's conversation in full (no viewer, as ``load``)."""
    return _load_one(db, _with_reps(select(ConversationRow)).where(Rep.id == rep_id))


def _load_one(db: Session, q: Select[ConversationRow, Rep]) -> ConversationView | None:
    row = db.execute(q).first()
    if row is None:
        return None
    return _views(db, [(row[0], row[1])], {row[0].id: Access.FULL}, detail=True)[0]


def load_many(db: Session, q: Select[ConversationRow, Rep]) -> list[ConversationView]:
    """Summaries of the (conversation, rep) rows ``q`` selects (no viewer: the caller filtered them)."""
    rows = [(c, r) for c, r in db.execute(q).all()]
    return _views(db, rows, {c.id: Access.FULL for c, _ in rows}, detail=False)
