"""A concrete offer made before the persona is ready gets an answer about *that* offer, in the learner's own terms,
and what is still missing — never a bare "Not yet." (issue 11: the live players' most common complaint). The lines
below are written for this test in several voices (formal, blunt, hedging, warm), not taken from any corpus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sparring.content.loader import parse_model
from sparring.content.scenario import Scenario
from sparring.nlp.act_model import ActReading, Clause
from sparring.nlp.clauses import numbers
from sparring.persona.memory import terms
from sparring.persona.offers import learner_terms
from sparring.persona.reply import BUILTIN
from sparring.testing.acts import play, reading_with

SCENARIO = """
id: offers
title: A scenario for offers made too early
domain: management
skills: [objection-handling]
rubric: sales-objection-handling
brief: Your head of support resists moving the team to the new ticketing system this quarter.
objectives: [Agree a switch-over plan]
persona: {name: Ines Duarte, role: Head of Support, company: Larkfield, personality: careful}
opening_lines: ["I've read your note about the new system."]
state: {trust: 0.5, patience: 0.8}
objections:
  - id: risk
    lines: ["If the switch goes wrong, it's my team the customers shout at.",
            "My worry is simple: if it breaks, my people take the calls."]
    eased_by: [tradeoff_offer, state_impact, reflect_complex]
    eased_lines: ["Okay. With a way back, I can live with the risk."]
    pressing_lines: ["I still need a way back if it fails."]
  - id: training
    raised_when: {turn_at_least: 6}
    lines: ["And who trains the night shift? They never get the sessions."]
    eased_by: [tradeoff_offer, question_open]
    eased_lines: ["If the night shift gets its own session, fine."]
    pressing_lines: ["The night shift still has nobody."]
beats:
  - {situation: react:premature-close, lines: ["Agree to what? You haven't given me anything."]}
  - {situation: neutral, lines: ["Hm."]}
success:
  description: agreed a plan
  when: {objections_eased: true, learner_move: [next-step]}
success_lines: ["Good. Let's do it."]
difficulty:
  easy: {}
  medium: {}
  hard: {ease_hits: 2}
max_turns: 12
"""

#: line -> acts
LINES: dict[str, frozenset[str]] = {
    # formal, non-native: a next step that does not touch the open worry
    "I propose we meet again on Thursday to sign the order. Is it acceptable for you?":
        frozenset({"next_step_proposal", "commitment_ask"}),
    # blunt: same, with no term at all
    "Let's just book the go-live and get it signed.": frozenset({"next_step_proposal", "commitment_ask"}),
    # hedging: half an answer to the worry (an impact, not a trade) with a close
    "Rolling back would take maybe ten minutes, so nobody is stuck. Could we go live on Monday?":
        frozenset({"state_impact", "next_step_proposal", "commitment_ask"}),
    # warm: a real trade that settles the worry
    "I get it, your team carries it. If we keep the old system running for a month, would that cover you?":
        frozenset({"tradeoff_offer"}),
    # then a close with a date, before the persona has said everything on its mind
    "Brilliant. Then let's sign it off on the 28th.": frozenset({"next_step_proposal", "commitment_ask"}),
}


def _reader(text: str, context: str) -> ActReading:
    acts = LINES.get(text, frozenset({"other"}))
    return ActReading(text=text, acts=acts, probs=dict.fromkeys(acts, 1.0),
                      clauses=(Clause(text, "we", False, text.endswith("?")),), numbers=numbers(text))


@pytest.fixture(autouse=True)
def _double() -> Iterator[None]:
    with reading_with(_reader):
        yield


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return parse_model(SCENARIO, Scenario, "offers.yaml")


STALLS = set(BUILTIN["react:not-yet"])


def _terms_named(line: str) -> set[str]:
    return {t for kind in ("day", "date", "duration") for t in terms(line).get(kind, [])}


@pytest.mark.parametrize(("text", "expected"), [
    ("Can we meet Thursday and review it on the 15th?", "Thursday and the 15th"),
    ("What if we run a 3-week pilot in eight stores first?", "a 3-week pilot"),
    ("Sign a two-year term and I'll hold the price flat.", "a two-year term"),
    ("We could do an 18-month deal, no increase.", "an 18-month deal"),
    ("Would Tuesday or Wednesday suit him better?", "Tuesday"),
    ("The trial cut empty miles 9%, that's $126k a year on your fuel.", None),  # figures are never restated
    ("Let's talk next week.", "next week"),
])
def test_the_learners_own_terms_are_what_gets_restated(text: str, expected: str | None) -> None:
    assert learner_terms(text) == expected


def test_an_offer_beside_the_open_concern_is_noted_and_the_concern_restated(sc: Scenario) -> None:
    line = "I propose we meet again on Thursday to sign the order. Is it acceptable for you?"
    said, state = play(sc, "medium", line)
    assert state.outcome != "success"
    assert state.extra["situations"][-1][:2] == ["react:offer-aside", "press:risk"]
    assert said[0] not in STALLS and not any(said[0].startswith(s) for s in STALLS)
    assert "Thursday" in said[0]  # their term, restated
    assert "my people take the calls" in said[0]  # what is still missing: the open concern, restated
    assert "I still need a way back" not in said[0]  # not a rebuttal of an argument nobody made


def test_an_offer_without_terms_is_named_by_its_kind_not_refused(sc: Scenario) -> None:
    said, state = play(sc, "medium", "Let's just book the go-live and get it signed.")
    assert state.extra["situations"][-1][0] == "react:offer-aside"
    assert "Agree to what" not in said[0]  # they did propose something
    assert _terms_named(said[0]) == set()  # and nothing they did not say


def test_an_offer_that_half_answers_the_concern_on_hard_says_it_helps_and_what_is_missing(sc: Scenario) -> None:
    line = "Rolling back would take maybe ten minutes, so nobody is stuck. Could we go live on Monday?"
    said, state = play(sc, "hard", line)
    assert state.eased == [] and state.extra["hits"]["risk"] == 1.0  # progress, not settled
    assert state.extra["situations"][-1] == ["react:offer-helps", "press:risk"]
    assert "Monday" in said[0] and said[0].index("Monday") < said[0].index("I still need")
    assert "I still need a way back if it fails." in said[0]  # what it still lacks, relative to the offer
    assert not any(s in said[0] for s in STALLS)


def test_a_close_after_everything_raised_is_settled_works_as_far_as_it_goes(sc: Scenario) -> None:
    said, state = play(sc, "medium",
                       "I get it, your team carries it. If we keep the old system running for a month, would that "
                       "cover you?",
                       "Brilliant. Then let's sign it off on the 28th.")
    assert state.eased == ["risk"] and state.outcome != "success"
    assert state.extra["situations"][-1] == ["react:offer-so-far", "raise:training"]
    assert "28th" in said[1] and "night shift" in said[1]
    assert _terms_named(said[1]) <= _terms_named("Brilliant. Then let's sign it off on the 28th.")


def test_a_close_with_nothing_on_the_table_is_still_refused_in_the_scenarios_words(sc: Scenario) -> None:
    LINES["Can we wrap this up?"] = frozenset({"commitment_ask"})
    try:
        said, state = play(sc, "medium", "Can we wrap this up?")
    finally:
        del LINES["Can we wrap this up?"]
    assert state.extra["situations"][-1][0] == "react:premature-close"
    assert said[0].startswith("Agree to what?")
