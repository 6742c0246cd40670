"""Feedback: two strongest moments quoted, two weakest quoted, a concrete drill from the weakest criterion, and a
better line fitted to the conversation (not a fixed string)."""

from __future__ import annotations

import re

import pytest

from sparring.content.library import get_library
from sparring.content.loader import parse_model
from sparring.content.rubric import Rubric
from sparring.conversation.importers import parse_transcript, read_transcript
from sparring.conversation.model import Conversation
from sparring.scoring.embedded import EmbeddedScorer
from sparring.scoring.feedback import their_words

LIB = get_library()


@pytest.fixture(scope="module")
def scorer() -> EmbeddedScorer:
    return EmbeddedScorer()


def _test_transcript(rubric_id: str, suffix: str) -> Conversation:
    rubric, path = LIB.rubrics[rubric_id], LIB.rubric_paths[rubric_id]
    name = next(t.transcript for t in rubric.tests if t.transcript and t.transcript.endswith(suffix))
    assert name is not None
    return read_transcript(path.parent / name, source="practice")


def _quotes(item: str) -> list[str]:
    return re.findall(r'"([^"]+)"', item)


def test_landed_quotes_the_two_strongest_moments(scorer: EmbeddedScorer) -> None:
    conv = _test_transcript("renewal-value", "strong.txt")
    card = scorer.score(conv, LIB.rubrics["renewal-value"])
    assert len(card.feedback.landed) == 2
    for item in card.feedback.landed:
        m = re.match(r'Turn (\d+): "(.+)" — ', item)
        assert m, item
        turn, quote = int(m.group(1)), m.group(2).removesuffix(" …")
        assert quote in conv.turns[turn].text
    assert card.feedback.missed == []  # nothing was missed in the strong rep
    assert "harder difficulty" in card.feedback.next_drill


def test_missed_puts_a_broken_rule_first_and_quotes_it(scorer: EmbeddedScorer) -> None:
    conv = _test_transcript("renewal-value", "caves.txt")
    card = scorer.score(conv, LIB.rubrics["renewal-value"])
    fb = card.feedback
    assert len(fb.missed) == 2
    assert "broke the rule" in fb.missed[0] and "twenty-five percent" in fb.missed[0]
    # the drill targets the broken rule and points at the moment it happened
    assert "without breaking the rule" in fb.next_drill and "Start from turn" in fb.next_drill


def test_a_metric_drill_names_the_goal_and_what_happened_last_time(scorer: EmbeddedScorer) -> None:
    rubric = LIB.rubrics["motivational-interviewing"].model_copy(deep=True)
    rubric.criteria = [c for c in rubric.criteria if c.id == "person-talks-more"]
    conv = parse_transcript("Coach: " + "I really think you should start walking every single day. " * 4
                            + "\nClient: Okay.\nCoach: And cut the sugar too.\nClient: Sure.")
    card = scorer.score(conv, rubric)
    drill = card.feedback.next_drill
    assert drill.startswith("Replay this conversation with one goal: the person does most of the talking. Last time ")
    assert "% of the talking" in drill and drill.endswith("Three reps, then re-score.")


def test_a_behaviour_never_attempted_is_missed_without_quoting_an_unrelated_line(scorer: EmbeddedScorer) -> None:
    rubric = parse_model("""
id: weather-chat
title: Weather chat
criteria:
  - id: asks-about-weather
    kind: check
    name: Asks how the weather was on the trip
    weight: 2
    examples_positive: ["How was the weather in Lisbon?", "Did it rain much while you were there?"]
  - id: greets
    kind: check
    name: Greets the person
    weight: 1
    examples_positive: ["Hi, good to see you.", "Hello, thanks for coming in."]
""", Rubric, "weather.yaml")
    conv = parse_transcript(
        "Rep: Hello, thanks for coming in.\nBuyer: Sure.\n"
        "Rep: Our invoice module exports to every major accounting package.\nBuyer: Okay."
    )
    card = scorer.score(conv, rubric)
    result = card.result("asks-about-weather")
    assert result.verdict == "missed" and result.evidence  # the scorecard still cites the nearest line
    item = next(m for m in card.feedback.missed if m.startswith("Asks how the weather"))
    assert "not shown anywhere in this conversation" in item and "Turn " not in item
    assert 'Something like: "How was the weather in Lisbon?"' in item


def test_next_drill_uses_the_weakest_criterions_drill(scorer: EmbeddedScorer) -> None:
    rubric = LIB.rubrics["coaching-conversation"].model_copy(deep=True)
    rubric.criteria = [c for c in rubric.criteria if c.kind != "blocker"]
    conv = _test_transcript("coaching-conversation", "telling.txt")
    card = scorer.score(conv, rubric)
    weakest_ids = [r.id for r in card.criteria if r.verdict == "missed"]
    assert weakest_ids
    drills = {c.id: c.drill for c in rubric.criteria if c.drill}
    assert any(d and card.feedback.next_drill.startswith(d) for d in drills.values()), card.feedback.next_drill


RUBRIC = """
id: fb-demo
title: Feedback demo
criteria:
  - id: ask-why
    kind: check
    name: Asks what is behind the request
    weight: 3
    examples_positive: ["What is driving that?", "Help me understand why that matters now."]
    examples_negative: ["Sure, no problem."]
    better_line: 'When you say "{their_words}", what is driving that, {name}?'
  - id: summarise
    kind: check
    name: Summarises what they heard
    weight: 1
    examples_positive: ["So the main issue is the deadline, not the budget."]
"""


def test_better_line_is_fitted_to_each_conversation(scorer: EmbeddedScorer) -> None:
    rubric = parse_model(RUBRIC, Rubric)
    a = parse_transcript("# roles: Al=learner, Kate=counterpart\nKate: We need the launch moved to March.\n"
                         "Al: Sure, no problem.\n", "txt")  # fmt: skip
    b = parse_transcript("# roles: Al=learner, Omar=counterpart\nOmar: Can you cut the price by a fifth?\n"
                         "Al: Sure, no problem.\n", "txt")  # fmt: skip
    fa, fb = scorer.score(a, rubric).feedback, scorer.score(b, rubric).feedback
    assert fa.better_line == 'When you say "We need the launch moved to March", what is driving that, Kate?'
    assert "Can you cut the price by a fifth" in fb.better_line and "Omar" in fb.better_line
    assert fa.better_line_for_turn == 1 and fb.better_line_for_turn == 1
    assert "ask what is behind the request" in fa.next_drill.lower() or "what is behind" in fa.next_drill.lower()


def test_without_a_better_line_the_closest_example_is_adapted(scorer: EmbeddedScorer) -> None:
    without = "\n".join(line for line in RUBRIC.splitlines() if "better_line" not in line)
    rubric = parse_model(without, Rubric)
    conv = parse_transcript("# roles: Al=learner, Kate=counterpart\nKate: Why does this matter now, honestly?\n"
                            "Al: Sure, no problem.\n", "txt")  # fmt: skip
    fb = scorer.score(conv, rubric).feedback
    assert fb.better_line.startswith('When Kate said "Why does this matter now, honestly"')
    assert _quotes(fb.better_line)[-1] in rubric.criterion("ask-why").examples_positive


def test_their_words_prefers_the_last_question() -> None:
    conv = parse_transcript("A: I have been thinking a lot. Is the price final? We have a board meeting.\nB: ok\n",
                            "txt")  # fmt: skip
    assert their_words(conv.turns[0]) == "Is the price final"
