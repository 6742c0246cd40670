"""Failing fast against a hanging provider (loopback): the persona's first-token deadline, the judge's deadline
for a whole transcript, and the circuit breaker per endpoint, through engines.py and the real OpenAI SDK.

Deadlines are set short through settings, so each test takes about a second; nothing sleeps long."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from sparring.content.library import load_library
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation
from sparring.engines import persona_engine, scorer
from sparring.llm.client import LLMClient, LLMUnavailable
from sparring.llm.config import TaskConfig
from sparring.llm.providers import build_model
from sparring.persona.base import PersonaReply, PersonaState
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.scoring.embedded import EmbeddedScorer
from sparring.settings import get_settings, reset_settings_cache
from sparring.testing.llm import FakeOpenAI

ANSWER = {"reply": "Savings, mostly. Something she can show the board.", "learner_moves": ["open-question"],
          "state": {"trust": 0.55}}  # fmt: skip


class Answer(BaseModel):
    reply: str


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_library().scenario("cs-renewal-discount")


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_library().rubric("renewal-value")


@pytest.fixture(scope="module", autouse=True)
def _warm_embedded(scenario: Scenario, rubric: Rubric) -> None:
    """The embedded engines load their models once per process (~1 s): done here, so the timings below measure
    the fallback path, not that one-off load."""
    state, conv = _start(scenario)
    EmbeddedPersonaEngine().reply(scenario, state, conv)
    EmbeddedScorer().score(conv, rubric)


def _configure(monkeypatch: pytest.MonkeyPatch, server: FakeOpenAI, **env: str) -> None:
    values = {
        "SPARRING_LLM_PROVIDER": "openai-compatible",
        "SPARRING_LLM_BASE_URL": server.base_url,
        "SPARRING_PERSONA_MODEL": "fake-persona",
        "SPARRING_JUDGE_MODEL": "fake-judge",
        "SPARRING_LLM_TIMEOUT": "5",
        "SPARRING_LLM_MAX_RETRIES": "2",
        **env,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()


def _start(scenario: Scenario) -> tuple[PersonaState, Conversation]:
    opening = EmbeddedPersonaEngine().open(scenario, "medium")
    conv = Conversation()
    conv.add(scenario.persona.name, "counterpart", opening.text)
    conv.add("Alex", "learner", "What is the COO hoping to see from this review?")
    return opening.state, conv


def _turn(scenario: Scenario) -> tuple[PersonaReply, float]:
    state, conv = _start(scenario)
    engine = persona_engine(get_settings())  # a new engine per turn, as the web services build them
    t0 = time.perf_counter()
    reply = engine.reply(scenario, state, conv)
    return reply, time.perf_counter() - t0


# ------------------------------------------------------------------ the persona's first-token deadline


@pytest.mark.parametrize("hang", [True, "after-headers"])
def test_a_hanging_provider_gives_the_persona_turn_to_the_embedded_engine_at_the_first_token_deadline(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario, hang: object
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="0.4")
    fake_openai.script = [{"hang": hang}]
    reply, took = _turn(scenario)
    assert reply.engine == "embedded" and reply.text
    assert reply.fallback_reason == "LLM provider did not start answering within 0.4 s; used the embedded engine"
    assert 0.4 <= took < 2.5  # the deadline, not the 5 s attempt timeout (nor 3 attempts of it); slack for load
    assert len(fake_openai.requests) == 1  # at once: no retry after a missed first token


def test_a_reply_that_started_may_stream_past_the_first_token_deadline(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="0.3")
    fake_openai.script = [{"args": ANSWER, "chunk": 10, "chunk_sleep": 0.06}]  # ~20 chunks: ~1.2 s in all
    reply, took = _turn(scenario)
    assert reply.engine == "llm:fake-persona" and reply.fallback_reason is None
    assert reply.text == ANSWER["reply"]
    assert took > 0.6  # well past the first-token deadline, within the 5 s total


def test_fast_failures_are_retried_within_the_first_token_deadline(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="2")
    fake_openai.script = [{"status": 503}, {"args": ANSWER}]
    reply, _took = _turn(scenario)
    assert reply.engine == "llm:fake-persona"
    assert len(fake_openai.requests) == 2


def test_a_retry_after_a_fast_failure_gets_only_what_is_left_of_the_first_token_deadline(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario, tmp_path: Path
) -> None:
    config = tmp_path / "sparring.toml"
    config.write_text("[llm.persona]\nbackoff = 0.01\n")
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="1.2", SPARRING_CONFIG=str(config))
    fake_openai.script = [{"status": 503, "sleep": 0.8}, {"hang": True}]
    reply, took = _turn(scenario)
    assert reply.engine == "embedded"
    assert reply.fallback_reason == "LLM provider did not start answering within 1.2 s; used the embedded engine"
    assert 1.2 <= took < 1.7  # 0.8 s for the 503, then the rest of the 1.2 s: a fresh 1.2 s would end at 2.0 s
    assert len(fake_openai.requests) == 2


def test_no_retry_starts_when_the_backoff_would_use_up_the_first_token_deadline(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="0.5")
    fake_openai.script = [{"status": 503, "sleep": 0.2}, {"args": ANSWER}]
    reply, took = _turn(scenario)  # 0.3 s left, less than the 0.375-0.625 s backoff: no second request
    assert reply.engine == "embedded" and took < 1.0  # no backoff was waited
    assert reply.fallback_reason == (
        "LLM provider did not start answering within 0.5 s (server error (HTTP 503)); used the embedded engine"
    )
    assert len(fake_openai.requests) == 1


@pytest.mark.parametrize("mode", ["native", "prompted"])
def test_agent_output_modes_keep_both_deadlines(fake_openai: FakeOpenAI, mode: str) -> None:
    # native and prompted output go through pydantic-ai agent runs, which enforce the deadlines themselves
    cfg = TaskConfig(task="persona", provider="openai-compatible", model="fake", base_url=fake_openai.base_url,
                     timeout=5, output_mode=mode, first_token_timeout=0.3, deadline=0.5)  # fmt: skip
    client = LLMClient(cfg, build_model(cfg))  # built before the clock starts, as engines.py does
    fake_openai.script = [{"hang": "after-headers"}]
    t0 = time.perf_counter()
    with pytest.raises(LLMUnavailable) as streamed:
        list(client.stream(instructions="x", prompt="y", output_type=Answer))
    assert streamed.value.reason == "LLM provider did not start answering within 0.3 s; used the embedded engine"
    t1 = time.perf_counter()
    with pytest.raises(LLMUnavailable) as ran:
        client.run(instructions="x", prompt="y", output_type=Answer)
    t2 = time.perf_counter()
    assert ran.value.reason == (
        "LLM provider did not answer within the 0.5 s deadline (timeout); used the embedded engine"
    )
    assert t1 - t0 < 2.5 and t2 - t1 < 2.5  # not the 5 s attempt timeout; slack for load
    assert len(fake_openai.requests) == 2


# ------------------------------------------------------------------ the judge's deadline per transcript


def test_a_hanging_judge_falls_back_at_the_judge_deadline(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario, rubric: Rubric
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_JUDGE_DEADLINE="0.5")  # attempts may take 5 s: the deadline wins
    fake_openai.script = [{"hang": True}]
    _state, conv = _start(scenario)
    judge = scorer(get_settings())  # built (the SDK imported) before the clock starts, as a service does
    t0 = time.perf_counter()
    card = judge.score(conv, rubric)
    took = time.perf_counter() - t0
    assert card.engine == "embedded" and card.criteria
    assert card.fallback_reason == (
        "LLM provider did not answer within the 0.5 s deadline (timeout); used the embedded engine"
    )
    assert 0.5 <= took < 2.5  # not the 5 s attempt timeout; slack for load
    assert len(fake_openai.requests) == 1  # the one attempt used the whole deadline: no retry was started


def test_the_judge_does_not_start_a_retry_that_cannot_finish_before_its_deadline(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario, rubric: Rubric, tmp_path: Path
) -> None:
    # attempts of 0.6 s under a 1.6 s deadline, 10 ms of backoff: after the first timeout ~1 s is left (room for
    # another 0.6 s attempt); after the second ~0.4 s, too little for a third
    config = tmp_path / "sparring.toml"
    config.write_text("[llm.judge]\nbackoff = 0.01\n")
    _configure(monkeypatch, fake_openai, SPARRING_JUDGE_DEADLINE="1.6", SPARRING_LLM_TIMEOUT="0.6",
               SPARRING_LLM_MAX_RETRIES="5", SPARRING_CONFIG=str(config))  # fmt: skip
    fake_openai.script = [{"hang": "after-headers"}]
    _state, conv = _start(scenario)
    judge = scorer(get_settings())  # built (the SDK imported) before the clock starts, as a service does
    t0 = time.perf_counter()
    card = judge.score(conv, rubric)
    took = time.perf_counter() - t0
    assert card.engine == "embedded"
    assert card.fallback_reason == (
        "LLM provider did not answer within the 1.6 s deadline (timeout after 2 attempts); used the embedded engine"
    )
    assert len(fake_openai.requests) == 2
    assert 1.2 <= took < 2.1  # the deadline (plus the embedded scorer and slack), not 6 attempts of 0.6 s


def test_the_judge_deadline_covers_every_sample(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario, rubric: Rubric
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_JUDGE_DEADLINE="0.8", SPARRING_JUDGE_SAMPLES="3")
    evidence = [{"turn": 1, "quote": "What is the COO hoping to see"}]
    answer = {"criteria": [{"id": "explore-before-price", "verdict": "met", "evidence": evidence}]}
    fake_openai.script = [{"args": answer, "sleep": 0.5}, {"hang": True}]
    _state, conv = _start(scenario)
    judge = scorer(get_settings())  # built (the SDK imported) before the clock starts, as a service does
    t0 = time.perf_counter()
    card = judge.score(conv, rubric)
    took = time.perf_counter() - t0
    assert card.engine == "llm:fake-judge"  # the first sample came in time and is kept
    assert card.result("explore-before-price").verdict == "met"
    assert took < 2.5 and len(fake_openai.requests) == 2  # the second sample got what was left, the third nothing


# ------------------------------------------------------------------ the circuit breaker


def test_the_breaker_opens_after_n_failures_and_later_turns_and_scorecards_never_reach_the_server(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario, rubric: Rubric
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="0.2", SPARRING_LLM_BREAKER_FAILURES="2",
               SPARRING_LLM_BREAKER_COOLDOWN="45")  # fmt: skip
    fake_openai.script = [{"hang": True}]
    for _ in range(2):
        reply, _took = _turn(scenario)
        assert reply.fallback_reason and "did not start answering" in reply.fallback_reason
    assert len(fake_openai.requests) == 2

    reply, took = _turn(scenario)
    assert reply.engine == "embedded" and took < 1.0  # the embedded reply's own time (the proof: requests below)
    assert reply.fallback_reason == (
        "LLM provider unavailable (circuit open after 2 failures; retrying in 45 s); used the embedded engine"
    )
    _state, conv = _start(scenario)
    judge = scorer(get_settings())  # built (the SDK imported) before the clock starts, as a service does
    t0 = time.perf_counter()
    card = judge.score(conv, rubric)  # the judge uses the same endpoint: the same breaker
    assert card.engine == "embedded" and time.perf_counter() - t0 < 1.0
    assert card.fallback_reason and "circuit open after 2 failures" in card.fallback_reason
    assert len(fake_openai.requests) == 2  # neither touched the server


def test_another_endpoint_has_its_own_breaker(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="0.2", SPARRING_LLM_BREAKER_FAILURES="1")
    fake_openai.script = [{"hang": True}]
    _turn(scenario)
    other = FakeOpenAI([{"args": ANSWER}]).start()
    try:
        _configure(monkeypatch, other, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="0.2", SPARRING_LLM_BREAKER_FAILURES="1")
        reply, _took = _turn(scenario)
        assert reply.engine == "llm:fake-persona" and len(other.requests) == 1
    finally:
        other.stop()


def test_breaker_failures_zero_switches_it_off(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, scenario: Scenario
) -> None:
    _configure(monkeypatch, fake_openai, SPARRING_LLM_FIRST_TOKEN_TIMEOUT="0.25", SPARRING_LLM_BREAKER_FAILURES="0")
    fake_openai.script = [{"hang": True}]
    for _ in range(4):
        _turn(scenario)
    assert len(fake_openai.requests) == 4
