"""The database side of one practice turn, in a few plain statements.

A turn is the hot path of the web app (100 learners offer ~50 turns/s; docs/benchmarks.md, "Web load"), so it
reads and writes only the columns it needs with prebuilt Core statements on the session's connection instead of
loading ORM objects, and does its Python work (validation, building records) outside the write transaction, which
on SQLite holds the database's write lock. The first transaction locks the rep, reads its state and turns and
stores the learner's line (committed before the persona runs, docs/architecture.md "Principles"); the second
locks the rep again, checks that nothing changed meanwhile, and stores the reply (with a snapshot of the new
state on the reply's row, for branching), the new state and any LLM usage. Rules and error messages are those
of ``PracticeService``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from sparring.conversation.model import Turn
from sparring.persona.base import Outcome, PersonaReply, PersonaState
from sparring.services.errors import Conflict, NotFound
from sparring.store import rep_rollup
from sparring.store.models import ConversationRow, ParticipantRow, Rep, TurnRow, UsageRow, User

_TURN_COLUMNS = (TurnRow.turn_index, TurnRow.speaker, TurnRow.role, TurnRow.text, TurnRow.start_s, TurnRow.end_s)
_TURNS = select(*_TURN_COLUMNS).where(TurnRow.conversation_id == bindparam("cid")).order_by(TurnRow.turn_index)
#: the rep a learner turn goes into, locked (FOR UPDATE OF reps on PostgreSQL; SQLite's BEGIN IMMEDIATE holds the
#: database write lock already), with the learner's name for the turn's speaker
_REP_FOR_TURN = (
    select(Rep.conversation_id, Rep.user_id, Rep.org_id, Rep.outcome, Rep.scenario_id, Rep.scenario_version,
           Rep.state, User.name)
    .join(User, User.id == Rep.user_id)
    .where(Rep.id == bindparam("rep_id"))
    .with_for_update(of=Rep)
)
_REP_FOR_REPLY = (
    select(Rep.conversation_id, Rep.org_id, Rep.outcome).where(Rep.id == bindparam("rep_id")).with_for_update()
)
_LAST_INDEX = select(func.max(TurnRow.turn_index)).where(TurnRow.conversation_id == bindparam("cid"))
_INSERT_TURN = insert(TurnRow)
_UPDATE_REP = update(Rep).where(Rep.id == bindparam("rep_key"))
#: the learner's first line: the participant row learns when they joined (once per rep)
_LEARNER_JOINED = (
    update(ParticipantRow)
    .where(ParticipantRow.conversation_id == bindparam("cid"), ParticipantRow.role == "learner",
           ParticipantRow.first_turn.is_(None))
    .values(first_turn=bindparam("index"))
)
_CONVERSATION_ENDED = update(ConversationRow).where(ConversationRow.id == bindparam("cid"))
_INSERT_USAGE = insert(UsageRow)


@dataclass(frozen=True)
class TurnContext:
    """What the persona needs to answer a learner turn, read in the transaction that stored the turn."""

    rep_id: int
    org_id: int
    scenario_id: str
    scenario_version: str
    state: PersonaState
    #: every turn of the rep, the new learner turn last
    turns: list[Turn]

    @property
    def learner_turn(self) -> Turn:
        return self.turns[-1]


@dataclass(frozen=True)
class SavedTurn:
    """The raw rows ``save_learner_turn`` read; ``context()`` builds the records once the transaction is over."""

    rep_id: int
    org_id: int
    scenario_id: str
    scenario_version: str
    state: dict[str, Any]
    rows: Sequence[Any]
    learner: dict[str, Any]

    def context(self) -> TurnContext:
        turns = [Turn(index=i, speaker=sp, role=r, text=t, start=a, end=b) for i, sp, r, t, a, b in self.rows]
        turns.append(Turn(index=self.learner["turn_index"], speaker=self.learner["speaker"], role="learner",
                          text=self.learner["text"]))
        return TurnContext(rep_id=self.rep_id, org_id=self.org_id, scenario_id=self.scenario_id,
                           scenario_version=self.scenario_version, state=PersonaState.model_validate(self.state),
                           turns=turns)


def save_learner_turn(s: Session, rep_id: int, text: str, owner_id: int | None = None) -> SavedTurn:
    """Lock the rep, check it can take a learner turn, and add the turn (the caller's transaction commits it).
    ``owner_id``: the rep must belong to this user (otherwise it is reported as unknown)."""
    conn = s.connection()
    row = conn.execute(_REP_FOR_TURN, {"rep_id": rep_id}).first()
    if row is None or (owner_id is not None and row.user_id != owner_id):
        raise NotFound(f"unknown rep {rep_id}")
    if row.outcome != "in_progress":
        raise Conflict(f"rep {rep_id} has ended ({row.outcome})")
    rows = conn.execute(_TURNS, {"cid": row.conversation_id}).all()
    last = rows[-1] if rows else None
    if last is not None and last.role == "learner":
        raise Conflict(f"rep {rep_id} is still waiting for the reply to turn {last.turn_index}; resume it first")
    learner = {"conversation_id": row.conversation_id, "turn_index": last.turn_index + 1 if last else 0,
               "speaker": row.name or "Learner", "role": "learner", "text": text}
    conn.execute(_INSERT_TURN, learner)
    if not any(r.role == "learner" for r in rows):
        conn.execute(_LEARNER_JOINED, {"cid": row.conversation_id, "index": learner["turn_index"]})
    return SavedTurn(rep_id=rep_id, org_id=row.org_id, scenario_id=row.scenario_id,
                     scenario_version=row.scenario_version, state=row.state, rows=rows, learner=learner)


def save_reply(s: Session, rep_id: int, learner_index: int, speaker: str, reply: PersonaReply) -> Outcome:
    """Store the persona's reply (turn ``learner_index + 1``) with the new state; return the rep's outcome.
    Conflict when the rep changed while the reply was computed (ended, or another turn came in)."""
    state = reply.state
    snapshot = state.model_dump(mode="json")
    values: dict[str, Any] = {"rep_key": rep_id, "state": snapshot, "engine": reply.engine,
                              "updated_at": datetime.now(UTC)}
    outcome: Outcome = "in_progress"
    if state.ended or state.outcome != "in_progress":
        outcome = state.outcome if state.outcome != "in_progress" else "incomplete"
        values.update(outcome=outcome, ended_reason=state.reason or outcome)
    conn = s.connection()
    row = conn.execute(_REP_FOR_REPLY, {"rep_id": rep_id}).first()
    if row is None:
        raise NotFound(f"unknown rep {rep_id}")
    last = conn.execute(_LAST_INDEX, {"cid": row.conversation_id}).scalar()
    if last != learner_index or row.outcome != "in_progress":
        raise Conflict(f"rep {rep_id} changed while the reply was computed; reload it")
    # the state after this line travels with the line: "retry from a turn" restores it without the engine
    conn.execute(_INSERT_TURN, {"conversation_id": row.conversation_id, "turn_index": learner_index + 1,
                                "speaker": speaker, "role": "counterpart", "text": reply.text,
                                "persona_state": snapshot})
    conn.execute(_UPDATE_REP, values)
    if outcome != "in_progress":  # the conversation ends with the rep
        conn.execute(_CONVERSATION_ENDED, {"cid": row.conversation_id, "ended_at": values["updated_at"]})
        rep_rollup.refresh(conn, [row.conversation_id])  # its length is known now
    usage = reply.usage  # LLM engines report tokens; the embedded engine does not
    if usage is not None and (usage.input_tokens or usage.output_tokens):
        conn.execute(_INSERT_USAGE, {"conversation_id": row.conversation_id, "org_id": row.org_id,
                                     "purpose": "persona",
                                     "engine": reply.engine, "input_tokens": usage.input_tokens,
                                     "output_tokens": usage.output_tokens, "cost_usd": usage.cost_usd})
    return outcome
