"""The persona engine interface. The embedded engine and the LLM engine implement it.

An engine is stateless: everything it needs between turns lives in ``PersonaState``, which the service
layer stores (as JSON) with the rep after every turn, so a rep can be resumed after a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from sparring.content.scenario import Difficulty, Scenario
from sparring.conversation.model import Conversation
from sparring.kernel.usage import Usage

Outcome = Literal["in_progress", "success", "failure", "incomplete"]


class PersonaState(BaseModel):
    scenario_id: str
    difficulty: Difficulty = "medium"
    values: dict[str, float] = Field(default_factory=dict, description="hidden state, 0..1")
    learner_turns: int = 0
    raised: list[str] = Field(default_factory=list, description="objection ids raised, in order")
    eased: list[str] = Field(default_factory=list, description="objection ids eased")
    used_lines: list[str] = Field(default_factory=list, description="persona lines said (never repeated)")
    moves: list[list[str]] = Field(default_factory=list, description="classified moves of each learner turn")
    outcome: Outcome = "in_progress"
    ended: bool = False
    reason: str | None = Field(default=None, description="why the rep ended")
    extra: dict[str, Any] = Field(default_factory=dict, description="engine-private data")


class PersonaReply(BaseModel):
    text: str
    state: PersonaState
    moves: list[str] = Field(default_factory=list, description="moves found in the learner's last turn")
    engine: str = "embedded"
    fallback_reason: str | None = None
    #: LLM engines: tokens and estimated cost of this reply (None for the embedded engine)
    usage: Usage | None = None
    #: LLM engines: guard rules that replaced or cut the model's text (e.g. "reveals-hidden-state")
    guarded: list[str] = Field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.state.ended


class PersonaEngineError(ValueError):
    """The engine was called with a state or conversation it cannot answer."""


def check_can_reply(scenario: Scenario, state: PersonaState, conversation: Conversation) -> None:
    """What every engine requires before answering: the state is this scenario's, the rep has not ended, and the
    conversation ends with the learner's turn."""
    if state.scenario_id != scenario.id:
        raise PersonaEngineError(f"state belongs to scenario '{state.scenario_id}', not '{scenario.id}'")
    if state.ended:
        raise PersonaEngineError(f"this rep has already ended ({state.outcome}: {state.reason})")
    if not conversation.turns or conversation.turns[-1].role != "learner":
        raise PersonaEngineError("the last turn of the conversation must be the learner's")


class PersonaEngine(Protocol):
    name: str

    def open(self, scenario: Scenario, difficulty: Difficulty) -> PersonaReply:
        """The persona's opening line and the starting state."""
        ...

    def reply(self, scenario: Scenario, state: PersonaState, conversation: Conversation) -> PersonaReply:
        """Answer the learner's last turn (the last turn of ``conversation``)."""
        ...


def streams_text(engine: PersonaEngine) -> bool:
    """Whether ``engine`` produces its reply over time (an LLM), so a UI should show text as it comes. The
    embedded engine answers in milliseconds and does not."""
    return bool(getattr(engine, "streams_text", False))


def stream_reply(
    engine: PersonaEngine, scenario: Scenario, state: PersonaState, conversation: Conversation
) -> Iterator[str | PersonaReply]:
    """Text chunks as ``engine`` produces them, then its final :class:`PersonaReply`, whose ``text`` is
    authoritative (a guard may have cut or replaced what was streamed). An engine without ``stream_reply``
    gives its whole reply as one chunk."""
    streaming = getattr(engine, "stream_reply", None)
    if callable(streaming):
        yield from streaming(scenario, state, conversation)
        return
    reply = engine.reply(scenario, state, conversation)
    yield reply.text
    yield reply
