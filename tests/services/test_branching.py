"""Retry from a turn restores the persona state stored with the turns (no engine call); reps stored without
snapshots (before migration 0004) still branch by replaying. SQLite and PostgreSQL, fake engines."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation
from sparring.persona.base import PersonaReply, PersonaState
from sparring.services.errors import Conflict
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Rep, TurnRow
from sparring.testing.fakes import FakePersona

SCENARIO = "test-guarded-buyer"


class CountingPersona(FakePersona):
    """The fake persona, counting every engine call (``calls`` counts replies)."""

    def __init__(self) -> None:
        super().__init__()
        self.opens = 0

    def open(self, scenario: Scenario, difficulty: str) -> PersonaReply:
        self.opens += 1
        return super().open(scenario, difficulty)

    def reply(self, scenario: Scenario, state: PersonaState, conversation: Conversation) -> PersonaReply:
        reply = super().reply(scenario, state, conversation)
        reply.state.extra["seen"] = len(conversation.turns)  # makes every snapshot distinct
        return reply


@pytest.fixture
def persona() -> CountingPersona:
    return CountingPersona()


def _conversation(rep_id: int) -> Any:
    """The conversation id of a rep, as a subquery (turns hang from the conversation)."""
    return select(Rep.conversation_id).where(Rep.id == rep_id).scalar_subquery()


def _snapshots(db: Database, rep_id: int) -> dict[int, Any]:
    with db.read() as s:
        rows = s.execute(select(TurnRow.turn_index, TurnRow.persona_state)
                         .where(TurnRow.conversation_id == _conversation(rep_id)))
        return {index: state for index, state in rows}


def _play(practice: PracticeService, learner: UserRecord, private: bool = False) -> int:
    rep = practice.start_rep(learner, SCENARIO, private=private)
    practice.submit_turn(rep.id, "What slows you down?")
    practice.submit_turn(rep.id, "We are the best, honestly.")
    practice.submit_turn(rep.id, "Who else is involved?")
    return rep.id


def test_every_persona_turn_stores_the_state_after_it(practice: PracticeService, learner: UserRecord) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    result = practice.submit_turn(rep.id, "What slows you down?")
    snaps = _snapshots(practice.db, rep.id)
    assert snaps[0] == rep.state.model_dump(mode="json")  # the opening turn: the state after `open`
    assert snaps[1] is None  # learner turns carry none
    assert snaps[2] == result.state.model_dump(mode="json") == practice.get_rep(rep.id).state.model_dump(mode="json")


def test_branch_restores_the_snapshot_without_calling_the_engine(
    practice: PracticeService, learner: UserRecord, persona: CountingPersona
) -> None:
    rep_id = _play(practice, learner, private=True)
    src = practice.get_rep(rep_id)
    stored = _snapshots(practice.db, rep_id)
    calls, opens = persona.calls, persona.opens
    branch = practice.branch_rep(rep_id, 5)  # retry the third learner line
    assert (persona.calls, persona.opens) == (calls, opens)  # zero engine calls
    snapshot = PersonaState.model_validate(stored[4])
    assert branch.state.model_dump(exclude={"used_lines"}) == snapshot.model_dump(exclude={"used_lines"})
    assert branch.state.extra["seen"] == 4 and branch.state.learner_turns == 2
    said = [t.text for t in src.turns[:5] if t.role == "counterpart"]
    assert branch.state.used_lines == list(dict.fromkeys([*snapshot.used_lines, *said]))
    # unchanged behaviour: copied turns, private flag, parent and branch fields
    assert [(t.index, t.role, t.speaker, t.text) for t in branch.turns] == [
        (t.index, t.role, t.speaker, t.text) for t in src.turns[:5]
    ]
    assert branch.private and branch.parent_rep_id == rep_id and branch.branched_from_turn == 5
    # copied turns keep their snapshots; the last persona turn holds the branch's starting state
    copied = _snapshots(practice.db, branch.id)
    assert copied[0] == stored[0] and copied[2] == stored[2] and copied[1] is None and copied[3] is None
    assert copied[4] == branch.state.model_dump(mode="json")
    # the branch plays on from there, and a branch of the branch needs no engine either
    r = practice.submit_turn(branch.id, "What would fixing it be worth?")
    assert r.learner_turn.index == 5 and r.state.learner_turns == 3
    calls = persona.calls
    again = practice.branch_rep(branch.id, 5)
    assert persona.calls == calls and again.state.learner_turns == 2 and again.parent_rep_id == branch.id


def test_branch_at_the_opening_line_restores_the_opening_state(
    practice: PracticeService, learner: UserRecord, persona: CountingPersona
) -> None:
    rep_id = _play(practice, learner)
    calls, opens = persona.calls, persona.opens
    branch = practice.branch_rep(rep_id, 1)
    assert (persona.calls, persona.opens) == (calls, opens)
    assert branch.state.learner_turns == 0 and branch.state.values == {"trust": 0.4, "patience": 0.7}
    assert [t.index for t in branch.turns] == [0]


def test_a_rep_stored_without_snapshots_still_branches_by_replay(
    practice: PracticeService, learner: UserRecord, persona: CountingPersona
) -> None:
    rep_id = _play(practice, learner)
    from_snapshot = practice.branch_rep(rep_id, 5)
    with practice.db.session() as s:  # what a rep stored before migration 0004 looks like
        s.execute(update(TurnRow).where(TurnRow.conversation_id == _conversation(rep_id)).values(persona_state=None))
    assert all(v is None for v in _snapshots(practice.db, rep_id).values())
    calls, opens = persona.calls, persona.opens
    replayed = practice.branch_rep(rep_id, 5)
    assert (persona.calls - calls, persona.opens - opens) == (2, 1)  # one reply per kept learner turn
    assert replayed.state == from_snapshot.state  # the fake engine is deterministic: same state either way
    assert replayed.turns == from_snapshot.turns and replayed.parent_rep_id == rep_id
    # the replayed branch stores its starting state with its last persona turn: branching it there needs no
    # engine; earlier turns of it have no snapshot and replay
    calls = persona.calls
    assert practice.branch_rep(replayed.id, 5).state == replayed.state
    assert persona.calls == calls
    practice.branch_rep(replayed.id, 3)
    assert persona.calls == calls + 1


def test_branch_after_the_rep_ended_is_refused_from_the_snapshot(
    practice: PracticeService, learner: UserRecord, persona: CountingPersona
) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "Which lanes hurt most?")
    done = practice.submit_turn(rep.id, "Shall we make it a deal: Thursday at 2?")
    assert done.ended
    calls = persona.calls
    with pytest.raises(Conflict, match="already ended by turn 5"):
        practice.branch_rep(rep.id, 5)
    assert persona.calls == calls
    assert practice.branch_rep(rep.id, 3).state.learner_turns == 1


def test_a_snapshot_the_model_cannot_read_falls_back_to_replay(
    practice: PracticeService, learner: UserRecord, persona: CountingPersona
) -> None:
    rep_id = _play(practice, learner)
    with practice.db.session() as s:
        s.execute(update(TurnRow).where(TurnRow.conversation_id == _conversation(rep_id), TurnRow.turn_index == 2)
                  .values(persona_state={"learner_turns": "not a number"}))
    calls = persona.calls
    branch = practice.branch_rep(rep_id, 3)
    assert persona.calls == calls + 1 and branch.state.learner_turns == 1
    with practice.db.read() as s:
        assert s.scalar(select(Rep.parent_rep_id).where(Rep.id == branch.id)) == rep_id

