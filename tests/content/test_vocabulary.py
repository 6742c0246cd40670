"""The learner-move vocabulary of content: acts, derived events, and the old names as aliases."""

from __future__ import annotations

import pytest

from sparring.content.errors import ContentError
from sparring.content.loader import parse_model
from sparring.content.scenario import MOVES, Scenario
from sparring.content.vocabulary import ALIASES, DERIVED, expand, expand_all
from sparring.nlp.acts import ACT_NAMES


def test_every_act_derived_event_and_alias_is_a_move_name() -> None:
    assert set(ACT_NAMES) | set(DERIVED) | set(ALIASES) == set(MOVES)
    for alias, acts in ALIASES.items():
        assert acts and set(acts) <= set(ACT_NAMES), alias


def test_aliases_stand_for_their_acts_and_acts_for_themselves() -> None:
    assert expand("open-question") == {"question_open", "question_clarifying"}
    assert expand("reflect") == {"reflect_simple", "reflect_complex", "summarise"}
    assert expand("next-step") == {"next_step_proposal", "next_step_accept"}
    assert expand("tradeoff_offer") == {"tradeoff_offer"}
    assert expand("monologue") == {"monologue"}
    assert expand_all(["trade-off", "advise"]) == {"tradeoff_offer", "advice"}


_BASE = """
id: vocab
title: Vocabulary check
domain: sales
skills: [x]
rubric: sales-objection-handling
brief: A buyer says the price is too high; find out why.
objectives: [Find out why]
persona: {name: Pat, role: Buyer, personality: blunt}
opening_lines: ["Hello."]
state: {trust: 0.5}
objections:
  - id: price
    lines: ["Too expensive."]
    eased_by: [EASED]
success: {description: done, when: {learner_move: [next_step_proposal, ask-commitment]}}
"""


@pytest.mark.parametrize("eased", ["reflect_complex", "reflect", "tradeoff_offer, quantified-value", "low-effort"])
def test_content_accepts_act_names_and_aliases(eased: str) -> None:
    sc = parse_model(_BASE.replace("EASED", eased), Scenario, "vocab.yaml")
    assert sc.objections[0].eased_by


def test_an_unknown_move_is_refused_naming_the_field() -> None:
    with pytest.raises(ContentError) as err:
        parse_model(_BASE.replace("EASED", "reflekt"), Scenario, "vocab.yaml")
    assert "eased_by" in str(err.value) and "reflekt" in str(err.value)
