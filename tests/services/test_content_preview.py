"""The editor's preview: a draft played against its persona with the embedded engine (the one practice uses by
default), nothing stored; every template is won by a learner who does what its brief asks."""

from __future__ import annotations

import pytest

from sparring.content.library import get_library
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.services import authoring
from sparring.services.content_preview import MAX_PREVIEW_TURNS, PreviewInvalid, play
from sparring.services.errors import InvalidInput

KNOWN = set(get_library().rubrics)

#: a learner who does what each template's brief asks: find the constraint, make it concrete, agree a next step
SKILLED = {
    "sales-pricing-pushback": [
        "What is the forty-five thousand based on?",
        "So the budget came from the old tool, before the trial showed the overtime savings.",
        "The trial cut overtime by 12 hours a week, about $30,000 a year. If we phase the roll-out, would that "
        "work for your finance director?",
        "Shall we set up a call with your finance director next Tuesday?",
    ],
    "manager-feedback": [
        "Thanks for coming. I want to talk about deadlines.",
        "On the 14th the client release slipped a week because the API work was late, and the client complained.",
        "It sounds like you've been carrying two projects and nobody noticed. What's that been like?",
        "Can we agree that the weekly reports go to Jo and we check in next Friday?",
    ],
    "cs-renewal": [
        "What has changed for your team since Sam left?",
        "So nobody owns it now, and the front desk went back to phoning patients. That makes sense.",
        "Since the reminders went live, no-shows dropped 18%, about $40,000 a year in recovered appointments. If we "
        "retrain the front desk, would that help with the budget review?",
        "Shall we book a front-desk session next Tuesday and review the numbers with your director before renewal?",
    ],
    "consulting-challenge": [
        "Before the steering meeting, what matters most to you about renewals this year?",
        "So renewals fell eight percent, and you need the roll-out to show it can turn that around.",
        "Our discovery found 62% of lost renewals waited over 30 days on a claim. If we run a four-week claims "
        "test alongside the roll-out, you keep the timeline and get evidence for the board.",
    ],
}


def _template(key: str) -> str:
    text = authoring.template_text(key)
    assert text is not None
    return text


@pytest.fixture(scope="module")
def engine() -> EmbeddedPersonaEngine:
    return EmbeddedPersonaEngine()


def test_every_template_has_a_skilled_script() -> None:
    assert {t.key for t in authoring.scenario_templates()} == set(SKILLED)


@pytest.mark.parametrize("key", sorted(SKILLED))
def test_a_skilled_learner_wins_each_template(engine: EmbeddedPersonaEngine, key: str) -> None:
    preview = play(engine, _template(key), KNOWN, SKILLED[key], "medium")
    body = preview.as_json()
    assert [t["role"] for t in body["turns"]] == ["counterpart"] + ["learner", "counterpart"] * len(SKILLED[key])
    assert body["outcome"] == "success", [t["text"] for t in body["turns"]]
    assert body["ended"] is True


def test_a_poor_learner_does_not_win_a_template(engine: EmbeddedPersonaEngine) -> None:
    poor = ["Fine, I'll take ten percent off.", "Okay, twenty percent then."]  # two discounts for nothing
    body = play(engine, _template("sales-pricing-pushback"), KNOWN, poor).as_json()
    assert body["outcome"] == "failure" and body["reason"] == "discounted twice without getting anything back"


def test_the_preview_plays_the_draft_as_it_is_now(engine: EmbeddedPersonaEngine) -> None:
    text = _template("sales-pricing-pushback")
    first = play(engine, text, KNOWN, ["What is the forty-five thousand based on?"])
    again = play(engine, text, KNOWN, ["What is the forty-five thousand based on?"])
    assert [t.text for t in first.turns] == [t.text for t in again.turns]  # replaying gives the same lines
    edited = text.replace("plus a bit. I set it in spring.", "plus a bit. Our CFO set it in March.")
    changed = play(engine, edited, KNOWN, ["What is the forty-five thousand based on?"])
    assert "CFO set it in March" in changed.turns[2].text and changed.version != first.version


def test_a_draft_that_is_not_a_valid_scenario_is_refused_with_its_problems(engine: EmbeddedPersonaEngine) -> None:
    text = _template("cs-renewal").replace("rubric: renewal-value", "rubric: nope")
    with pytest.raises(PreviewInvalid) as info:
        play(engine, text, KNOWN, [])
    assert any(p.startswith("editor.yaml:") and "unknown rubric 'nope'" in p for p in info.value.problems)
    with pytest.raises(PreviewInvalid, match="rubric has no persona"):
        play(engine, "id: r\ntitle: Rubric\ncriteria: []\n", KNOWN, [])


def test_limits_and_bad_input(engine: EmbeddedPersonaEngine) -> None:
    text = _template("manager-feedback")
    with pytest.raises(InvalidInput, match="at most"):
        play(engine, text, KNOWN, ["Hello."] * (MAX_PREVIEW_TURNS + 1))
    with pytest.raises(InvalidInput, match="difficulty"):
        play(engine, text, KNOWN, [], "brutal")
    with pytest.raises(InvalidInput):
        play(engine, text, KNOWN, ["   "])
    ended = play(engine, text, KNOWN, SKILLED["manager-feedback"])
    assert ended.ended
    with pytest.raises(InvalidInput, match="ended"):
        play(engine, text, KNOWN, [*SKILLED["manager-feedback"], "One more thing."])
