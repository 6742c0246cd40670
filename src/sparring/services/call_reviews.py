"""Reviewing calls: the CONTRACT review document (``sparring call review --json`` and ``GET /api/calls/{id}``), the
stored calls a viewer may see, and each stored call's scored summary, computed once and kept (docs/calls.md, "In
the browser"; docs/moments.md).

- ``review_document(reviewed, summary)``: the document of a call read from a file (the CLI), and
  ``stored_review_document(view, summary)`` the same keys for a stored call: ``{"conversation", "scorecard",
  "moments", "pivotal"}``; both build the moment part with ``moments_document``.
- ``summary_of(database, conversation_id)``: the call's ``CallSummary`` from ``call_summaries``, or computed (about
  0.7 s for a 60-minute call) and stored when missing or made with an older scorecard. The ``import_call`` job calls
  it right after an import, so a page rarely waits.
- ``list_calls`` / ``get_call``: the calls a viewer may see, by the one access rule (``services.access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparring.conversation.model import Conversation, Turn
from sparring.review.moment import CallSummary, Moment
from sparring.scoring.scorecard import Scorecard
from sparring.services.access import Viewer
from sparring.services.conversations import ConversationView, _utc, get_visible, list_visible, newest_scorecards
from sparring.store.db import Database
from sparring.store.models import ConversationRow, TurnRow
from sparring.store.review_models import CallSummaryRow

if TYPE_CHECKING:
    from sparring.content.rubric import Rubric
    from sparring.services.calls import ReviewedCall

#: the version of the moment finder a cached summary was made with; change it when the moments change, so every
#: stored summary is computed again on its next read
SUMMARY_ENGINE = "moments-1"


# ---- the CONTRACT document -----------------------------------------------------------------------------------


def moment_json(m: Moment) -> dict[str, Any]:
    return m.model_dump(mode="json")


def moments_document(summary: CallSummary) -> dict[str, Any]:
    """The ``moments`` and ``pivotal`` keys of a review document (MOMENT, CONTRACT.md)."""
    return {"moments": [moment_json(m) for m in summary.moments],
            "pivotal": moment_json(summary.pivotal) if summary.pivotal is not None else None}


def review_document(reviewed: ReviewedCall, summary: CallSummary) -> dict[str, Any]:
    """The ``call review --json`` document (CONTRACT.md) of a call read from a file: conversation, scorecard,
    moments, pivotal."""
    conv, route = reviewed.conversation, reviewed.route
    learners = conv.speakers("learner")
    return {
        "conversation": {
            "title": conv.title,
            "source": "call",
            "turns": [{"index": t.index, "speaker": t.speaker, "role": t.role, "text": t.text, "start": t.start,
                       "end": t.end} for t in conv.turns],
            "rep": learners[0] if learners else None,
            "rep_guessed": conv.roles_guessed,
            "rep_note": conv.role_note,
            "notes": conv.notes,
            "timed": conv.timed,
            "call_type": route.call_type,
            "rubric": reviewed.rubric.id,
            "route_reason": route.reason,
        },
        "scorecard": reviewed.scorecard.model_dump(mode="json"),
        **moments_document(summary),
    }


def stored_review_document(view: ConversationView, summary: CallSummary) -> dict[str, Any]:
    """The review document of a stored call (FULL access): the same keys as ``review_document``; what was only
    known while the file was read (whether the rep was guessed, the routing reason) is null, and the stored
    call's ``id``, owner and times are added."""
    turns = view.turns or []
    reps = [p.name for p in view.participants or [] if p.role == "learner"]
    return {
        "conversation": {
            "id": view.id,
            "title": view.title,
            "source": "call",
            "turns": [{"index": t.index, "speaker": t.speaker, "role": t.role, "text": t.text, "start": t.start,
                       "end": t.end} for t in turns],
            "rep": reps[0] if reps else None,
            "rep_guessed": None,
            "rep_note": None,
            "notes": [],
            "timed": bool(turns) and all(t.start is not None and t.end is not None for t in turns),
            "call_type": None,
            "rubric": view.rubric,
            "route_reason": None,
            "user_id": view.user_id,
            "owner": view.owner,
            "created_at": view.created_at.isoformat(),
            "duration_s": duration_of(view),
        },
        "scorecard": view.scorecard,
        **moments_document(summary),
    }


def duration_of(view: ConversationView) -> float | None:
    """The call's length in seconds (its last turn's end), when it is timed."""
    ends = [t.end if t.end is not None else t.start for t in view.turns or []]
    known = [e for e in ends if e is not None]
    return max(known) if known else None


# ---- the cached summary -----------------------------------------------------------------------------------------


def _conversation(turns: list[TurnRow], title: str) -> Conversation:
    return Conversation(source="call", title=title, turns=[
        Turn.model_validate({"index": t.turn_index, "speaker": t.speaker, "role": t.role, "text": t.text,
                             "start": t.start_s, "end": t.end_s}) for t in turns])


def _rubric(database: Database, org_id: int, card: Scorecard) -> Rubric | None:
    """The rubric the call was scored with (its organisation's version of that id and version), or None: the
    moment finder then falls back to the built-in rubric of that id and version."""
    from sparring.content.errors import ContentError, UnknownContentError
    from sparring.services.content import ContentService

    try:
        return ContentService(database, org_id).get_rubric(card.rubric.id, card.rubric.version)
    except (UnknownContentError, ContentError):
        return None


def compute_summary(database: Database, conversation_id: int) -> tuple[CallSummary, int | None]:
    """Find the moments of a stored call (no cache): its summary and the id of the scorecard it used."""
    from sparring.review.moments import summarise_call

    with database.read() as s:
        row = s.get(ConversationRow, conversation_id)
        if row is None:
            raise LookupError(f"unknown conversation {conversation_id}")
        turns = list(s.scalars(select(TurnRow).where(TurnRow.conversation_id == conversation_id)
                               .order_by(TurnRow.turn_index)))
        card_row = newest_scorecards(s, [conversation_id]).get(conversation_id)
        conversation, org_id = _conversation(turns, row.title), row.org_id
        card = Scorecard.model_validate(card_row.document) if card_row is not None else None
        card_id = card_row.id if card_row is not None else None
    rubric = _rubric(database, org_id, card) if card is not None else None
    return summarise_call(conversation, card, rubric=rubric), card_id


def _cached(s: Session, conversation_id: int) -> tuple[CallSummaryRow | None, int | None]:
    row = s.get(CallSummaryRow, conversation_id)
    card = newest_scorecards(s, [conversation_id]).get(conversation_id)
    return row, card.id if card is not None else None


def summary_of(database: Database, conversation_id: int) -> CallSummary:
    """The stored call's summary: the kept one when it was made from the call's current scorecard by this moment
    finder, otherwise computed now and kept (two requests computing it at once keep one; both answer it)."""
    with database.read() as s:
        row, card_id = _cached(s, conversation_id)
        if row is not None and row.scorecard_id == card_id and row.engine == SUMMARY_ENGINE:
            return CallSummary.model_validate(row.document)
    summary, card_id = compute_summary(database, conversation_id)
    _keep(database, conversation_id, summary, card_id)
    return summary


def _keep(database: Database, conversation_id: int, summary: CallSummary, card_id: int | None) -> None:
    values = {"scorecard_id": card_id, "engine": SUMMARY_ENGINE,
              "pivotal_kind": summary.pivotal.kind if summary.pivotal is not None else None,
              "moment_count": len(summary.moments), "document": summary.model_dump(mode="json")}
    try:
        with database.session() as s:
            row = s.get(CallSummaryRow, conversation_id)
            if row is None:
                s.add(CallSummaryRow(conversation_id=conversation_id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
    except IntegrityError:  # another request kept it first (or the call was deleted meanwhile): nothing to do
        pass


# ---- what the viewer may see -------------------------------------------------------------------------------------


class CallItem(BaseModel):
    """A stored call as the calls list and ``GET /api/calls`` show it."""

    id: int
    title: str
    user_id: int
    rep: str = Field(description="the rep's account name (the call's owner)")
    created_at: datetime
    started_at: datetime | None = None
    duration_s: float | None = Field(default=None, description="seconds, when the call is timed")
    turn_count: int | None = None
    rubric: str | None = None
    overall: float | None = None
    passed: bool | None = None
    pivotal_kind: str | None = Field(default=None, description="the pivotal moment's kind, once the moments are "
                                     "found (null: none clear, or not found yet)")
    moment_count: int | None = Field(default=None, description="null until the moments are found")
    summary_only: bool = Field(default=False, description="true when the call is private: no transcript or detail")

    _utc_times = field_validator("created_at", "started_at")(_utc)


def list_calls(db: Session, viewer: Viewer, *, user_id: int | None = None, limit: int = 100,
               offset: int = 0) -> list[CallItem]:
    """The stored calls the viewer may see, newest first (``services.access``: a learner their own, a manager
    their teams', an admin their organisation's), optionally of one rep."""
    views = list_visible(db, viewer, user_id=user_id, source="call", limit=limit, offset=offset)
    ids = [v.id for v in views]
    cached = {r.conversation_id: r for r in db.scalars(select(CallSummaryRow)
                                                        .where(CallSummaryRow.conversation_id.in_(ids)))} if ids else {}
    durations: dict[int, float | None] = {}
    if ids:
        q = (select(TurnRow.conversation_id, func.max(func.coalesce(TurnRow.end_s, TurnRow.start_s)))
             .where(TurnRow.conversation_id.in_(ids)).group_by(TurnRow.conversation_id))
        durations = {cid: (float(d) if d is not None else None) for cid, d in db.execute(q)}
    items = []
    for v in views:
        summary = cached.get(v.id)
        hidden = v.summary_only
        items.append(CallItem(
            id=v.id, title=v.title, user_id=v.user_id, rep=v.owner, created_at=v.created_at, started_at=v.started_at,
            duration_s=None if hidden else durations.get(v.id), turn_count=v.turn_count, rubric=v.rubric,
            overall=v.overall, passed=v.passed, summary_only=hidden,
            pivotal_kind=None if hidden or summary is None else summary.pivotal_kind,
            moment_count=None if hidden or summary is None else summary.moment_count))
    return items


@dataclass(frozen=True)
class CallReview:
    """A stored call as the viewer may see it, with its summary (None when the viewer sees only that it
    happened: someone else's private call)."""

    view: ConversationView
    summary: CallSummary | None

    def document(self) -> dict[str, Any] | None:
        return stored_review_document(self.view, self.summary) if self.summary is not None else None


def get_call(database: Database, viewer: Viewer, conversation_id: int) -> CallReview | None:
    """A stored call the viewer may see (None when it is not a call, does not exist or may not be seen: callers
    answer 404 either way), with its summary (computed and kept on the first read)."""
    with database.read() as s:
        view = get_visible(s, viewer, conversation_id)
    if view is None or view.source != "call":
        return None
    if view.summary_only:
        return CallReview(view, None)
    return CallReview(view, summary_of(database, view.id))


__all__ = ["SUMMARY_ENGINE", "CallItem", "CallReview", "compute_summary", "get_call", "list_calls",
           "moments_document", "review_document", "stored_review_document", "summary_of"]
