"""Doubles of the act reader (``sparring.nlp.act_model.read_acts``) for tests of scorers, persona engines and
anything else that reads utterance acts (docs/acts.md):

- ``reading(text, *acts)`` / ``reader(table)``: chosen acts for chosen lines, the rule clause parse for subject
  and negation; lines not listed read as ``other``;
- ``reading_with(reader)``: the embedded persona reads acts with a double inside a ``with`` block;
- ``play(scenario, difficulty, *lines)``: say lines to the embedded persona engine, its replies and final state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from sparring.content.scenario import Difficulty, Scenario
from sparring.conversation.model import Conversation
from sparring.nlp.acts import ACT_NAMES
from sparring.persona.base import PersonaState
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.persona.listen import Reader, set_reader
from sparring.scoring.act_reading import RuleReading, rule_clauses, rule_numbers

#: the shape of ``sparring.nlp.act_model.read_acts``: texts (and their contexts) in, one reading each out
ReadActs = Callable[[Sequence[str], Sequence[str] | None], list[RuleReading]]


def reading(text: str, *acts: str) -> RuleReading:
    """How the act model would read ``text`` if it were sure of ``acts`` (``other`` when none are given)."""
    chosen = frozenset(acts or ("other",))
    probs = {a: (0.97 if a in chosen else 0.02) for a in ACT_NAMES}
    return RuleReading(text, chosen, probs, rule_clauses(text), rule_numbers(text))


def reader(table: Mapping[str, Sequence[str]]) -> ReadActs:
    """A ``read_acts`` that gives each text the acts ``table`` lists for the longest key it contains."""

    def read(texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[RuleReading]:
        out = []
        for t in texts:
            keys = [k for k in table if k in t]
            out.append(reading(t, *table[max(keys, key=len)]) if keys else reading(t))
        return out

    return read


#: the embedded persona engine ``play`` talks to
ENGINE = EmbeddedPersonaEngine()


@contextmanager
def reading_with(reader: Reader) -> Iterator[None]:
    """The persona reads acts with ``reader`` inside the block, with the act model again after it."""
    set_reader(reader)
    try:
        yield
    finally:
        set_reader(None)


def play(sc: Scenario, difficulty: Difficulty, *lines: str) -> tuple[list[str], PersonaState]:
    """Open a rep and say ``lines``: the persona's replies and its final state."""
    opening = ENGINE.open(sc, difficulty)
    conv, state, said = Conversation(), opening.state, []
    conv.add(sc.persona.name, "counterpart", opening.text)
    for line in lines:
        conv.add("Learner", "learner", line)
        reply = ENGINE.reply(sc, state, conv)
        conv.add(sc.persona.name, "counterpart", reply.text)
        state = reply.state
        said.append(reply.text)
    return said, state
