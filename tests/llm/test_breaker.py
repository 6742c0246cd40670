"""The circuit breaker per endpoint: alone with an injectable clock, and in the client against the loopback
server (which requests go out, and when the breaker opens, half-opens and closes)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from sparring.llm.breaker import CircuitBreaker, CircuitOpen, shared_breaker
from sparring.llm.client import LLMClient, LLMResult, LLMUnavailable
from sparring.llm.config import TaskConfig
from sparring.llm.providers import build_model
from sparring.testing.fakes import FakeClock
from sparring.testing.llm import FakeOpenAI


class Answer(BaseModel):
    reply: str



def _client(server: FakeOpenAI, breaker: CircuitBreaker) -> LLMClient:
    cfg = TaskConfig(task="judge", provider="openai-compatible", model="fake", base_url=server.base_url, timeout=5,
                     max_retries=0)  # fmt: skip
    return LLMClient(cfg, lambda: build_model(cfg), breaker=breaker)


def _call(client: LLMClient) -> str:
    try:
        return client.run(instructions="x", prompt="y", output_type=Answer).output.reply
    except LLMUnavailable as exc:
        return exc.reason


def test_after_the_cooldown_one_trial_request_closes_the_breaker(fake_openai: FakeOpenAI) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failures=3, window=60, cooldown=30, clock=clock)
    client = _client(fake_openai, breaker)
    fake_openai.script = [{"status": 502}]
    assert [_call(client) for _ in range(3)] == ["server error (HTTP 502)"] * 3
    assert breaker.state == "open"
    clock.now += 10
    assert "circuit open after 3 failures; retrying in 20 s" in _call(client)
    assert len(fake_openai.requests) == 3

    clock.now += 20  # the cool-down is over: half-open
    assert breaker.state == "half-open"
    fake_openai.script = [{"args": {"reply": "back"}}]
    assert _call(client) == "back"  # the trial request went out and succeeded
    assert breaker.state == "closed" and len(fake_openai.requests) == 4
    assert _call(client) == "back" and len(fake_openai.requests) == 5


def test_a_failed_trial_opens_the_breaker_for_another_cooldown(fake_openai: FakeOpenAI) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failures=2, window=60, cooldown=30, clock=clock)
    client = _client(fake_openai, breaker)
    fake_openai.script = [{"status": 500}]
    _call(client), _call(client)
    clock.now += 31
    assert _call(client) == "server error (HTTP 500)"  # the trial reached the server and failed
    assert len(fake_openai.requests) == 3 and breaker.state == "open"
    assert "circuit open after 3 failures; retrying in 30 s" in _call(client)
    assert len(fake_openai.requests) == 3


def test_an_abandoned_trial_stream_lets_the_next_call_try(fake_openai: FakeOpenAI) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failures=1, window=60, cooldown=30, clock=clock)
    client = _client(fake_openai, breaker)
    fake_openai.script = [{"status": 500}]
    _call(client)
    clock.now += 30
    fake_openai.script = [{"args": {"reply": "One. Two. Three. Four."}, "chunk": 3, "chunk_sleep": 0.03}]
    stream = client.stream(instructions="x", prompt="y", output_type=Answer)
    assert isinstance(next(stream), Answer)  # the trial is under way...
    assert "a trial request is under way" in _call(client)
    stream.close()  # ...and the learner left the page before it ended: no verdict
    items = list(client.stream(instructions="x", prompt="y", output_type=Answer))
    assert isinstance(items[-1], LLMResult) and breaker.state == "closed"


def test_an_answer_that_is_an_error_still_proves_the_endpoint_is_up(fake_openai: FakeOpenAI) -> None:
    breaker = CircuitBreaker(failures=2, window=60, cooldown=30, clock=FakeClock())
    client = _client(fake_openai, breaker)
    fake_openai.script = [{"status": 500}, {"status": 401}, {"status": 500}, {"raw_args": "{"}, {"status": 503}]
    for _ in range(4):
        _call(client)
    assert breaker.state == "closed"  # 500, 401 (answered), 500, malformed (answered): never two in a row
    _call(client)
    assert breaker.state == "open"


# ------------------------------------------------------------------ the breaker alone


def test_failures_outside_the_window_do_not_open_it() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failures=3, window=60, cooldown=30, clock=clock)
    for _ in range(5):
        breaker.admit()
        breaker.failure()
        clock.now += 40  # one failure every 40 s: never three within 60 s
    assert breaker.state == "closed"
    breaker.failure()
    clock.now += 1
    breaker.failure()
    assert breaker.state == "open"  # 40 s, 41 s: three within the window now


def test_only_one_trial_at_a_time_and_a_released_trial_frees_the_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failures=1, window=60, cooldown=30, clock=clock)
    breaker.failure()
    with pytest.raises(CircuitOpen, match=r"retrying in 30 s"):
        breaker.admit()
    clock.now += 30
    assert breaker.admit() is True
    with pytest.raises(CircuitOpen, match="a trial request is under way"):
        breaker.admit()
    breaker.release()
    assert breaker.admit() is True
    breaker.success()
    assert breaker.admit() is False and breaker.state == "closed"




def test_the_process_wide_breaker_is_one_per_endpoint_and_takes_new_settings() -> None:
    a = shared_breaker("openai-compatible http://127.0.0.1:1/v1", 3, 120, 60)
    b = shared_breaker("openai-compatible http://127.0.0.1:1/v1", 5, 100, 30)
    c = shared_breaker("openai-compatible http://127.0.0.1:2/v1", 3, 120, 60)
    assert a is b and a is not c
    assert (a.failures, a.window, a.cooldown) == (5, 100, 30)
