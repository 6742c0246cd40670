"""Shared helpers for persona tests that read acts with an explicit double: swap the act reader for the length of
a test, and play a few learner lines through the embedded engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation
from sparring.persona.base import PersonaState
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.persona.listen import Reader, set_reader

ENGINE = EmbeddedPersonaEngine()


@contextmanager
def reading_with(reader: Reader) -> Iterator[None]:
    """The persona reads acts with ``reader`` inside the block, with the act model again after it."""
    set_reader(reader)
    try:
        yield
    finally:
        set_reader(None)


def play(sc: Scenario, difficulty: str, *lines: str) -> tuple[list[str], PersonaState]:
    """Open a rep and say ``lines``: the persona's replies and its final state."""
    opening = ENGINE.open(sc, difficulty)  # type: ignore[arg-type]
    conv, state, said = Conversation(), opening.state, []
    conv.add(sc.persona.name, "counterpart", opening.text)
    for line in lines:
        conv.add("Learner", "learner", line)
        reply = ENGINE.reply(sc, state, conv)
        conv.add(sc.persona.name, "counterpart", reply.text)
        state = reply.state
        said.append(reply.text)
    return said, state
