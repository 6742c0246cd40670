from __future__ import annotations

import pytest

from sparring.conversation.model import Conversation
from sparring.scoring.tagging import TAGS, tag_scores, tag_text, tag_turns

CASES = [
    ("What brings you in today?", {"open_question"}),
    ("Tell me more about how the rollout went", {"open_question"}),
    ("Could you walk me through a typical week?", {"open_question"}),
    ("Do you drink every day?", {"closed_question"}),
    ("How many seats do you have?", {"closed_question"}),
    ("It sounds like you're exhausted.", {"reflection_simple"}),
    ("So part of you wants to quit, and at the same time smoking helps you relax.", {"reflection_complex"}),
    ("That must be really frustrating.", {"empathy"}),
    ("I see, that makes sense.", {"acknowledgement"}),
    ("You should stop drinking before bed.", {"advice"}),
    ("If you sign for three years, we can freeze the price.", {"tradeoff"}),
    ("How about we start with two clinics?", {"proposal"}),
    ("Fine, I'll knock 30% off.", {"concession", "discount"}),
    ("Can we agree to move forward with the pilot?", {"commitment_ask"}),
    ("I'll send the summary by Friday.", {"next_step"}),
    ("No-shows dropped from 18 to 11 percent, which saves you 40 hours a month.", {"value_statement"}),
    ("Um, so, uh, yeah.", {"filler"}),
    ("I think maybe we could look at it.", {"hedge"}),
    ("This is my final offer, take it or leave it.", {"pressure"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_tag_text_finds_the_move(text: str, expected: set[str]) -> None:
    tags = tag_text(text)
    assert expected <= tags, (text, sorted(tags))
    assert tags <= set(TAGS)


@pytest.mark.parametrize("text", ["The weather was nice.", "I went to the store on Sunday with my sister."])
def test_plain_statements_get_no_moves(text: str) -> None:
    assert not tag_text(text) & {"open_question", "closed_question", "advice", "pressure", "discount"}


def test_question_and_reflection_exclusive_per_sentence() -> None:
    tags = tag_text("So you're worried about the cost?")
    assert "closed_question" in tags and not tags & {"reflection_simple", "reflection_complex"}


def test_tag_turns_one_set_per_turn_and_deterministic() -> None:
    c = Conversation()
    c.add("Rep", "learner", "What matters most to you here?")
    c.add("Jo", "counterpart", "Honestly the price.")
    c.add("Rep", "learner", "Price is the big one for you.")
    first = tag_turns(c)
    assert len(first) == 3 and first == tag_turns(c)
    assert "open_question" in first[0]


def test_tag_scores_shape() -> None:
    scores = tag_scores(["What brings you here?", "Okay."])
    assert len(scores) == 2 and set(scores[0]) == set(TAGS)
    assert scores[0]["open_question"] == 1.0
    assert all(0.0 <= v <= 1.0 for s in scores for v in s.values())


def test_long_call_tags_every_turn() -> None:
    c = Conversation()
    lines = ["What made you look at this now?", "It sounds like the cost worries you.",
             "If you commit to two years, we can hold the price.", "We're not sure, um, the budget is tight."]
    for i in range(400):
        c.add("Rep" if i % 2 == 0 else "Jo", "learner" if i % 2 == 0 else "counterpart", f"{lines[i % 4]} ({i})")
    tags = tag_turns(c)  # speed is measured in bench/scoring.py, not here
    assert len(tags) == 400
    assert "tradeoff" in tags[2] and "filler" in tags[3]


def test_neighbours_skip_same_speaker_runs() -> None:
    from sparring.scoring.tagging import neighbours

    c = Conversation()
    for speaker, text in [("A", "a1"), ("B", "b1"), ("B", "b2"), ("A", "a2")]:
        c.add(speaker, "learner" if speaker == "A" else "counterpart", text)
    prev, nxt = neighbours(c)
    assert prev == [None, "a1", "a1", "b2"]
    assert nxt == ["b1", "a2", "a2", None]


def test_own_previous_is_the_same_speakers_last_turn() -> None:
    from sparring.scoring.tagging import own_previous

    c = Conversation()
    for speaker, text in [("A", "a1"), ("B", "b1"), ("A", "a2"), ("A", "a3")]:
        c.add(speaker, "learner" if speaker == "A" else "counterpart", text)
    assert own_previous(c) == [None, None, "a1", "a2"]


def test_tag_turns_for_some_roles_only_gives_the_same_tags_for_those() -> None:
    c = Conversation()
    c.add("Rep", "learner", "What matters most to you here?")
    c.add("Jo", "counterpart", "Do you really want to know?")
    c.add("Rep", "learner", "So price is the big one for you.")
    every = tag_turns(c)
    learner = tag_turns(c, roles={"learner"})
    assert learner[0] == every[0] and learner[2] == every[2]
    assert "closed_question" in every[1] and learner[1] == frozenset()
