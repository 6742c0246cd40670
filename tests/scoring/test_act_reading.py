"""Speaker, subject and polarity on act readings (issue 11 item 3), the rule reading, and the active reader."""

from __future__ import annotations

import pytest

from sparring.scoring import act_reading
from sparring.scoring.act_reading import concession_numbers, effective_acts, legacy_read_acts, subject_of
from sparring.testing.acts import reading


@pytest.mark.parametrize(("text", "kept"), [
    ("You don't need it.", True),
    ("Honestly, you don't need that module.", True),
    ("I don't need it.", False),
    ("You don't need to decide today.", False),
    ("That's not a real problem for you, you don't need to worry.", False),
])  # fmt: skip
def test_dismissing_a_need_is_about_the_listener_and_not_a_relief(text: str, kept: bool) -> None:
    assert ("dismiss_need" in effective_acts(reading(text, "dismiss_need"))) is kept


@pytest.mark.parametrize(("text", "kept"), [
    ("You've gotten lazy.", True),
    ("You're just a drunk.", True),
    ("I'm an idiot for missing that.", False),
])  # fmt: skip
def test_insults_count_about_the_other_person_only(text: str, kept: bool) -> None:
    assert ("insult" in effective_acts(reading(text, "insult", "blame_label"))) is kept


def test_a_directive_is_never_a_reflection() -> None:
    assert not effective_acts(reading("You need to cut down.", "reflect_simple")) & {"reflect_simple"}
    assert "reflect_simple" in effective_acts(reading("You need a break from it all.", "reflect_simple"))


@pytest.mark.parametrize(("text", "numbers"), [
    ("I can take twenty percent off today.", [20.0]),
    ("When you say 30% over, who is that compared with?", []),
    ("I can't do thirty percent, but I can add onboarding.", []),
    ("Look, commit by Friday and I'll knock fifteen percent off.", [15.0]),  # an order with the speaker's offer
    ("Take the twenty percent you wanted.", []),  # naming the other side's number back
])  # fmt: skip
def test_only_a_concession_the_speaker_offers_counts_its_numbers(text: str, numbers: list[float]) -> None:
    assert concession_numbers(reading(text, "concession"), text) == numbers


def test_a_negated_next_step_statement_proposes_nothing_but_a_negated_question_does() -> None:
    assert not effective_acts(reading("I won't book anything until I hear back.", "next_step_proposal")) & {
        "next_step_proposal"}
    assert "next_step_proposal" in effective_acts(reading("Why don't we meet on Thursday?", "next_step_proposal"))


def test_subjects() -> None:
    assert subject_of("I think so") == "speaker"
    assert subject_of("Let's meet") == "we"
    assert subject_of("your team said") == "listener"
    assert subject_of("Marta said so") == "none"


def test_the_rule_reading_speaks_the_act_vocabulary() -> None:
    r = legacy_read_acts(["Can I ask what the other proposal covers?"])[0]
    assert "question_open" in r.acts and "question_closed" not in r.acts
    r = legacy_read_acts(["Would it be okay if I shared what has worked for others?"])[0]
    assert "permission_ask" in r.acts
    assert legacy_read_acts(["Thursday"])[0].acts == frozenset({"other"})


def test_the_active_reader_is_the_act_model_when_installed() -> None:
    try:
        from sparring.nlp.act_model import read_acts  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        assert act_reading.active_reader() is legacy_read_acts
    else:
        assert act_reading.active_reader() is read_acts
