"""The client over pydantic-ai: retries, backoff, validation retry, streaming, usage — fake models and a
loopback OpenAI-compatible server (the real SDK path)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from sparring.llm.client import LLMClient, LLMResult, LLMUnavailable
from sparring.llm.config import TaskConfig
from sparring.llm.providers import build_model
from sparring.testing.llm import FakeOpenAI


class Answer(BaseModel):
    reply: str
    mood: float = 0.5


def _cfg(base_url: str = "http://127.0.0.1:9/v1", **kw: object) -> TaskConfig:
    values: dict[str, object] = {
        "task": "judge",
        "provider": "openai-compatible",
        "model": "gpt-4o-mini",
        "base_url": base_url,
        "timeout": 5.0,
        "max_retries": 2,
        "backoff": 0.001,
        "max_backoff": 0.002,
    }
    values.update(kw)
    return TaskConfig.model_validate(values)


def _sdk_client(server: FakeOpenAI, **kw: object) -> LLMClient:
    cfg = _cfg(server.base_url, **kw)
    return LLMClient(cfg, lambda: build_model(cfg))  # as engines.py builds it: a model per thread


# ------------------------------------------------------------------ real SDK path over loopback HTTP


def test_structured_call_over_http_returns_output_and_priced_usage(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"args": {"reply": "Hello there", "mood": 0.7}}]
    res = _sdk_client(fake_openai).run(instructions="be brief", prompt="hi", output_type=Answer, temperature=0.0)
    assert res.output == Answer(reply="Hello there", mood=0.7)
    assert res.usage.input_tokens == 100 and res.usage.output_tokens == 20
    assert res.usage.cost_usd == pytest.approx((100 * 0.15 + 20 * 0.60) / 1e6)
    sent = fake_openai.requests[0]
    assert sent["temperature"] == 0.0
    assert sent["messages"][0]["content"] == "be brief"  # instructions first: a stable, cacheable prefix


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_errors_are_retried_then_succeed(fake_openai: FakeOpenAI, status: int) -> None:
    fake_openai.script = [{"status": status}, {"status": status}, {"args": {"reply": "ok"}}]
    res = _sdk_client(fake_openai).run(instructions="x", prompt="y", output_type=Answer)
    assert res.output.reply == "ok"
    assert res.attempts == 3
    assert len(fake_openai.requests) == 3  # the SDK's own retries are off: we own the budget


def test_retry_budget_is_bounded(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"status": 500}]
    with pytest.raises(LLMUnavailable) as err:
        _sdk_client(fake_openai, max_retries=1).run(instructions="x", prompt="y", output_type=Answer)
    assert "server error (HTTP 500)" in err.value.reason and "2 attempts" in err.value.reason
    assert len(fake_openai.requests) == 2


def test_client_errors_are_not_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"status": 401}]
    with pytest.raises(LLMUnavailable) as err:
        _sdk_client(fake_openai).run(instructions="x", prompt="y", output_type=Answer)
    assert "401" in err.value.reason
    assert len(fake_openai.requests) == 1


def test_timeout_is_retried_and_reported(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"sleep": 0.6, "args": {"reply": "late"}}]
    with pytest.raises(LLMUnavailable) as err:
        _sdk_client(fake_openai, timeout=0.2, max_retries=1).run(instructions="x", prompt="y", output_type=Answer)
    assert err.value.reason.startswith("timeout")
    assert len(fake_openai.requests) == 2


def test_malformed_json_gets_one_validation_retry(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"raw_args": '{"reply": "unterminated'}, {"args": {"reply": "fixed"}}]
    res = _sdk_client(fake_openai).run(instructions="x", prompt="y", output_type=Answer)
    assert res.output.reply == "fixed"
    assert len(fake_openai.requests) == 2
    assert res.usage.requests == 2


def test_persistently_malformed_output_gives_up_after_one_retry(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"raw_args": '{"mood": "very"}'}]
    with pytest.raises(LLMUnavailable) as err:
        _sdk_client(fake_openai).run(instructions="x", prompt="y", output_type=Answer)
    assert err.value.reason == "malformed output"
    assert len(fake_openai.requests) == 2


def test_streaming_over_http_yields_partials_then_result(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"args": {"reply": "One. Two. Three.", "mood": 0.2}, "chunk": 5, "chunk_sleep": 0.04}]
    items = list(_sdk_client(fake_openai).stream(instructions="x", prompt="y", output_type=Answer))
    partials = [i for i in items if isinstance(i, Answer)]
    final = items[-1]
    assert isinstance(final, LLMResult)
    assert final.output == Answer(reply="One. Two. Three.", mood=0.2)
    assert len(partials) >= 3
    growing = [p.reply for p in partials]
    assert all(b.startswith(a) for a, b in itertools.pairwise(growing))
    assert fake_openai.requests[0]["stream"] is True


def test_streaming_retries_a_500_before_the_first_chunk(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"status": 500}, {"args": {"reply": "Back."}}]
    items = list(_sdk_client(fake_openai).stream(instructions="x", prompt="y", output_type=Answer))
    assert isinstance(items[-1], LLMResult) and items[-1].output.reply == "Back."
    assert items[-1].attempts == 2


def test_streaming_malformed_output_falls_back_to_one_plain_retry(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"raw_args": '{"reply": 5, "mood": "x"}'}, {"args": {"reply": "Valid now."}}]
    items = list(_sdk_client(fake_openai).stream(instructions="x", prompt="y", output_type=Answer))
    assert isinstance(items[-1], LLMResult) and items[-1].output.reply == "Valid now."
    assert fake_openai.requests[1].get("stream") in (None, False)


def test_streaming_rate_limit_exhausts_budget(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"status": 429}]
    with pytest.raises(LLMUnavailable) as err:
        list(_sdk_client(fake_openai, max_retries=2).stream(instructions="x", prompt="y", output_type=Answer))
    assert "429" in err.value.reason
    assert len(fake_openai.requests) == 3



def test_streaming_timeout_before_the_first_chunk_is_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"sleep": 0.6, "args": {"reply": "late"}}]
    client = _sdk_client(fake_openai, timeout=0.2, max_retries=1)
    with pytest.raises(LLMUnavailable) as err:
        list(client.stream(instructions="x", prompt="y", output_type=Answer))
    assert err.value.reason == "timeout after 2 attempts"
    assert len(fake_openai.requests) == 2


def test_a_stream_slower_than_the_timeout_is_cut_and_not_retried(fake_openai: FakeOpenAI) -> None:
    # the deadline covers the whole stream, not just the wait for the first chunk
    fake_openai.script = [{"args": {"reply": "One. Two. Three. Four. Five. Six."}, "chunk": 3, "chunk_sleep": 0.05}]
    client = _sdk_client(fake_openai, timeout=0.4, max_retries=2)
    seen: list[object] = []
    with pytest.raises(LLMUnavailable) as err:
        for item in client.stream(instructions="x", prompt="y", output_type=Answer):
            seen.append(item)
    assert err.value.reason == "timeout"
    assert seen and all(isinstance(i, Answer) for i in seen)  # it had started: the learner saw part of it
    assert len(fake_openai.requests) == 1


# ------------------------------------------------------------------ unit level with FunctionModel


def test_backoff_grows_and_is_capped() -> None:
    waits: list[float] = []
    calls = 0

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        nonlocal calls
        calls += 1
        from pydantic_ai.exceptions import ModelHTTPError

        raise ModelHTTPError(status_code=503, model_name="m")

    cfg = _cfg(max_retries=4, backoff=1.0, max_backoff=3.0)
    client = LLMClient(cfg, FunctionModel(fn), sleep=waits.append)
    with pytest.raises(LLMUnavailable):
        client.run(instructions="x", prompt="y", output_type=Answer)
    assert calls == 5
    assert len(waits) == 4
    assert 0.75 <= waits[0] <= 1.25 and 1.5 <= waits[1] <= 2.5
    assert all(w <= 3.0 * 1.25 for w in waits)


def test_function_model_stream_partials() -> None:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[dict[int, DeltaToolCall]]:
        args = json.dumps({"reply": "Hi. Bye.", "mood": 0.1})
        for i in range(0, len(args), 4):
            yield {0: DeltaToolCall(name=info.output_tools[0].name if i == 0 else None, json_args=args[i : i + 4])}

    def plain(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"reply": "x"})])

    client = LLMClient(_cfg(), FunctionModel(plain, stream_function=stream), stream_debounce=0.0)
    items = list(client.stream(instructions="x", prompt="y", output_type=Answer))
    assert isinstance(items[-1], LLMResult) and items[-1].output.mood == 0.1
    assert any(isinstance(i, Answer) and i.reply == "Hi. " for i in items) or len(items) > 2
    assert client.engine_name == "llm:gpt-4o-mini"



def test_a_chunk_that_completes_a_sentence_is_parsed_at_once_whatever_the_debounce() -> None:
    args = json.dumps({"reply": "One thing. Two things! Three?", "mood": 0.3})

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[dict[int, DeltaToolCall]]:
        for i in range(0, len(args), 3):
            yield {0: DeltaToolCall(name=info.output_tools[0].name if i == 0 else None, json_args=args[i : i + 3])}

    def plain(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[])

    client = LLMClient(_cfg(), FunctionModel(plain, stream_function=stream), stream_debounce=60.0)
    items = list(client.stream(instructions="x", prompt="y", output_type=Answer))
    replies = [i.reply for i in items if isinstance(i, Answer)]
    # without the sentence watch a 60 s debounce shows nothing between the first parse and the end
    assert any(r.startswith("One thing. ") and "Two" not in r for r in replies)
    assert any(r.startswith("One thing. Two things! ") and "Three" not in r for r in replies)
    assert len(replies) <= 4  # still grouped: not one parse per chunk
    assert isinstance(items[-1], LLMResult) and items[-1].output.reply == "One thing. Two things! Three?"



def test_work_given_to_run_happens_once_while_the_request_is_with_the_model() -> None:
    import asyncio

    log: list[str] = []

    async def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        log.append("request reached the model")
        await asyncio.sleep(0.3)  # the provider working
        log.append("model answered")
        if log.count("model answered") == 1:
            raise ModelHTTPError(status_code=503, model_name="m")  # retried: the side work is not repeated
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"reply": "ok"})])

    client = LLMClient(_cfg(backoff=0.0), FunctionModel(model), sleep=lambda s: None, overlap_settle=0.1)
    res = client.run(instructions="x", prompt="y", output_type=Answer, while_waiting=lambda: log.append("side work"))
    assert res.output.reply == "ok" and res.attempts == 2
    assert log == ["request reached the model", "side work", "model answered", "request reached the model",
                   "model answered"]  # fmt: skip


def test_a_failure_in_the_side_work_cancels_the_request_and_is_raised() -> None:
    import asyncio

    cancelled: list[bool] = []

    async def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return ModelResponse(parts=[])

    def broken() -> None:
        raise KeyError("side")

    client = LLMClient(_cfg(), FunctionModel(model), overlap_settle=0.05)
    with pytest.raises(KeyError):
        client.run(instructions="x", prompt="y", output_type=Answer, while_waiting=broken)
    assert cancelled == [True]


@pytest.mark.parametrize("mode", ["native", "prompted"])
def test_other_output_modes_work_over_http(fake_openai: FakeOpenAI, mode: str) -> None:
    fake_openai.script = [{"args": {"reply": "Plain JSON.", "mood": 0.9}}]
    client = _sdk_client(fake_openai, output_mode=mode)
    assert client.run(instructions="x", prompt="y", output_type=Answer).output.reply == "Plain JSON."
    items = list(client.stream(instructions="x", prompt="y", output_type=Answer))
    assert isinstance(items[-1], LLMResult) and items[-1].output.mood == 0.9
    assert "tools" not in fake_openai.requests[0]
    if mode == "native":
        assert fake_openai.requests[0]["response_format"]["type"] == "json_schema"


def test_prompt_caching_is_requested_from_anthropic_only() -> None:
    model = FunctionModel(lambda m, i: ModelResponse(parts=[]))
    anthropic = LLMClient(_cfg(provider="anthropic", base_url=None, api_key="k"), model)
    assert anthropic._settings(None).get("cache") is True
    assert "cache" not in LLMClient(_cfg(), model)._settings(None)
    off = LLMClient(_cfg(provider="anthropic", base_url=None, api_key="k", prompt_cache=False), model)
    assert "cache" not in off._settings(None)


def test_a_stream_abandoned_midway_is_closed_and_the_client_stays_usable(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [{"args": {"reply": "One. Two. Three. Four."}, "chunk": 3, "chunk_sleep": 0.04},
                          {"args": {"reply": "Next call."}}]  # fmt: skip
    client = _sdk_client(fake_openai)
    stream = client.stream(instructions="x", prompt="y", output_type=Answer)
    first = next(stream)
    assert isinstance(first, Answer)
    stream.close()  # e.g. the learner left the page
    res = client.run(instructions="x", prompt="y", output_type=Answer)
    assert res.output.reply == "Next call."


def test_one_client_serves_many_threads(fake_openai: FakeOpenAI) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake_openai.script = [{"args": {"reply": "Hi. There."}, "chunk": 4}]
    client = _sdk_client(fake_openai)

    def job(_: int) -> tuple[str, str]:
        ran = client.run(instructions="x", prompt="y", output_type=Answer).output.reply
        streamed = list(client.stream(instructions="x", prompt="y", output_type=Answer))[-1]
        assert isinstance(streamed, LLMResult)
        return ran, streamed.output.reply

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(job, range(8)))
    assert results == [("Hi. There.", "Hi. There.")] * 8
