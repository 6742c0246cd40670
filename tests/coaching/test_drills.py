"""Drills from a call moment, pure (sparring.coaching.drills, docs/drills.md): nothing of the call's names, contacts
or figures survives, the drill opens with the counterpart's pushback at the moment, targets the moment's criterion
with what it asks for as the easing moves, validates and plays; the LLM writer's path and its fallbacks (a fake
OpenAI-compatible server on loopback)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sparring.coaching.anonymise import Anonymiser
from sparring.coaching.drills import DrillError, DrillRequest, build_drill, eased_by, pushback, target_criterion
from sparring.content.library import builtin_rubric
from sparring.content.loader import parse_model
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.conversation.importers import read_transcript
from sparring.conversation.model import Conversation
from sparring.review.moment import Moment
from sparring.scoring.scorecard import Scorecard
from sparring.testing.llm import FakeOpenAI

CALL = Path(__file__).parents[1] / "fixtures" / "calls" / "drill-price-call.txt"
#: every name, place, contact and figure of the fixture call, as written there
SECRETS = ["Dana", "Whitfield", "Priyanka", "Osei", "Corvane", "Halvorsen", "Rotterdam", "Marek", "Zielinski",
           "priyanka.osei", "halvorsen-logistics", "555", "0147", "48,000", "thirty-five thousand", "12%",
           "ten percent", "twenty minutes", "200 integrations"]
PUSHBACK_TURN = 4


@pytest.fixture(scope="module")
def call() -> Conversation:
    return read_transcript(CALL, source="call")


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    rubric = builtin_rubric("sales-objection-handling")
    assert rubric is not None
    return rubric


def card(rubric: Rubric, verdicts: dict[str, tuple[str, list[int]]]) -> Scorecard:
    """A scorecard with the given criteria's verdicts and evidence turns (the others met)."""
    criteria = []
    for c in rubric.criteria:
        verdict, turns = verdicts.get(c.id, ("met", []))
        criteria.append({"id": c.id, "kind": c.kind, "score": 0, "max": 1, "verdict": verdict,
                         "evidence": [{"turn": t, "quote": "x"} for t in turns], "rationale": ""})
    return Scorecard.model_validate({"rubric": {"id": rubric.id, "version": rubric.version}, "engine": "embedded",
                                     "overall": 40, "passed": False, "criteria": criteria, "metrics": {},
                                     "feedback": {"landed": [], "missed": []}})


def price_moment(criterion: str | None = "explore-objection") -> Moment:
    return Moment(kind="objection_price", start_turn=PUSHBACK_TURN, end_turn=6, impact=-0.5, criterion=criterion,
                  summary="Priyanka raised a price objection at turn 4; Dana conceded ten percent.")


def test_nothing_of_the_calls_names_contacts_or_figures_survives(call: Conversation, rubric: Rubric) -> None:
    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42)
    text = yaml.safe_dump(drill.scenario.model_dump(mode="json"), allow_unicode=True, width=10_000)
    assert [s for s in SECRETS if s.lower() in text.lower()] == []
    assert not re.search(r"\S+@\S+\.\w+", text)
    figures = {n.replace(",", "") for t in call.turns for n in re.findall(r"\d[\d,]*", t.text)}
    kept = {n.replace(",", "") for n in re.findall(r"(?<![\w.,])\d[\d,]*(?![\w]|[.,]\d)", text)}
    assert not figures & (kept - {"42", "4", "6"})  # the call id and the moment's turns are the drill's own
    names = set(Anonymiser.for_call(call, salt="42").names.values())
    assert drill.scenario.persona.name in names  # an invented name, the same one everywhere


def test_the_anonymiser_rounds_figures_and_replaces_names_contacts_years_and_percentages() -> None:
    conv = Conversation(source="call")
    conv.add("Ana Lopez", "learner", "Hi Bruno, Ana from Kitewire here.")
    conv.add("Bruno Ferraz", "counterpart", "Bruno here. We pay $110,000 and our CFO Mrs. Okonkwo wants 9% off. "
             "Since 2019 we spend about four million euros. Mail bruno@ferraz.io or call +44 20 7946 0958.")
    anon = Anonymiser.for_call(conv)
    clean = anon.clean(conv.turns[1].text)
    for gone in ("Bruno", "Okonkwo", "110,000", "9%", "2019", "four million", "ferraz", "7946"):
        assert gone.lower() not in clean.lower(), clean
    assert "X%" in clean and "the 2010s" in clean and "their e-mail" in clean and "their number" in clean
    assert "$100,000" in clean and "about 5,000,000 euros" in clean
    assert anon.leaks(clean) == [] and anon.leaks("Ask Bruno about the 110,000") == ["110,000", "Bruno"]
    assert anon.clean("Kitewire") != "Kitewire"  # a company named mid-sentence is caught everywhere


def test_the_drill_opens_with_the_counterparts_pushback_at_the_moment(call: Conversation, rubric: Rubric) -> None:
    from sparring.persona.embedded import EmbeddedPersonaEngine

    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42)
    said = Anonymiser.for_call(call, salt="42").clean(call.turns[PUSHBACK_TURN].text)
    assert said.startswith("But honestly, the price is a problem.")
    assert drill.scenario.objections[0].lines[0] == said
    opening = EmbeddedPersonaEngine().open(drill.scenario, "medium")
    assert opening.text.endswith(said) and opening.state.raised == ["pushback"]
    assert pushback(call, price_moment()) is call.turns[PUSHBACK_TURN]
    # a moment the rep made (pressure, a close): the counterpart's answer just after it
    pressure = Moment(kind="pressure", start_turn=5, end_turn=5, summary="s", impact=-0.4, criterion=None)
    assert pushback(call, pressure) is call.turns[6]


def test_the_target_is_the_moments_criterion_and_eased_by_is_what_it_asks_for(call: Conversation,
                                                                                rubric: Rubric) -> None:
    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42)
    assert drill.target == "explore-objection" and drill.engine == "template" and drill.notes == []
    assert sorted(drill.scenario.objections[0].eased_by) == ["question_clarifying", "question_open"]
    assert drill.scenario.rubric == rubric.id and drill.scenario.max_turns <= 8
    source = drill.scenario.source
    assert source is not None and source.model_dump() == {
        "kind": "call_moment", "conversation_id": 42, "start_turn": 4, "end_turn": 6,
        "criterion": "explore-objection", "moment_kind": "objection_price"}
    assert drill.scenario.id == "drill-42-t4"
    assert set(drill.scenario.difficulty) == {"easy", "medium", "hard"}


def test_without_a_criterion_the_missed_one_nearest_the_moment_is_the_target(call: Conversation,
                                                                              rubric: Rubric) -> None:
    scored = card(rubric, {"advance": ("missed", [9]), "value-response": ("missed", [7]),
                           "confirm-resolved": ("partly", [5])})
    target = target_criterion(price_moment(None), scored, rubric)
    assert target is not None and target.id == "value-response"
    assert target_criterion(price_moment("no-such-criterion"), scored, rubric).id == "value-response"  # type: ignore[union-attr]
    only_partly = card(rubric, {"confirm-resolved": ("partly", [5])})
    assert target_criterion(price_moment(None), only_partly, rubric).id == "confirm-resolved"  # type: ignore[union-attr]
    with pytest.raises(DrillError, match="no criterion to target"):
        build_drill(call, price_moment(None), card(rubric, {}), rubric, conversation_id=42)


def test_a_blocker_target_eases_by_the_kinds_moves_and_its_forbidden_act_fails_the_drill(rubric: Rubric) -> None:
    blocker = rubric.criterion("unapproved-discount")
    assert "concession" not in eased_by(blocker, "objection_price")
    assert eased_by(blocker, "objection_price") == ["acknowledge", "question_open", "question_clarifying"]
    assert eased_by(rubric.criterion("talk-share"), "monologue") == ["question_open", "reflect_simple",
                                                                      "reflect_complex"]


def test_the_drill_validates_round_trips_through_yaml_and_has_enough_lines(call: Conversation, rubric: Rubric) -> None:
    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42)
    text = yaml.safe_dump(drill.scenario.model_dump(mode="json", exclude_defaults=True), sort_keys=False)
    again = parse_model(text, Scenario, "drill.yaml")
    assert again == drill.scenario and again.version == drill.scenario.version
    sc = drill.scenario
    lines = {*sc.opening_lines, *(line for b in sc.beats for line in b.lines), *sc.success_lines, *sc.failure_lines,
             *(line for o in sc.objections for line in (*o.lines, *o.eased_lines, *o.pressing_lines, *o.answers))}
    assert len(lines) >= 3 * sc.max_turns  # docs/content-format.md: three distinct lines per turn
    assert any("dashboards" in k.about for k in sc.knowledge)  # the rep's question before the moment, answered


def test_a_drill_plays_with_the_embedded_persona_and_scores_its_target(call: Conversation, rubric: Rubric) -> None:
    from sparring.persona.embedded import EmbeddedPersonaEngine
    from sparring.persona.scripted import FixedLearner, play
    from sparring.scoring.embedded import EmbeddedScorer

    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42)
    rep = play(EmbeddedPersonaEngine(), drill.scenario, "medium", FixedLearner([
        "That's a fair concern, the gap to your budget is real.",
        "What is the budget figure based on, and how did you arrive at it?",
        "When you say the gap is too big, what are you comparing it with?",
    ]))
    replies = [t.text for t in rep.conversation.by_role("counterpart")]
    assert len(replies) >= 3 and all(r.strip() for r in replies)
    assert rep.state.outcome == "success"
    scored = EmbeddedScorer().score(rep.conversation, rubric)
    target = next(c for c in scored.criteria if c.id == drill.target)
    assert target.verdict == "met"
    discount = build_drill(call, price_moment("unapproved-discount"), card(rubric, {}), rubric, conversation_id=42)
    assert "(avoid: " in discount.scenario.title and "(avoid: " not in drill.scenario.title  # a rule is not a goal
    lost = play(EmbeddedPersonaEngine(), discount.scenario, "medium",
                FixedLearner(["Fine, I can take twenty percent off if you sign today."]))
    assert lost.state.outcome == "failure"


# ---- the LLM writer -------------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def writer(fake: FakeOpenAI) -> Any:
    from sparring.coaching.drill_writer import LLMDrillWriter
    from sparring.llm.client import LLMClient
    from sparring.llm.config import TaskConfig
    from sparring.llm.providers import build_model

    cfg = TaskConfig(task="drill", provider="openai-compatible", model="fake-model", base_url=fake.base_url,
                     timeout=5, max_retries=0, backoff=0)
    return LLMDrillWriter(LLMClient(cfg, build_model(cfg)))


LINES: dict[str, Any] = {
    "persona": {"personality": "a careful buyer who hates surprises in the budget",
                "speaking_style": "measured, a little formal",
                "background": ["The team liked the pilot dashboards."]},
    "variants": ["I can't take that gap upstairs."],
    "pressing_lines": ["That still doesn't explain the gap.", "I need to understand the number first."],
    "eased_lines": ["Okay, that I can take to finance.", "Fair, that helps me make the case."],
    "answers": ["The budget was set before we saw the pilot."],
    "knowledge": [{"about": "how the budget figure was set",
                   "answer": "Finance set it last autumn, before the pilot."}],
}


def test_with_an_llm_the_drill_writer_writes_the_persona_lines(fake: FakeOpenAI, call: Conversation,
                                                               rubric: Rubric) -> None:
    fake.script = [{"args": LINES}]
    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42, writer=writer(fake))
    assert drill.engine == "llm:fake-model" and drill.notes == []
    sc = drill.scenario
    assert sc.persona.personality == LINES["persona"]["personality"]
    assert sc.objections[0].pressing_lines == LINES["pressing_lines"]
    assert sc.objections[0].lines[1:] == LINES["variants"]
    assert [k.about for k in sc.knowledge] == ["how the budget figure was set"]
    template = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42)
    assert sc.opening_lines == template.scenario.opening_lines  # the opening, target and source stay the template's
    assert sc.objections[0].lines[0] == template.scenario.objections[0].lines[0]
    assert (sc.objections[0].eased_by, sc.source, sc.rubric) == (template.scenario.objections[0].eased_by,
                                                                 template.scenario.source, template.scenario.rubric)
    sent = str(fake.requests[0])
    assert [s for s in SECRETS if s.lower() in sent.lower()] == []  # the model only sees the anonymised excerpt


@pytest.mark.parametrize(("script", "why"), [
    ([{"status": 500}], "server error"),
    ([{"raw_args": "{not json"}], "malformed output"),
    ([{"args": {**LINES, "pressing_lines": ["Priyanka says no."] * 2}}], "name(s) or figure(s) of the call"),
    ([{"args": {**LINES, "knowledge": [{"about": "x" * 5, "answer": "y" * 5}] * 2}}], "ValidationError"),
])
def test_any_llm_error_or_invalid_output_falls_back_to_the_template(fake: FakeOpenAI, call: Conversation,
                                                                    rubric: Rubric, script: list[dict[str, Any]],
                                                                    why: str) -> None:
    fake.script = script
    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42, writer=writer(fake))
    template = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42)
    assert drill.engine == "template" and drill.scenario == template.scenario
    assert len(drill.notes) == 1 and why in drill.notes[0] and "used the offline template" in drill.notes[0]


def test_a_writer_that_raises_anything_falls_back_without_a_network(call: Conversation, rubric: Rubric) -> None:
    class Broken:
        engine = "llm:broken"

        def write(self, request: DrillRequest) -> dict[str, Any]:
            assert "Priyanka" not in request.pushback and request.criterion.id == "explore-objection"
            raise RuntimeError("boom")

    drill = build_drill(call, price_moment(), card(rubric, {}), rubric, conversation_id=42, writer=Broken())
    assert drill.engine == "template" and "RuntimeError: boom" in drill.notes[0]
