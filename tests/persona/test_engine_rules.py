"""The embedded engine's mechanics on a small hand-written scenario (one rule per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sparring.content.loader import parse_model
from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation
from sparring.nlp.act_model import ActReading, Clause, read_act
from sparring.persona.base import PersonaEngineError, PersonaState
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.persona.listen import set_reader
from sparring.persona.rules import FALLBACK_LINES, apply_moves

TINY = """
id: tiny
title: A tiny test scenario
domain: sales
skills: [objection-handling]
rubric: sales-objection-handling
brief: A buyer says the price is too high; find out why and agree a next step.
objectives: [Find out why]
persona: {name: Pat, role: Buyer, personality: blunt,
          tells: {trust_low: ["I don't buy it."], trust_high: ["Okay, I trust you more now."]}}
opening_lines: ["Hello."]
state: {trust: 0.5, patience: 0.6}
objections:
  - id: price
    lines: ["Too expensive."]
    eased_by: [acknowledge, empathise]
    eased_lines: ["Fine, fair."]
    pressing_lines: ["Still too expensive.", "Way too expensive."]
  - id: timing
    raised_when: {turn_at_least: 1}
    lines: ["And the timing is bad."]
    eased_by: [open-question]
    eased_lines: ["Okay, timing can work."]
beats:
  - {situation: react:concession, lines: ["Then go lower."]}
  - {situation: react:push-for-more, lines: ["More, then."]}
  - {situation: react:premature-close, lines: ["Not yet."]}
  - {situation: neutral, lines: ["Hm."]}
  - {situation: closing-soon, lines: ["So?"]}
difficulty:
  easy: {steps: 1.5, penalty: 0.5}
  hard: {steps: 0.5, penalty: 1.5, ease_hits: 2, start: {trust: 0.4}, pushback_after_concession: true}
success:
  description: agreed a next step
  when: {objections_eased: true, learner_move: [next-step]}
failure:
  - {description: gave it away, when: {move_count_at_least: {concession: 2}}}
max_turns: 6
"""

ENGINE = EmbeddedPersonaEngine()

#: the acts of the lines these tests say (a reader double: the mechanics are tested apart from the act model's
#: accuracy, which tests/nlp measures); any other line is read by the real model
ACTS: dict[str, frozenset[str]] = {
    "Can we agree to go ahead on that basis?": frozenset({"commitment_ask", "question_closed"}),
    "I can give you 20% off.": frozenset({"concession"}),
    "I hear you, that's a fair concern.": frozenset({"acknowledge"}),
    "I hear you, that's a fair point about the cost.": frozenset({"acknowledge"}),
    "I understand. You need to sign today, final offer.": frozenset({"acknowledge", "pressure"}),
    "I'm sorry, that must be a real headache for you.": frozenset({"empathise"}),
    "Let's put thirty minutes in the calendar next week.": frozenset({"next_step_proposal"}),
    "Okay, let's drop the price another 10% off.": frozenset({"concession"}),
    "Okay.": frozenset({"other"}),
    "That makes sense, I understand why it feels expensive.": frozenset({"acknowledge"}),
    "What else is on your mind about this?": frozenset({"question_open"}),
    "What would make the timing work for you?": frozenset({"question_open"}),
    "What makes that so hard?": frozenset({"question_open"}),
    "Which football team do you support these days, by the way?": frozenset({"question_open", "off_topic"}),
}


def _reader(text: str, context: str) -> ActReading:
    if text not in ACTS:
        return read_act(text, context)
    acts = ACTS[text]
    return ActReading(text=text, acts=acts, probs={a: 1.0 for a in acts},
                      clauses=(Clause(text, "speaker", False, text.endswith("?")),), numbers=())


@pytest.fixture(autouse=True)
def _double() -> Iterator[None]:
    set_reader(_reader)
    yield
    set_reader(None)


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return parse_model(TINY, Scenario, "tiny.yaml")


def _say(sc: Scenario, state: PersonaState, conv: Conversation, text: str) -> tuple[str, PersonaState]:
    conv.add("Learner", "learner", text)
    reply = ENGINE.reply(sc, state, conv)
    conv.add(sc.persona.name, "counterpart", reply.text)
    return reply.text, reply.state


def _start(sc: Scenario, difficulty: str) -> tuple[PersonaState, Conversation]:
    opening = ENGINE.open(sc, difficulty)  # type: ignore[arg-type]
    conv = Conversation()
    conv.add(sc.persona.name, "counterpart", opening.text)
    return opening.state, conv


def test_open_uses_the_difficulty_start_and_raises_the_first_objection(tiny: Scenario) -> None:
    opening = ENGINE.open(tiny, "hard")
    assert opening.text == "Hello. Too expensive."
    assert opening.state.values == {"trust": 0.4, "patience": 0.6}
    assert opening.state.raised == ["price"] and not opening.state.ended
    assert opening.state.used_lines == ["Hello.", "Too expensive."]


def test_difficulty_scales_gains_and_losses(tiny: Scenario) -> None:
    easy, hard = dict(tiny.state), dict(tiny.state)
    apply_moves(easy, tiny, tiny.profile("easy"), ["acknowledge", "pressure"])
    apply_moves(hard, tiny, tiny.profile("hard"), ["acknowledge", "pressure"])
    # acknowledge +0.06 and pressure -0.12 on trust: easy 0.5+0.09-0.06, hard 0.5+0.03-0.18
    assert easy["trust"] == pytest.approx(0.53) and hard["trust"] == pytest.approx(0.35)


def test_an_objection_eases_then_the_next_one_surfaces(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    text, state = _say(tiny, state, conv, "I hear you, that's a fair concern.")
    assert text == "Fine, fair. And the timing is bad."
    assert state.eased == ["price"] and state.raised == ["price", "timing"]


def test_hard_needs_two_easing_turns_and_the_same_act_again_counts_half(tiny: Scenario) -> None:
    state, conv = _start(tiny, "hard")
    _, state = _say(tiny, state, conv, "I hear you, that's a fair concern.")
    assert state.eased == [] and state.extra["hits"] == {"price": 1}
    # acknowledge again: half a hit
    _, state = _say(tiny, state, conv, "That makes sense, I understand why it feels expensive.")
    assert state.eased == [] and state.extra["hits"] == {"price": 1.5}
    _, state = _say(tiny, state, conv, "I'm sorry, that must be a real headache for you.")  # another act
    assert state.eased == ["price"]


def test_a_spoiled_turn_never_eases(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    _, state = _say(tiny, state, conv, "I understand. You need to sign today, final offer.")
    assert state.eased == [] and "pressure" in state.moves[-1]
    # the persona reacts to the pressure (a built-in line: the scenario has no pressure beat), and nothing eases
    assert state.extra["situations"][-1] == ["react:pressure"]


def test_hard_pushes_for_more_after_a_concession_and_two_concessions_fail(tiny: Scenario) -> None:
    state, conv = _start(tiny, "hard")
    text, state = _say(tiny, state, conv, "I can give you 20% off.")
    assert text.startswith("More, then.")
    _, state = _say(tiny, state, conv, "Okay, let's drop the price another 10% off.")
    assert state.ended and state.outcome == "failure" and state.reason == "gave it away"


def test_asking_for_commitment_too_early_is_pushed_back(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    text, state = _say(tiny, state, conv, "Can we agree to go ahead on that basis?")
    assert text.startswith("Not yet.")
    assert state.values["patience"] < 0.6


def test_success_and_the_reason(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    _say(tiny, state, conv, "I hear you, that's a fair point about the cost.")
    _, state = _say(tiny, state, conv, "I hear you, that's a fair point about the cost.")
    text, state = _say(tiny, state, conv, "What would make the timing work for you?")
    assert state.eased == ["price", "timing"] and text.startswith("Okay, timing can work.")
    _, state = _say(tiny, state, conv, "Let's put thirty minutes in the calendar next week.")
    assert state.ended and state.outcome == "success" and state.reason == "agreed a next step"


def test_max_turns_ends_the_rep_and_lines_never_repeat(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    while not state.ended:
        _, state = _say(tiny, state, conv, "Okay.")
    assert state.learner_turns == tiny.max_turns and state.outcome == "failure"
    assert "time ran out" in (state.reason or "")
    assert len(state.used_lines) == len(set(state.used_lines))
    assert any(line in FALLBACK_LINES for line in state.used_lines)  # authored lines ran out, fallback took over


def test_a_tell_shows_when_the_mood_crosses_a_threshold(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    state.values["trust"] = 0.66
    state.raised, state.eased = ["price", "timing"], ["price", "timing"]  # nothing left to raise or press
    text, state = _say(tiny, state, conv, "I hear you, that's a fair concern.")
    assert text.endswith("Okay, I trust you more now.")


def test_a_reply_that_raises_a_concern_shows_no_tell(tiny: Scenario) -> None:
    """Pressing a concern and opening up in one reply are two intents that pull apart: the tell waits."""
    state, conv = _start(tiny, "medium")
    state.values["trust"] = 0.66
    text, state = _say(tiny, state, conv, "I hear you, that's a fair concern.")
    assert "raise:timing" in state.extra["situations"][-1]
    assert "Okay, I trust you more now." not in text


def test_misuse_is_a_clear_error(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    with pytest.raises(PersonaEngineError, match="learner"):
        ENGINE.reply(tiny, state, conv)
    conv.add("Learner", "learner", "Hi")
    wrong = state.model_copy(update={"scenario_id": "other"})
    with pytest.raises(PersonaEngineError, match="belongs to scenario 'other'"):
        ENGINE.reply(tiny, wrong, conv)
    done = state.model_copy(update={"ended": True, "outcome": "success", "reason": "done"})
    with pytest.raises(PersonaEngineError, match="already ended"):
        ENGINE.reply(tiny, done, conv)


def test_the_engine_does_not_mutate_the_state_it_is_given(tiny: Scenario) -> None:
    state, conv = _start(tiny, "medium")
    before = state.model_dump()
    _say(tiny, state, conv, "I hear you, that's a fair concern.")
    assert state.model_dump() == before


def test_an_objection_can_wait_for_a_learner_move() -> None:
    sc = parse_model(TINY.replace("raised_when: {turn_at_least: 1}", "raised_when: {learner_move: [open-question]}"),
                     Scenario, "tiny.yaml")
    state, conv = _start(sc, "medium")
    _, state = _say(sc, state, conv, "I hear you, that's a fair concern.")
    assert state.eased == ["price"] and state.raised == ["price"]  # settled, but nothing asked yet
    text, state = _say(sc, state, conv, "What else is on your mind about this?")
    assert state.raised == ["price", "timing"] and text.endswith("And the timing is bad.")


def test_opening_warms_the_classifier_up_in_the_background(tiny: Scenario) -> None:
    import threading
    import time

    from sparring.persona import moves

    ENGINE.open(tiny, "easy")
    deadline = time.monotonic() + 30
    while any(t.name == "sparring-warm-up-tiny" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "tiny" in moves._warming
    assert ("And the timing is bad.", "Okay, timing can work.") in moves._lines_cache  # objection lines embedded
    from sparring.nlp.act_model import _cached_backend

    assert _cached_backend.cache_info().currsize >= 1  # the act model is loaded


@pytest.mark.parametrize("linger", [0.0, 0.6])
def test_a_process_that_exits_during_the_warm_up_exits_cleanly(linger: float) -> None:
    import subprocess
    import sys

    code = (
        "import time\n"
        "from sparring.content.library import get_library\n"
        "from sparring.persona.embedded import EmbeddedPersonaEngine\n"
        "EmbeddedPersonaEngine().open(get_library().scenario('cs-renewal-discount'), 'medium')\n"
        f"time.sleep({linger})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "terminate called" not in proc.stderr


@pytest.mark.parametrize(
    ("question", "eases"),
    [
        ("What would make the timing work for you?", True),
        ("What makes that so hard?", True),  # a short follow-up on what was just said
        ("Which football team do you support these days, by the way?", False),
    ],
)
def test_an_open_question_eases_only_when_it_is_about_the_objection(
    tiny: Scenario, question: str, eases: bool
) -> None:
    state, conv = _start(tiny, "medium")
    _, state = _say(tiny, state, conv, "I hear you, that's a fair concern.")
    assert state.raised == ["price", "timing"]
    _, state = _say(tiny, state, conv, question)
    assert "question_open" in state.moves[-1]
    assert ("timing" in state.eased) is eases
