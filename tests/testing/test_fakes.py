"""The documented behaviour of the public fakes (docs/testing.md), which plugin authors' tests rely on."""

from __future__ import annotations

import pytest

from sparring.content.library import builtin_rubric, builtin_scenario
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation
from sparring.testing.fakes import FakeClock, FakePersona, FakeScorer

SCENARIO = "cs-renewal-discount"


def load_scenario(scenario_id: str) -> Scenario:
    sc = builtin_scenario(scenario_id)
    assert sc is not None
    return sc


def load_rubric(rubric_id: str) -> Rubric:
    rubric = builtin_rubric(rubric_id)
    assert rubric is not None
    return rubric


def _say(persona: FakePersona, *lines: str) -> tuple[list[str], object]:
    sc = load_scenario(SCENARIO)
    opening = persona.open(sc, "easy")
    conv, state, said = Conversation(), opening.state, []
    conv.add(sc.persona.name, "counterpart", opening.text)
    for line in lines:
        conv.add("Learner", "learner", line)
        reply = persona.reply(sc, state, conv)
        conv.add(sc.persona.name, "counterpart", reply.text)
        state, said = reply.state, [*said, reply.text]
    return said, state


def test_the_fake_persona_answers_and_ends_on_its_keywords() -> None:
    said, state = _say(FakePersona(), "What matters most?")
    assert said == ["Reply 1: you said 'What matters most?'"] and not state.ended  # type: ignore[attr-defined]
    said, state = _say(FakePersona(), "Shall we call it a deal?")
    assert state.ended and state.outcome == "success"  # type: ignore[attr-defined]
    said, state = _say(FakePersona(), "ok bye")
    assert state.ended and state.outcome == "failure"  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="engine exploded"):
        _say(FakePersona(), "crash now")


def test_the_fake_scorer_meets_criteria_on_questions_and_hits_blockers_on_discount() -> None:
    rubric = load_rubric(load_scenario(SCENARIO).rubric)
    conv = Conversation()
    conv.add("Learner", "learner", "What would a good outcome be?")
    card = FakeScorer().score(conv, rubric)
    assert card.overall == 100 and not card.blockers
    conv.add("Learner", "learner", "I can offer a discount.")
    card = FakeScorer().score(conv, rubric)
    blockers = [c.id for c in rubric.criteria if c.kind == "blocker"]
    assert blockers and card.blockers == blockers and not card.passed


def test_the_fake_clock_moves_only_by_hand() -> None:
    clock = FakeClock(100.0)
    assert clock() == 100.0
    clock.now += 61
    assert clock() == 161.0
