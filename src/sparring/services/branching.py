"""Retry from turn k: the persona state the learner met at turn k, and the new rep that starts there.

Every persona (counterpart) turn stores the PersonaState right after it was said (``turns.persona_state``,
written by the same statement as the line; migration 0004). Branching at turn k restores the snapshot of the last
persona turn before k (the opening turn included), so it costs no engine call, and with an LLM persona the new
rep starts from exactly the state the learner met, not a fresh and possibly different rerun. Reps stored before
that migration have no snapshots: for them (only) the state is rebuilt by replaying the learner's turns through
the persona engine, one call per learner turn, as before.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation, Turn
from sparring.persona.base import PersonaEngine, PersonaState
from sparring.services.conversation_store import Owner, new_conversation, participants_of
from sparring.services.errors import EngineFailed
from sparring.services.records import RepRecord
from sparring.store.db import Database
from sparring.store.models import ConversationRow, Rep, TurnRow

log = logging.getLogger(__name__)


def stored_snapshots(db: Database, rep_id: int, k: int) -> dict[int, dict[str, Any]]:
    """The state snapshots stored with the rep's turns before ``k``, by turn index (turns without one left out)."""
    query = select(TurnRow.turn_index, TurnRow.persona_state).join(
        Rep, Rep.conversation_id == TurnRow.conversation_id
    ).where(Rep.id == rep_id, TurnRow.turn_index < k, TurnRow.role == "counterpart")
    with db.read() as s:
        return {index: state for index, state in s.execute(query) if state is not None}


def snapshot_state(kept: list[Turn], snapshots: dict[int, dict[str, Any]], rep_id: int) -> PersonaState | None:
    """The state after the last persona turn of ``kept``, from its snapshot; None when there is none to use
    (no snapshot stored, a learner turn after it, or a snapshot the current model cannot read)."""
    last = next((t for t in reversed(kept) if t.role in ("counterpart", "learner")), None)
    if last is None or last.role != "counterpart" or last.index not in snapshots:
        return None
    try:
        return PersonaState.model_validate(snapshots[last.index])
    except ValidationError as exc:
        log.warning("rep %s turn %s: stored persona state does not fit the current model (%s); replaying",
                    rep_id, last.index, exc)
        return None


def replayed_state(persona: PersonaEngine, scenario: Scenario, difficulty: str, kept: list[Turn],
                   rep_id: int) -> PersonaState:
    """The fallback for reps stored without snapshots: open the scenario and answer every kept learner turn."""
    try:
        state = persona.open(scenario, difficulty).state  # type: ignore[arg-type]
        for i, t in enumerate(kept):
            if t.role == "learner":
                state = persona.reply(scenario, state, Conversation(turns=kept[: i + 1])).state
    except Exception as exc:
        raise EngineFailed(f"the persona engine failed while replaying rep {rep_id}: {exc}") from exc
    return state


def store_branch(db: Database, src: RepRecord, k: int, kept: list[Turn], state: PersonaState,
                 snapshots: dict[int, dict[str, Any]]) -> int:
    """Store the new rep (state ``state``, turns ``kept`` copied with their snapshots; its last persona turn
    carries ``state``, so a branch of this branch needs no engine either); return its id."""
    start = state.model_dump(mode="json")
    last_persona = max((t.index for t in kept if t.role == "counterpart"), default=None)
    with db.session() as s:
        source = s.get(ConversationRow, src.conversation_id)
        owner = Owner(src.user_id, src.org_id, src.team_id)  # the branch belongs where its source did
        learner = [(p.name, p.role) for p in participants_of(src.turns, src.user_id) if p.role == "learner"]
        conversation = new_conversation(
            s, owner, source.source if source else "practice", source.title if source else src.scenario_id,
            rubric=(src.rubric_id, src.rubric_version), private=src.private, started_at=datetime.now(UTC),
            participants=participants_of(kept, src.user_id, learner),
        )
        rep = Rep(
            conversation_id=conversation.id,
            user_id=owner.user_id,
            org_id=owner.org_id,
            team_id=owner.team_id,
            scenario_id=src.scenario_id,
            scenario_version=src.scenario_version,
            rubric_id=src.rubric_id,
            rubric_version=src.rubric_version,
            difficulty=src.difficulty,
            engine=src.engine,
            state=start,
            outcome="in_progress",
            parent_rep_id=src.id,
            branched_from_turn=k,
            created_at=conversation.created_at,
            private=conversation.private,  # the roll-up's copy (store.rep_rollup)
        )
        s.add(rep)
        s.flush()
        rows = []
        for t in kept:
            row = TurnRow(conversation_id=conversation.id, turn_index=t.index, speaker=t.speaker, role=t.role,
                          text=t.text, start_s=t.start, end_s=t.end)
            snapshot = start if t.index == last_persona else snapshots.get(t.index)
            if snapshot is not None:  # never a JSON 'null': "no snapshot" is SQL NULL
                row.persona_state = snapshot
            rows.append(row)
        s.add_all(rows)
        return rep.id
