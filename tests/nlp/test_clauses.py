from __future__ import annotations

import pytest

from sparring.nlp.clauses import clauses, numbers, parse_clause, split_clauses


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("I don't need it.", "speaker"),
        ("I'm not sure that's right.", "speaker"),
        ("My concern is the rollout.", "speaker"),
        ("Let me check with finance.", "speaker"),
        ("Can I ask what the other proposal covers?", "speaker"),
        ("We can hold the price.", "we"),
        ("Let's book Thursday.", "we"),
        ("Our team ships on Fridays.", "we"),
        ("How are we doing on the rollout?", "we"),
        ("You don't need it.", "listener"),
        ("You've gotten lazy.", "listener"),
        ("Your numbers are off.", "listener"),
        ("Do you have a budget for this?", "listener"),
        ("What worries you most about the drivers?", "listener"),
        ("What's your timeline?", "listener"),
        ("Sign today or lose the slot.", "listener"),
        ("Don't worry about it.", "listener"),
        ("Tell me more about the trial.", "listener"),
        ("Dev, you missed the deadline again.", "listener"),
        ("Well, honestly, you could have called.", "listener"),
        ("If you sign for two years, I can hold last year's price.", "speaker"),
        ("If you sign for two years, we can hold last year's price.", "we"),
        ("The budget got set in October.", "third"),
        ("She said the trial went fine.", "third"),
        ("It's a four-day restore.", "third"),
        ("There's a gap in the plan.", "third"),
        ("Marta said no.", "third"),
        ("Is the price final?", "third"),
        ("Okay.", "none"),
        ("Thanks!", "none"),
        ("Fair enough.", "none"),
        ("Thirty percent over what?", "none"),
    ],
)
def test_subject(text: str, subject: str) -> None:
    assert parse_clause(text).subject == subject


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("I don't need it.", True),
        ("You do not need that module.", True),
        ("We never discount.", True),
        ("We no longer offer that tier.", True),
        ("That isn't what I said.", True),
        ("I can't do Thursday.", True),
        ("That won’t work for us.", True),  # curly apostrophe
        ("I need it.", False),
        ("Why not try it for a month?", False),
        ("Not only is it faster, it's cheaper.", False),
        ("Let's book Thursday.", False),
        ("No, that's fine by me.", False),
        ("If you don't sign, we can still talk next week.", False),  # the main clause is not negated
    ],
)
def test_negation(text: str, negated: bool) -> None:
    assert parse_clause(text).negated is negated


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Are you an AI?", True),
        ("What do you mean", True),
        ("Can I ask what the other proposal covers", True),
        ("How about Thursday", True),
        ("Why", True),
        ("So the price is fine, right?", True),
        ("🙂 what do you think", True),
        ("When you say thirty percent over, who decides", True),
        ("Tell me about the trial", True),
        ("What a week.", False),
        ("Do the maths.", False),
        ("Don't worry about it.", False),
        ("I wonder about that.", False),
        ("We can hold the price.", False),
    ],
)
def test_question(text: str, question: bool) -> None:
    assert parse_clause(text).question is question


def test_split_into_sentences_and_clauses() -> None:
    assert split_clauses("Fine. What changed? I'd like to know — honestly, but only if you can say.") == [
        "Fine.", "What changed?", "I'd like to know", "honestly", "but only if you can say.",
    ]
    assert split_clauses("") == [] and split_clauses("... !") == []
    parts = clauses("Fair point. Do you have a budget?")
    assert [(c.subject, c.question) for c in parts] == [("none", False), ("listener", True)]
    assert parts[1].text == "Do you have a budget?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30%", (30.0,)),
        ("thirty percent", (30.0,)),
        ("$4k", (4000.0,)),
        ("€1.2m a year", (1_200_000.0,)),
        ("£300 a seat", (300.0,)),
        ("1,200.50 and 11%", (1200.5, 11.0)),
        ("1.4 million dollars", (1_400_000.0,)),
        ("126 thousand per year", (126_000.0,)),
        ("$126K against a $110K ACV", (126_000.0, 110_000.0)),
        ("85K subs", (85_000.0,)),
        ("a hundred thousand dollars", (100_000.0,)),
        ("fifty-eight", (58.0,)),
        ("twenty five", (25.0,)),
        ("two thousand five hundred and twenty", (2520.0,)),
        ("one hundred and twenty stores", (120.0,)),
        ("thirty-five thousand", (35_000.0,)),
        ("eight grand a month", (8000.0,)),
        ("a 3.2x return", (3.2,)),
        ("review on the 31st", (31.0,)),
        ("150/95", (150.0, 95.0)),
        ("twelve months, 5% off", (12.0, 5.0)),
        ("Q2 with the 3PLs on P2P", ()),
        ("one of them, the other one, no one", ()),
        ("Okay, sounds good.", ()),
    ],
)
def test_numbers(text: str, expected: tuple[float, ...]) -> None:
    assert numbers(text) == pytest.approx(expected)
