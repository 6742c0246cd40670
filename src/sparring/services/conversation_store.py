"""Writing conversations: a new conversation with its participants, a scorecard with its criterion results (the
same code for a practice rep and a real call), and storing a whole call.

A call is stored whole, in one transaction: the conversation (source ``call``, owned by the rep on the call),
who spoke, the turns, and — when a scorer already scored it — the scorecard and its criterion results, in the
same rows (with the same owner columns) as a rep's. The progress and dashboard queries (``reports.progress``,
``services.dashboards``) still read practice reps only. Reading goes through ``services.conversations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.content.rubric import Rubric
from sparring.conversation.model import Conversation, Turn
from sparring.inputs import InputError, clean_text
from sparring.scoring.scorecard import Scorecard
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.store import rep_rollup
from sparring.store.db import Database
from sparring.store.models import (
    SOURCES,
    ConversationRow,
    CriterionResultRow,
    ParticipantRow,
    ScorecardRow,
    TeamMember,
    TurnRow,
    UsageRow,
    User,
)

MAX_TITLE_CHARS = 300
#: the longest call stored in one go (a two-hour call at one turn every 5 s is 1,440 turns)
MAX_CALL_TURNS = 5000


@dataclass(frozen=True)
class Owner:
    """Who a conversation belongs to, as its rows copy it: user, organisation, and the user's team."""

    user_id: int
    org_id: int
    team_id: int | None


def owner_of(s: Session, user_id: int) -> Owner:
    """The owner columns for a new conversation of ``user_id``: their organisation and (first) team. NotFound for
    an unknown user, Conflict for a deactivated one."""
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"unknown user {user_id}")
    if not user.is_active:
        raise Conflict(f"user {user.email} is deactivated")
    team_id = s.scalar(select(func.min(TeamMember.team_id)).where(TeamMember.user_id == user_id))
    return Owner(user.id, user.org_id, team_id)


def participants_of(turns: Sequence[Turn], learner_id: int | None,
                    also: Sequence[tuple[str, str]] = ()) -> list[ParticipantRow]:
    """Who spoke, in the order they joined (distinct speaker and role, with their first turn), then ``also``
    (name, role) who have not spoken yet. The learner (role ``learner``) is linked to ``learner_id``."""
    first: dict[tuple[str, str], int | None] = {}
    for t in sorted(turns, key=lambda t: t.index):
        first.setdefault((t.speaker, t.role), t.index)
    for key in also:
        first.setdefault(key, None)
    return [ParticipantRow(name=name, role=role, first_turn=index, user_id=learner_id if role == "learner" else None)
            for (name, role), index in first.items()]


def new_conversation(s: Session, owner: Owner, source: str, title: str, *, rubric: tuple[str, str] | None = None,
                     private: bool = False, started_at: datetime | None = None, ended_at: datetime | None = None,
                     participants: Sequence[ParticipantRow] = ()) -> ConversationRow:
    """Add a conversation and its participants to the session (flushed: it has its id)."""
    if source not in SOURCES:
        raise InvalidInput(f"source: must be one of {', '.join(SOURCES)} (got {source[:20]!r})")
    now = datetime.now(UTC)
    row = ConversationRow(
        source=source, title=title[:MAX_TITLE_CHARS], rubric_id=rubric[0] if rubric else None,
        rubric_version=rubric[1] if rubric else None, user_id=owner.user_id, org_id=owner.org_id,
        team_id=owner.team_id, private=private, started_at=started_at, ended_at=ended_at, created_at=now,
    )
    s.add(row)
    s.flush()
    for p in participants:
        p.conversation_id = row.id
    s.add_all(participants)
    return row


def store_scorecard(s: Session, conversation: ConversationRow, rubric: Rubric, card: Scorecard) -> ScorecardRow:
    """Add a scorecard of ``conversation``, one criterion-result row per criterion (copying the owner columns the
    dashboards read), and its LLM usage; the conversation now pins the rubric version it was scored with."""
    skills = {c.id: c.skill for c in rubric.criteria}
    usage = card.usage
    row = ScorecardRow(
        conversation_id=conversation.id,
        rubric_id=card.rubric.id,
        rubric_version=card.rubric.version,
        engine=card.engine,
        overall=card.overall,
        passed=card.passed,
        document=card.model_dump(mode="json"),
        input_tokens=usage.input_tokens if usage else 0,
        output_tokens=usage.output_tokens if usage else 0,
        cost_usd=usage.cost_usd if usage else None,
    )
    s.add(row)
    s.flush()
    s.add_all(
        CriterionResultRow(
            scorecard_id=row.id,
            conversation_id=conversation.id,
            org_id=conversation.org_id,
            team_id=conversation.team_id,
            user_id=conversation.user_id,
            criterion_id=c.id,
            kind=c.kind,
            skill=skills.get(c.id),
            score=c.score,
            max=c.max,
            verdict=c.verdict,
            created_at=row.created_at,
        )
        for c in card.criteria
    )
    if usage and (usage.input_tokens or usage.output_tokens):
        s.add(
            UsageRow(
                conversation_id=conversation.id,
                org_id=conversation.org_id,
                purpose="scoring",
                engine=card.engine,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_usd=usage.cost_usd,
            )
        )
    if conversation.rubric_id is None:
        conversation.rubric_id, conversation.rubric_version = card.rubric.id, card.rubric.version
    rep_rollup.refresh(s, [conversation.id])  # a rep's current scorecard is now this one
    return row


def _call_title(title: str | None) -> str:
    try:
        return clean_text(title or "", "title", max_chars=MAX_TITLE_CHARS, required=True)
    except InputError as exc:
        raise InvalidInput(str(exc)) from None


def store_call(
    db: Database,
    user_id: int,
    call: Conversation,
    *,
    scored: tuple[Rubric, Scorecard] | None = None,
    started_at: datetime | None = None,
    private: bool = False,
) -> int:
    """Store a real call of ``user_id`` (the rep on the call: the turns of role ``learner``) as a conversation of
    source ``call`` with its title, turns and participants and, optionally, the scorecard a scorer made against a
    rubric; return the conversation id. No rep is made. The call ends at its start plus the last turn's end, when
    both are known. InvalidInput (naming the field) for a call without a title or turns, repeated turn indexes, or
    a scorecard of another rubric; NotFound / Conflict for an unknown or deactivated user."""
    title = _call_title(call.title)
    turns = call.turns
    if not turns:
        raise InvalidInput("turns: a call needs at least one turn")
    if len(turns) > MAX_CALL_TURNS:
        raise InvalidInput(f"turns: a call has at most {MAX_CALL_TURNS:,} turns (got {len(turns):,})")
    if len({t.index for t in turns}) != len(turns):
        raise InvalidInput("turns: every turn needs its own index")
    if scored is not None and scored[1].rubric.id != scored[0].id:
        raise InvalidInput(f"scorecard: it was made with rubric {scored[1].rubric.id!r}, not {scored[0].id!r}")
    last_end = max((t.end for t in turns if t.end is not None), default=None)
    ended_at = started_at + timedelta(seconds=last_end) if started_at is not None and last_end is not None else None
    with db.session() as s:
        owner = owner_of(s, user_id)
        conversation = new_conversation(
            s, owner, "call", title, rubric=(scored[1].rubric.id, scored[1].rubric.version) if scored else None,
            private=private, started_at=started_at, ended_at=ended_at, participants=participants_of(turns, user_id),
        )
        s.add_all(TurnRow(conversation_id=conversation.id, turn_index=t.index, speaker=t.speaker, role=t.role,
                          text=t.text, start_s=t.start, end_s=t.end) for t in turns)
        if scored is not None:
            store_scorecard(s, conversation, *scored)
        return conversation.id
