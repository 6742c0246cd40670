"""The learner move classifier: rules plus nearest example lines."""

from __future__ import annotations

import pytest

from sparring.content.library import get_library
from sparring.content.scenario import MOVES
from sparring.persona.moves import MONOLOGUE_WORDS, classify, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What's driving the review on your side?", "open-question"),
        ("Who else has to sign off on this?", "open-question"),
        ("Is the price the main issue?", "closed-question"),
        ("I hear you, that's a fair concern.", "acknowledge"),
        ("It sounds like the COO has put you in a tough spot.", "reflect"),
        ("That must have been a really frustrating week for your team.", "empathise"),
        ("No-shows fell from 18% to 11%, about $40,000 a year in recovered visits.", "quantified-value"),
        ("The integration means your front desk never types a booking twice.", "value-statement"),
        ("If you can commit to a two-year term, we could hold the price flat.", "trade-off"),
        ("If your drafts were visible from day two, my engineers could review early.", "trade-off"),
        ("I can give you 20% off right now.", "concession"),
        ("Forget I mentioned it, it's not a big deal.", "concession"),
        ("You need to sign today, this is the final offer.", "pressure"),
        ("Have you tried just going to bed earlier?", "advise"),
        ("Can we agree to go ahead on that basis?", "ask-commitment"),
        ("Let's put thirty minutes in the calendar with your COO.", "next-step"),
    ],
)
def test_clear_cases(text: str, expected: str) -> None:
    assert expected in classify(text)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("If you sign for two years, we can include a 5% discount.", "concession"),  # a trade, not a give-away
        ("It sounds like you need to walk in on Friday with a plan.", "pressure"),  # a reflection
        ("Could we test the price cut on a slice of new customers first?", "concession"),  # a topic
        ("What would a good first step look like for you?", "closed-question"),
    ],
)
def test_near_misses(text: str, absent: str) -> None:
    assert absent not in classify(text)


def test_a_long_turn_is_a_monologue() -> None:
    text = " ".join(["We have many features and integrations."] * (MONOLOGUE_WORDS // 6 + 2))
    assert "monologue" in classify(text)
    assert "monologue" not in classify("We have many features and integrations.")


def test_off_topic_needs_the_scenario_and_an_unrelated_turn() -> None:
    sc = get_library().scenario("cs-renewal-discount")
    assert "off-topic" in classify("Did you watch the football last night?", sc)
    assert "off-topic" not in classify("How are the clinics using the reminders?", sc)


def test_custom_moves_of_a_scenario_are_recognised() -> None:
    sc = get_library().scenario("cs-renewal-discount")
    moves = classify("Which of your clinics actually use tele-visits today?", sc)
    assert "asks-about-usage" in moves
    assert "asks-about-usage" not in classify("Which of your clinics actually use tele-visits today?")


def test_output_is_ordered_known_and_deterministic() -> None:
    text = "I hear you. What would the COO need to see? If you renew for two years, we can hold the price."
    first = classify(text)
    assert first == classify(text)
    assert first == [m for m in MOVES if m in first]
    assert classify("") == [] and classify("   ") == []


def test_sentence_split() -> None:
    assert split_sentences("Hi. How are you?  Fine!\nOk") == ["Hi.", "How are you?", "Fine!", "Ok"]


def test_a_bare_why_is_not_an_exploring_question() -> None:
    assert "open-question" not in classify("Why?")
    assert "open-question" in classify("Why does that matter to you?")


@pytest.mark.parametrize(
    ("text", "concedes"),
    [
        ("Okay, I can give you a 20% discount on the renewal.", True),
        ("We could do a discount if that helps.", True),
        ("A 10% discount is fine.", True),
        ("What if we run the discount for 10% of sign-ups and compare?", False),
        ("Customers ask about the discount a lot.", False),
    ],
)
def test_discount_as_an_offer_or_as_a_topic(text: str, concedes: bool) -> None:
    assert ("concession" in classify(text)) is concedes


def test_that_sounds_worrying_is_empathy() -> None:
    assert "empathise" in classify("That sounds really worrying.")
