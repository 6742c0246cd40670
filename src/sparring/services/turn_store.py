"""The database side of one practice turn, in a few plain statements.

A turn is the hot path of the web app (100 learners offer ~50 turns/s; docs/benchmarks.md, "Web load"), so it
reads and writes only the columns it needs with Core statements instead of loading ORM objects: the first
transaction locks the rep, reads its state and turns and stores the learner's line (committed before the persona
runs, ARCHITECTURE §1.5); the second locks the rep again, checks nothing changed meanwhile, and stores the reply,
the new state and any LLM usage. Rules and error messages are those of ``PracticeService``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from sparring.conversation.model import Turn
from sparring.persona.base import Outcome, PersonaReply, PersonaState
from sparring.services.errors import Conflict, NotFound
from sparring.store.models import Rep, TurnRow, UsageRow, User

_TURN_COLUMNS = (TurnRow.turn_index, TurnRow.speaker, TurnRow.role, TurnRow.text, TurnRow.start_s, TurnRow.end_s)


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


def read_turns(s: Session, rep_id: int) -> list[Turn]:
    rows = s.execute(select(*_TURN_COLUMNS).where(TurnRow.rep_id == rep_id).order_by(TurnRow.turn_index))
    return [Turn(index=i, speaker=sp, role=r, text=t, start=a, end=b) for i, sp, r, t, a, b in rows]


def save_learner_turn(s: Session, rep_id: int, text: str, owner_id: int | None = None) -> TurnContext:
    """Lock the rep, check it can take a learner turn, and add the turn (the caller's transaction commits it).
    ``owner_id``: the rep must belong to this user (otherwise it is reported as unknown)."""
    row = s.execute(
        select(Rep.user_id, Rep.org_id, Rep.outcome, Rep.scenario_id, Rep.scenario_version, Rep.state)
        .where(Rep.id == rep_id)
        .with_for_update()
    ).first()
    if row is None or (owner_id is not None and row.user_id != owner_id):
        raise NotFound(f"unknown rep {rep_id}")
    if row.outcome != "in_progress":
        raise Conflict(f"rep {rep_id} has ended ({row.outcome})")
    turns = read_turns(s, rep_id)
    last = turns[-1] if turns else None
    if last is not None and last.role == "learner":
        raise Conflict(f"rep {rep_id} is still waiting for the reply to turn {last.index}; resume it first")
    name = s.scalar(select(User.name).where(User.id == row.user_id))
    turn = Turn(index=last.index + 1 if last else 0, speaker=name or "Learner", role="learner", text=text)
    s.execute(insert(TurnRow).values(rep_id=rep_id, turn_index=turn.index, speaker=turn.speaker, role=turn.role,
                                     text=turn.text))
    return TurnContext(
        rep_id=rep_id,
        org_id=row.org_id,
        scenario_id=row.scenario_id,
        scenario_version=row.scenario_version,
        state=PersonaState.model_validate(row.state),
        turns=[*turns, turn],
    )


def save_reply(s: Session, rep_id: int, learner_index: int, speaker: str, reply: PersonaReply) -> tuple[Turn, Outcome]:
    """Store the persona's reply to turn ``learner_index`` with the new state; (the reply turn, the outcome).
    Conflict when the rep changed while the reply was computed (ended, or another turn came in)."""
    row = s.execute(select(Rep.org_id, Rep.outcome).where(Rep.id == rep_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"unknown rep {rep_id}")
    last = s.scalar(select(func.max(TurnRow.turn_index)).where(TurnRow.rep_id == rep_id))
    if last != learner_index or row.outcome != "in_progress":
        raise Conflict(f"rep {rep_id} changed while the reply was computed; reload it")
    turn = Turn(index=learner_index + 1, speaker=speaker, role="counterpart", text=reply.text)
    s.execute(insert(TurnRow).values(rep_id=rep_id, turn_index=turn.index, speaker=turn.speaker, role=turn.role,
                                     text=turn.text))
    state = reply.state
    now = datetime.now(UTC)
    values: dict[str, object] = {"state": state.model_dump(mode="json"), "engine": reply.engine, "updated_at": now}
    outcome: Outcome = "in_progress"
    if state.ended or state.outcome != "in_progress":
        outcome = state.outcome if state.outcome != "in_progress" else "incomplete"
        values.update(outcome=outcome, ended_reason=state.reason or outcome, ended_at=now)
    s.execute(update(Rep).where(Rep.id == rep_id).values(**values))
    usage = reply.usage  # LLM engines report tokens; the embedded engine does not
    if usage is not None and (usage.input_tokens or usage.output_tokens):
        s.execute(insert(UsageRow).values(rep_id=rep_id, org_id=row.org_id, purpose="persona", engine=reply.engine,
                                          input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                                          cost_usd=usage.cost_usd))
    return turn, outcome
