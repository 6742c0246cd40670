"""The LLM judge with fake models: verified quotes, rubric-decided blockers, metrics from code, k-sample
spread, temperature 0, redaction and fallback to the embedded scorer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from sparring.content.library import load_library
from sparring.content.rubric import Rubric
from sparring.conversation.model import Conversation
from sparring.llm.client import LLMClient
from sparring.llm.config import TaskConfig
from sparring.scoring.embedded import EmbeddedScorer
from sparring.scoring.judge import LLMJudge, find_quote

LINES = [
    ("Priya", "counterpart", "The COO wants twelve percent off every vendor contract this year."),
    ("Sam", "learner", "That sounds like real pressure. What is the COO trying to achieve with the review?"),
    ("Priya", "counterpart", "Savings we can show the board, mostly."),
    ("Sam", "learner", "Reminders cut your no-shows from 18% to 11%, worth about $140,000 a year."),
    ("Priya", "counterpart", "Fair, but I still need a number."),
    ("Sam", "learner",
     "If you commit to three years, I can hold the price flat. Can we book thirty minutes with the COO?"),
    ("Priya", "counterpart", "Let me check her calendar."),
]  # fmt: skip


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_library().rubric("renewal-value")


@pytest.fixture
def conversation() -> Conversation:
    conv = Conversation()
    for speaker, role, text in LINES:
        conv.add(speaker, role, text)  # type: ignore[arg-type]
    return conv


def _good(**over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "criteria": [
            {"id": "acknowledge-pressure", "verdict": "met",
             "evidence": [{"turn": 1, "quote": "That sounds like real pressure."}],
             "rationale": "Names the pressure first."},
            {"id": "explore-before-price", "verdict": "met",
             "evidence": [{"turn": 1, "quote": "What is the COO trying to achieve with the review?"}]},
            {"id": "value-quantified", "verdict": "met", "level": 5,
             "evidence": [{"turn": 3, "quote": "worth about $140,000 a year"}]},
            {"id": "trade-not-give", "verdict": "met",
             "evidence": [{"turn": 5, "quote": "If you commit to three years, I can hold the price flat."}]},
            {"id": "next-step", "verdict": "met",
             "evidence": [{"turn": 5, "quote": "Can we book thirty minutes with the COO?"}]},
            {"id": "listening-balance", "verdict": "missed"},
            {"id": "unapproved-discount", "verdict": "met", "hit": False},
        ],
        "landed": [{"turn": 3, "quote": "worth about $140,000 a year", "comment": "value in their numbers"}],
        "missed": [{"turn": 1, "quote": "this quote does not exist", "comment": "invented"}],
        "next_drill": "Practise holding price under pressure.",
        "better_line": "What would the COO count as a win?",
        "better_line_for_turn": 1,
    }  # fmt: skip
    out.update(over)
    return out


class Judge:
    def __init__(self, answers: Callable[[int], dict[str, Any]] | dict[str, Any]):
        self.answers = answers
        self.settings: list[dict[str, Any]] = []
        self.prompts: list[str] = []
        self.instructions: list[str] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.settings.append(dict(info.model_settings or {}))
        self.instructions.append(info.instructions or "")
        req = messages[-1]
        assert isinstance(req, ModelRequest)
        self.prompts.append("".join(str(p.content) for p in req.parts if isinstance(p, UserPromptPart)))
        n = len(self.settings)
        answer = self.answers(n) if callable(self.answers) else self.answers
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, answer)])


def _judge(fn: Any, samples: int = 1, **kw: Any) -> LLMJudge:
    cfg = TaskConfig(task="judge", provider="openai", model="gpt-4o-mini", api_key="k", temperature=0.0,
                     backoff=0.0, max_retries=1)  # fmt: skip
    return LLMJudge(LLMClient(cfg, FunctionModel(fn), sleep=lambda s: None), EmbeddedScorer(), samples=samples, **kw)


def test_scorecard_from_one_structured_call_at_temperature_zero(rubric: Rubric, conversation: Conversation) -> None:
    fake = Judge(_good())
    card = _judge(fake).score(conversation, rubric)
    assert len(fake.settings) == 1 and fake.settings[0]["temperature"] == 0.0
    assert card.engine == "llm:gpt-4o-mini" and card.fallback_reason is None
    assert [c.id for c in card.criteria] == [c.id for c in rubric.criteria]
    assert card.rubric.id == "renewal-value" and card.rubric.version == rubric.version
    for result in card.criteria:
        for ev in result.evidence:
            assert ev.quote in conversation.turns[ev.turn].text
    assert card.result("value-quantified").score == 5.0 and card.result("value-quantified").max == 5.0
    assert card.blockers == [] and card.passed
    assert card.usage is not None and card.usage.requests == 1 and card.usage.cost_usd is not None
    assert card.feedback.landed == ['Turn 3: "worth about $140,000 a year" — value in their numbers']
    assert card.feedback.missed == []  # its quote was invented: not shown
    assert card.feedback.better_line_for_turn == 1


def test_metric_criteria_come_from_code_not_the_model(rubric: Rubric, conversation: Conversation) -> None:
    card = _judge(Judge(_good())).score(conversation, rubric)
    talk = card.result("listening-balance")
    share = card.metrics["talk_share"]
    inside = 0.35 <= share <= 0.6
    assert talk.verdict == ("met" if inside else talk.verdict)
    assert talk.rationale.startswith("You did ")  # the embedded metric judge's wording ("You did 62% of the talking…")



def test_metrics_are_prepared_while_the_model_is_called(
    rubric: Rubric, conversation: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import numpy as np

    from sparring.scoring import judge as judge_module
    from sparring.scoring.embedded import ScoringContext, judge_metric
    from sparring.scoring.metrics import compute_metrics
    from sparring.scoring.tagging import tag_turns

    in_model, prepared = threading.Event(), threading.Event()
    model_was_waiting: list[bool] = []
    real = judge_module.Prepared.__init__

    def prepare(self: Any, conv: Conversation, rub: Rubric) -> None:
        model_was_waiting.append(in_model.wait(5))  # the request had reached the model
        real(self, conv, rub)
        prepared.set()

    monkeypatch.setattr(judge_module.Prepared, "__init__", prepare)

    def slow_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        in_model.set()
        assert prepared.wait(5), "metrics were not prepared while the model worked"
        return Judge(_good())(messages, info)

    cfg = TaskConfig(task="judge", provider="openai", model="gpt-4o-mini", api_key="k", temperature=0.0)
    client = LLMClient(cfg, FunctionModel(slow_model), overlap_settle=0.2)
    card = LLMJudge(client, EmbeddedScorer()).score(conversation, rubric)
    assert model_was_waiting == [True]  # once, during the call
    # the same numbers and metric verdicts as computing them inline, as the embedded scorer does
    tags = tag_turns(conversation)
    metrics = compute_metrics(conversation, tags=tags)
    assert card.metrics == metrics
    ctx = ScoringContext(conversation, tags, dict(metrics), [], np.zeros((0, 384), dtype=np.float32))
    for c in rubric.criteria:
        if c.kind == "metric":
            assert card.result(c.id) == judge_metric(c, ctx)



def test_a_failure_in_the_judges_own_preparation_is_raised_as_itself(
    rubric: Rubric, conversation: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sparring.scoring import judge as judge_module

    def broken(self: Any, conv: Conversation, rub: Rubric) -> None:
        raise ValueError("tagger broke")

    monkeypatch.setattr(judge_module.Prepared, "__init__", broken)
    fake = Judge(_good())
    with pytest.raises(ValueError, match="tagger broke"):  # not a provider failure, so no silent fallback
        _judge(fake).score(conversation, rubric)
    assert len(fake.settings) == 1  # the request was not cut short by it


def test_quotes_missing_from_the_transcript_are_dropped_and_flagged(rubric: Rubric, conversation: Conversation) -> None:
    answer = _good()
    answer["criteria"][0]["evidence"] = [
        {"turn": 1, "quote": "I completely understand the pressure you are under"},  # paraphrase
        {"turn": 3, "quote": "That sounds like real pressure."},  # real, but cited in the wrong turn
    ]
    answer["criteria"][1]["evidence"] = [{"turn": 1, "quote": "what is the   COO trying to achieve"}]  # spacing/case
    card = _judge(Judge(answer)).score(conversation, rubric)
    ack = card.result("acknowledge-pressure")
    assert [(e.turn, e.quote) for e in ack.evidence] == [(1, "That sounds like real pressure.")]
    assert ack.flagged and "1 quote(s) not found" in ack.flagged
    explore = card.result("explore-before-price")
    assert explore.evidence[0].quote == "What is the COO trying to achieve"  # the transcript's own text
    assert explore.flagged is None


def test_positive_verdict_without_any_verified_quote_is_flagged(rubric: Rubric, conversation: Conversation) -> None:
    answer = _good()
    answer["criteria"][4]["evidence"] = [{"turn": 5, "quote": "Let's sign the contract now."}]
    card = _judge(Judge(answer)).score(conversation, rubric)
    nxt = card.result("next-step")
    assert nxt.evidence == [] and nxt.flagged and "no verified evidence" in nxt.flagged


def test_blockers_need_a_verified_learner_quote(rubric: Rubric, conversation: Conversation) -> None:
    answer = _good()
    answer["criteria"][6] = {"id": "unapproved-discount", "verdict": "missed", "hit": True,
                             "evidence": [{"turn": 5, "quote": "I can hold the price flat"}]}  # fmt: skip
    card = _judge(Judge(answer)).score(conversation, rubric)
    assert card.blockers == ["unapproved-discount"] and not card.passed and card.overall > 70

    answer["criteria"][6]["evidence"] = [{"turn": 5, "quote": "I'll give you 40% off"}]  # not said
    card = _judge(Judge(answer)).score(conversation, rubric)
    block = card.result("unapproved-discount")
    assert card.blockers == [] and block.hit is False
    assert block.flagged and "without a verifiable quote" in block.flagged


def test_missing_criteria_are_na_and_flagged(rubric: Rubric, conversation: Conversation) -> None:
    answer = _good()
    answer["criteria"] = [c for c in answer["criteria"] if c["id"] != "trade-not-give"]
    answer["criteria"].append({"id": "bogus", "verdict": "met"})
    card = _judge(Judge(answer)).score(conversation, rubric)
    trade = card.result("trade-not-give")
    assert trade.verdict == "n/a" and trade.flagged
    assert "bogus" not in [c.id for c in card.criteria]


def test_k_samples_report_spread_and_uncertainty(rubric: Rubric, conversation: Conversation) -> None:
    def answers(n: int) -> dict[str, Any]:
        out = _good()
        out["criteria"][4]["verdict"] = ["met", "missed", "met"][n - 1]  # next-step wobbles
        return out

    fake = Judge(answers)
    card = _judge(fake, samples=3).score(conversation, rubric)
    assert len(fake.settings) == 3
    wobbly = card.result("next-step")
    assert wobbly.verdict == "met" and wobbly.spread == 1.0 and wobbly.uncertain
    steady = card.result("acknowledge-pressure")
    assert steady.spread == 0.0 and not steady.uncertain
    assert card.usage is not None and card.usage.requests == 3


def test_prompt_keeps_the_rubric_as_a_stable_prefix(rubric: Rubric, conversation: Conversation) -> None:
    fake = Judge(_good())
    judge = _judge(fake)
    judge.score(conversation, rubric)
    conversation.add("Sam", "learner", "One more thing.")
    judge.score(conversation, rubric)
    assert fake.instructions[0] == fake.instructions[1]
    assert "value-quantified" in fake.instructions[0] and "Savings we can show" not in fake.instructions[0]
    assert "[1] LEARNER (Sam): That sounds like real pressure." in fake.prompts[0]


def test_redacted_quotes_are_restored_and_verified(rubric: Rubric) -> None:
    conv = Conversation()
    conv.add("Priya", "counterpart", "Send me the numbers.")
    conv.add("Sam", "learner", "Sure, I'll send them to priya@halcyon.health today.")
    answer = _good()
    answer["criteria"][4]["evidence"] = [{"turn": 1, "quote": "I'll send them to [EMAIL_1] today"}]
    fake = Judge(answer)
    card = _judge(fake).score(conv, rubric)
    assert "priya@halcyon.health" not in fake.prompts[0]
    assert card.result("next-step").evidence[0].quote == "I'll send them to priya@halcyon.health today"


def test_provider_failure_falls_back_to_the_embedded_scorer(rubric: Rubric, conversation: Conversation) -> None:
    def rate_limited(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise ModelHTTPError(status_code=429, model_name="gpt-4o-mini")

    card = _judge(rate_limited).score(conversation, rubric)
    assert card.engine == "embedded"
    assert card.fallback_reason and "429" in card.fallback_reason and "2 attempts" in card.fallback_reason
    assert [c.id for c in card.criteria] == [c.id for c in rubric.criteria]


def test_find_quote_refuses_ambiguous_or_tiny_quotes(conversation: Conversation) -> None:
    assert find_quote(conversation, 0, "The COO wants twelve percent") is None  # counterpart turn, not the learner's
    assert find_quote(conversation, 1, "a") is None
    assert find_quote(conversation, 9, "thirty minutes") is not None


def test_no_learner_turns_means_no_call(rubric: Rubric) -> None:
    fake = Judge(_good())
    conv = Conversation()
    conv.add("Priya", "counterpart", "Hello? Are you there?")
    card = _judge(fake).score(conv, rubric)
    assert fake.settings == [] and card.engine == "embedded" and card.fallback_reason
