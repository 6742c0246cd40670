"""The whole LLM path through engines.py and the real OpenAI SDK against a loopback server."""

from __future__ import annotations

import pytest

from sparring.content.library import load_library
from sparring.conversation.model import Conversation
from sparring.engines import persona_engine, scorer
from sparring.persona.base import PersonaReply
from sparring.persona.llm import LLMPersonaEngine
from sparring.settings import get_settings, reset_settings_cache
from sparring.testing.llm import FakeOpenAI


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI) -> FakeOpenAI:
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SPARRING_LLM_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("SPARRING_PERSONA_MODEL", "fake-persona")
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", "fake-judge")
    monkeypatch.setenv("SPARRING_LLM_MAX_RETRIES", "1")
    monkeypatch.setenv("SPARRING_LLM_TIMEOUT", "2")
    reset_settings_cache()
    return fake_openai


def test_persona_streams_over_http_and_falls_back_on_500s(configured: FakeOpenAI) -> None:
    lib = load_library()
    scenario = lib.scenario("cs-renewal-discount")
    engine = persona_engine(get_settings())
    assert isinstance(engine, LLMPersonaEngine)
    opening = engine.open(scenario, "medium")
    conv = Conversation()
    conv.add(scenario.persona.name, "counterpart", opening.text)
    conv.add("Alex", "learner", "What is the COO hoping to see from this review?")
    answer = {"reply": "Savings, mostly. Something she can show the board.", "learner_moves": ["open-question"],
              "state": {"trust": 0.55}}  # fmt: skip
    configured.script = [{"args": answer, "chunk": 12, "chunk_sleep": 0.04}]
    items = list(engine.stream_reply(scenario, opening.state, conv))
    final = items[-1]
    assert isinstance(final, PersonaReply) and final.engine == "llm:fake-persona"
    assert [i for i in items if isinstance(i, str)] == ["Savings, mostly. ", "Something she can show the board."]
    assert final.usage is not None and final.usage.input_tokens == 100
    assert configured.requests[-1]["stream"] is True
    assert configured.requests[-1]["messages"][0]["role"] in ("system", "developer")

    configured.script = [{"status": 500}]
    reply = engine.reply(scenario, opening.state, conv)
    assert reply.engine == "embedded" and reply.fallback_reason and "500" in reply.fallback_reason


def test_judge_over_http_produces_a_scorecard(configured: FakeOpenAI) -> None:
    rubric = load_library().rubric("renewal-value")
    conv = Conversation()
    conv.add("Priya", "counterpart", "The COO wants twelve percent off.")
    conv.add("Sam", "learner", "That sounds like real pressure. What does the COO need to see?")
    evidence = [{"turn": 1, "quote": "That sounds like real pressure."}]
    criteria = [{"id": "acknowledge-pressure", "verdict": "met", "evidence": evidence}]
    configured.script = [{"args": {"criteria": criteria}}]
    card = scorer(get_settings()).score(conv, rubric)
    assert card.engine == "llm:fake-judge"
    assert card.result("acknowledge-pressure").verdict == "met"
    assert card.result("next-step").verdict == "n/a" and card.result("next-step").flagged
    assert configured.requests[-1]["temperature"] == 0.0
    assert card.usage is not None and card.usage.cost_usd is None
