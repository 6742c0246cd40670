"""One small client over pydantic-ai: structured output, streaming, usage, timeouts, retries, redaction.

Failure policy (docs/llm.md, "Fallback"):
- timeouts, connection errors, 429 and 5xx are retried ``max_retries`` times with exponential backoff;
- malformed output (fails validation against the output model) gets exactly one validation retry;
- anything else (401, 404, 400, a refused setting) is not retried.
When the budget is spent :class:`LLMUnavailable` is raised with a short reason; the engines then hand the
work to the embedded engine and record that reason.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pydantic_ai import Agent, ModelSettings, RunContext
from pydantic_ai.exceptions import (
    AgentRunError,
    ModelAPIError,
    ModelConnectionError,
    ModelHTTPError,
    ModelRequestTimeout,
    UnexpectedModelBehavior,
)
from pydantic_ai.models import Model
from pydantic_ai.output import NativeOutput, PromptedOutput, ToolOutput

from sparring.llm.config import TaskConfig
from sparring.llm.usage import make_usage
from sparring.scoring.scorecard import Usage

T = TypeVar("T", bound=BaseModel)
#: seconds over which streamed chunks are grouped before the partial output is re-validated: providers send a
#: chunk per token, and validating each one costs more CPU than the persona's sentence-level streaming needs
STREAM_DEBOUNCE = 0.03


class LLMUnavailable(Exception):
    """The model could not give a valid answer within the retry budget. ``reason`` is short and user-facing."""

    def __init__(self, reason: str, usage: Usage | None = None):
        super().__init__(reason)
        self.reason = reason
        self.usage = usage


@dataclass
class LLMResult(Generic[T]):
    output: T
    usage: Usage
    attempts: int


def classify(exc: BaseException) -> tuple[bool, str]:
    """(retryable, short reason) for an exception raised by a model call."""
    if isinstance(exc, ModelRequestTimeout | TimeoutError):
        return True, "timeout"
    if isinstance(exc, ModelHTTPError):
        code = exc.status_code
        if code == 429:
            return True, "rate limited (HTTP 429)"
        if code == 408 or code >= 500:
            return True, f"server error (HTTP {code})"
        return False, f"request refused (HTTP {code})"
    if isinstance(exc, ModelConnectionError):
        return True, "timeout" if "timeout" in type(exc).__name__.lower() else "connection failed"
    if isinstance(exc, ModelAPIError):
        return False, f"provider error ({type(exc).__name__})"
    if isinstance(exc, UnexpectedModelBehavior):
        return False, "malformed output"
    return False, f"{type(exc).__name__}: {exc}"[:200]


def _instructions(ctx: RunContext[str]) -> str:
    return ctx.deps


class LLMClient:
    """Calls one model for one task. Thread-safe for sync use; not for use inside a running event loop."""

    def __init__(
        self,
        cfg: TaskConfig,
        model: Model,
        *,
        prices: Mapping[str, Mapping[str, float]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.cfg = cfg
        self.model = model
        self.prices = prices
        self._sleep = sleep
        self._agents: dict[type[BaseModel], Agent[str, Any]] = {}

    @property
    def model_name(self) -> str:
        return self.cfg.model or self.model.model_name

    @property
    def engine_name(self) -> str:
        return f"llm:{self.model_name}"

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _agent(self, output_type: type[T]) -> Agent[str, Any]:
        agent = self._agents.get(output_type)
        if agent is None:
            spec: Any
            if self.cfg.output_mode == "native":
                spec = NativeOutput(output_type)
            elif self.cfg.output_mode == "prompted":
                spec = PromptedOutput(output_type)
            else:
                spec = ToolOutput(output_type, name="answer")
            # the instructions travel as deps so one agent serves every scenario and rubric
            agent = Agent(self.model, output_type=spec, retries=1, deps_type=str, instructions=_instructions)
            self._agents[output_type] = agent
        return agent

    def _settings(self, temperature: float | None) -> ModelSettings:
        s: ModelSettings = {
            "temperature": self.cfg.temperature if temperature is None else temperature,
            "request_timeout": self.cfg.timeout,
            "max_retries": 0,
        }
        if self.cfg.max_tokens:
            s["max_tokens"] = self.cfg.max_tokens
        return s

    def _usage(self, input_tokens: int, output_tokens: int, requests: int) -> Usage:
        return make_usage(self.model_name, input_tokens, output_tokens, requests, self.prices)

    def _delay(self, attempt: int) -> float:
        base = min(self.cfg.max_backoff, self.cfg.backoff * (2**attempt))
        return base * (0.75 + 0.5 * random.random())

    # -- calls ------------------------------------------------------------------------------------------------

    def run(
        self,
        *,
        instructions: str,
        prompt: str,
        output_type: type[T],
        temperature: float | None = None,
    ) -> LLMResult[T]:
        """One structured call: transport retries with backoff, one validation retry (inside pydantic-ai)."""
        agent = self._agent(output_type)
        attempt = 0
        while True:
            try:
                result = agent.run_sync(prompt, deps=instructions, model_settings=self._settings(temperature))
            except (AgentRunError, TimeoutError) as exc:
                retryable, reason = classify(exc)
                if retryable and attempt < self.cfg.max_retries:
                    self._sleep(self._delay(attempt))
                    attempt += 1
                    continue
                if retryable and attempt:
                    reason = f"{reason} after {attempt + 1} attempts"
                raise LLMUnavailable(reason) from exc
            u = result.usage
            return LLMResult(result.output, self._usage(u.input_tokens, u.output_tokens, u.requests), attempt + 1)

    def stream(
        self,
        *,
        instructions: str,
        prompt: str,
        output_type: type[T],
        temperature: float | None = None,
    ) -> Iterator[T | LLMResult[T]]:
        """Yield partial outputs as they arrive, then one final :class:`LLMResult`.

        Retries happen only before the first partial output; a stream that breaks later raises
        :class:`LLMUnavailable`. Output that fails validation at the end gets one non-streamed retry.
        """
        agent = self._agent(output_type)
        attempt = 0
        while True:
            started = False
            try:
                settings = self._settings(temperature)
                with agent.run_stream_sync(prompt, deps=instructions, model_settings=settings) as run:
                    for partial in run.stream_output(debounce_by=STREAM_DEBOUNCE):
                        started = True
                        yield partial
                    output = run.get_output()
                    u = run.usage
                yield LLMResult(output, self._usage(u.input_tokens, u.output_tokens, u.requests), attempt + 1)
                return
            except UnexpectedModelBehavior:
                # the one validation retry, without streaming (pydantic-ai cannot retry inside a stream)
                try:
                    final = self.run(instructions=instructions, prompt=prompt, output_type=output_type)
                except LLMUnavailable as exc:
                    raise LLMUnavailable(f"malformed output, then {exc.reason}", exc.usage) from exc
                yield final
                return
            except (AgentRunError, TimeoutError) as exc:
                retryable, reason = classify(exc)
                if retryable and not started and attempt < self.cfg.max_retries:
                    self._sleep(self._delay(attempt))
                    attempt += 1
                    continue
                if retryable and attempt:
                    reason = f"{reason} after {attempt + 1} attempts"
                raise LLMUnavailable(reason) from exc

