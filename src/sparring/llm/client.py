"""One small client over pydantic-ai: structured output, streaming, usage, timeouts, retries, redaction.

Failure policy (docs/llm.md, "Fallback"):
- timeouts, connection errors, 429 and 5xx are retried ``max_retries`` times with exponential backoff;
- malformed output (fails validation against the output model) gets exactly one validation retry;
- anything else (401, 404, 400, a refused setting) is not retried.
When the budget is spent :class:`LLMUnavailable` is raised with a short reason; the engines then hand the
work to the embedded engine and record that reason.

Failing fast (docs/llm.md, "Deadlines and the circuit breaker"):
- ``cfg.deadline`` bounds a whole call, retries included (each attempt's timeout is cut to what is left, and no
  retry starts that cannot finish in time, see :mod:`sparring.llm.deadline`);
- ``cfg.first_token_timeout`` bounds a stream's wait for its first token, retries included; when it passes the
  call fails at once (a provider that says nothing for that long is not asked again in this call);
- every attempt first asks the endpoint's :class:`~sparring.llm.breaker.CircuitBreaker`; while it is open the call
  fails at once without a request, and each attempt's outcome is reported to it.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_ai import Agent, ModelSettings, RunContext
from pydantic_ai.direct import model_request
from pydantic_ai.exceptions import (
    AgentRunError,
    ModelAPIError,
    ModelConnectionError,
    ModelHTTPError,
    ModelRequestTimeout,
    UnexpectedModelBehavior,
)
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.output import NativeOutput, PromptedOutput, ToolOutput

from sparring.kernel.usage import Usage
from sparring.llm.breaker import CircuitBreaker, CircuitOpen
from sparring.llm.bridge import StreamDone, stream_partials, thread_loop
from sparring.llm.config import TaskConfig
from sparring.llm.deadline import Budget
from sparring.llm.structured import SentenceWatch, final_output, partial_output, retry_prompt, tool_params
from sparring.llm.usage import add_usage, make_usage

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
#: seconds over which streamed chunks are grouped before the partial output is re-validated: providers send a
#: chunk per token, and validating each one costs more CPU than the persona's sentence-level streaming needs.
#: A chunk that completes a sentence is parsed at once (see _SentenceWatch), so whole sentences are not held back.
STREAM_DEBOUNCE = 0.03
#: seconds a request gets to go out (the event loop runs it alone) before ``run(while_waiting=...)`` work starts
OVERLAP_SETTLE = 0.005


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


def _missed_first_token(exc: BaseException) -> bool:
    return isinstance(exc, ModelRequestTimeout) and exc.setting == "first_event_timeout"


def _instructions(ctx: RunContext[str]) -> str:
    return ctx.deps


class LLMClient:
    """Calls one model for one task. Sync only: not for use inside a running event loop.

    ``model`` is a pydantic-ai model, or a factory of them. With a factory each thread gets its own model
    (provider SDK clients hold connection pools bound to one event loop, and each thread has its own loop), so
    one client can serve a web server's worker threads.

    ``breaker`` is the endpoint's circuit breaker: ``sparring.engines`` passes the process-wide one, so every
    client of an endpoint shares what it learned; without it the client has its own."""

    def __init__(
        self,
        cfg: TaskConfig,
        model: Model | Callable[[], Model],
        *,
        prices: Mapping[str, Mapping[str, float]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        stream_debounce: float = STREAM_DEBOUNCE,
        overlap_settle: float = OVERLAP_SETTLE,
        breaker: CircuitBreaker | None = None,
    ):
        self.cfg = cfg
        self._shared: Model | None = model if isinstance(model, Model) else None
        self._factory: Callable[[], Model] | None = None if isinstance(model, Model) else model
        self._local = threading.local()
        self.prices = prices
        self._sleep = sleep
        self.stream_debounce = stream_debounce
        self.overlap_settle = overlap_settle
        self.breaker = breaker or CircuitBreaker(cfg.breaker_failures, cfg.breaker_window, cfg.breaker_cooldown)

    @property
    def model(self) -> Model:
        """This thread's model."""
        if self._shared is not None:
            return self._shared
        model: Model | None = getattr(self._local, "model", None)
        if model is None:
            assert self._factory is not None
            model = self._local.model = self._factory()
        return model

    @property
    def model_name(self) -> str:
        return self.cfg.model or self.model.model_name

    @property
    def engine_name(self) -> str:
        return f"llm:{self.model_name}"

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _agent(self, output_type: type[T]) -> Agent[str, Any]:
        agents: dict[type[BaseModel], Agent[str, Any]] = self._local.__dict__.setdefault("agents", {})
        agent = agents.get(output_type)
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
            agents[output_type] = agent
        return agent

    def _prepare(self, output_type: type[BaseModel]) -> None:
        """Build this thread's model (and, for the agent output modes, the agent) before a call's deadlines start."""
        if self.cfg.output_mode == "tool":
            _ = self.model
        else:
            self._agent(output_type)

    def _settings(self, temperature: float | None, *, timeout: float | None = None, deadline: bool = True,
                  first_token: float | None = None) -> ModelSettings:  # fmt: skip
        """``deadline=False`` leaves ``request_timeout`` out: the stream bridge enforces the same whole-attempt
        deadline once per stream instead of pydantic-ai arming a cancel scope around every event. ``timeout``
        (default ``cfg.timeout``) is the attempt's; ``first_token`` sets pydantic-ai's first-event deadline."""
        s: ModelSettings = {
            "temperature": self.cfg.temperature if temperature is None else temperature,
            "max_retries": 0,
        }
        if deadline:
            s["request_timeout"] = self.cfg.timeout if timeout is None else timeout
        if first_token is not None:
            s["first_event_timeout"] = first_token
        if self.cfg.max_tokens:
            s["max_tokens"] = self.cfg.max_tokens
        if self.cfg.provider == "anthropic" and self.cfg.prompt_cache:
            s["cache"] = True  # explicit cache breakpoints on the stable prefix; OpenAI caches implicitly
        return s

    def _usage(self, input_tokens: int, output_tokens: int, requests: int) -> Usage:
        return make_usage(self.model_name, input_tokens, output_tokens, requests, self.prices)

    def _delay(self, attempt: int) -> float:
        base: float = min(self.cfg.max_backoff, self.cfg.backoff * (2**attempt))
        return base * (0.75 + 0.5 * random.random())

    def _next_attempt(self, exc: BaseException, attempt: int, *, budget: Budget, took: float, cut: bool = False,
                      may_retry: bool = True, usage: Usage | None = None) -> int:  # fmt: skip
        """The retry policy in one place: back off and return the next attempt number, or raise LLMUnavailable.
        ``may_retry`` is False once a stream has started (its text already reached the caller); ``took`` is how
        long the failed attempt took and ``cut`` whether the whole-call deadline had shortened its timeout."""
        if _missed_first_token(exc):  # no retry: the turn goes to the embedded engine at once
            raise LLMUnavailable(budget.limit_reason(), usage) from exc
        retryable, reason = classify(exc)
        timed_out = reason == "timeout"
        out_of_time = cut and timed_out
        if retryable and may_retry and attempt < self.cfg.max_retries and not out_of_time:
            delay = self._delay(attempt)
            if budget.allows_retry(delay, took, timed_out):
                self._sleep(delay)
                return attempt + 1
            out_of_time = True
        if retryable and attempt:
            reason = f"{reason} after {attempt + 1} attempts"
        if out_of_time:
            reason = budget.limit_reason(reason)
        raise LLMUnavailable(reason, usage) from exc

    @contextmanager
    def _attempt(self, budget: Budget, attempt: int, usage: Usage | None = None) -> Iterator[None]:
        """One attempt under the endpoint's circuit breaker. A call is refused at once (LLMUnavailable) while the
        breaker is open (its retries are not: they are the call's own budget) and an attempt when no time is left;
        every attempt's outcome is reported (a retryable failure counts, any answer closes the breaker)."""
        if not budget.can_start():
            raise LLMUnavailable(budget.limit_reason("no time left for another attempt"), usage)
        try:
            trial = self.breaker.admit() if attempt == 0 else False
        except CircuitOpen as exc:
            raise LLMUnavailable(exc.reason, usage) from None
        try:
            yield
        except (AgentRunError, TimeoutError) as exc:
            down, _reason = classify(exc)  # timeouts, connection errors, 429, 408, 5xx: the provider is unwell
            if down:
                self.breaker.failure()
            else:
                self.breaker.success()
            raise
        except BaseException:  # ours or the caller's (e.g. a stream abandoned): no verdict on the provider
            if trial:
                self.breaker.release()
            raise
        self.breaker.success()

    def _complete(self, coro: Coroutine[Any, Any, R], while_waiting: Callable[[], object] | None) -> R:
        """Run ``coro`` (one request) on this thread's event loop. With ``while_waiting``, the loop first runs
        the request alone for ``overlap_settle`` seconds (or until it is done), so it goes out undisturbed; then
        ``while_waiting`` runs on this thread while the provider works, and the answer, which waits in the socket
        meanwhile, is read afterwards. One thread, so nothing competes with the request for the GIL. Whatever
        interrupts (an exception from ``while_waiting``, Ctrl-C) cancels the request, whose cleanup runs before the
        exception propagates, so no connection is left open."""
        loop = thread_loop()
        task = loop.create_task(coro)
        try:
            if while_waiting is not None:
                loop.run_until_complete(asyncio.wait({task}, timeout=self.overlap_settle))
                while_waiting()
            return loop.run_until_complete(task)
        except BaseException:
            if not task.done():
                task.cancel()
                with suppress(BaseException):
                    loop.run_until_complete(task)
            raise

    # -- calls ------------------------------------------------------------------------------------------------

    def run(
        self,
        *,
        instructions: str,
        prompt: str,
        output_type: type[T],
        temperature: float | None = None,
        retries: int = 1,
        while_waiting: Callable[[], object] | None = None,
        deadline_at: float | None = None,
    ) -> LLMResult[T]:
        """One structured call: transport retries with backoff, then up to ``retries`` validation retries that
        tell the model what failed validation. ``while_waiting`` is work that does not depend on the answer: it
        runs once, on this thread, while the first attempt's request is with the provider (see ``_complete``).
        ``deadline_at`` (``time.monotonic()`` clock) ends the call, retries included, instead of ``cfg.deadline``
        from now: a caller making several calls (the judge's samples) gives them one deadline."""
        self._prepare(output_type)  # this thread's model (and agent): our set-up, not the provider's time
        budget = Budget(self.cfg.deadline, end_at=deadline_at)
        if self.cfg.output_mode != "tool":
            return self._run_agent(instructions, prompt, output_type, temperature, retries, while_waiting, budget)
        params = tool_params(output_type)
        usage: Usage | None = None
        attempt = 0
        asked = prompt
        while True:
            messages: list[ModelMessage] = [ModelRequest(parts=[UserPromptPart(asked)], instructions=instructions)]
            side, while_waiting = while_waiting, None  # the first attempt only
            timeout, cut = budget.attempt_timeout(self.cfg.timeout)
            settings = self._settings(temperature, timeout=timeout)
            t0 = time.monotonic()
            try:
                with self._attempt(budget, attempt, usage):
                    request = model_request(self.model, messages, model_settings=settings,
                                            model_request_parameters=params)  # fmt: skip
                    response = self._complete(request, side)
            except (AgentRunError, TimeoutError) as exc:
                attempt = self._next_attempt(exc, attempt, budget=budget, took=time.monotonic() - t0, cut=cut,
                                             usage=usage)  # fmt: skip
                continue
            u = response.usage
            usage = add_usage(usage, self._usage(u.input_tokens, u.output_tokens, 1))
            assert usage is not None
            try:
                return LLMResult(final_output(response, output_type), usage, attempt + 1)
            except (ValidationError, ValueError) as exc:
                if retries <= 0:
                    raise LLMUnavailable("malformed output", usage) from exc
                retries -= 1
                asked = retry_prompt(prompt, exc)
                if not budget.can_start():
                    raise LLMUnavailable(budget.limit_reason("malformed output"), usage) from exc

    def _run_agent(
        self,
        instructions: str,
        prompt: str,
        output_type: type[T],
        temperature: float | None,
        retries: int,
        while_waiting: Callable[[], object] | None,
        budget: Budget,
    ) -> LLMResult[T]:
        """A structured call through an agent run, for the native and prompted output modes."""
        agent = self._agent(output_type)
        attempt = 0
        while True:
            side, while_waiting = while_waiting, None  # the first attempt only
            timeout, cut = budget.attempt_timeout(self.cfg.timeout)
            t0 = time.monotonic()
            try:
                with self._attempt(budget, attempt):
                    settings = self._settings(temperature, timeout=timeout)
                    run = agent.run(prompt, deps=instructions, model_settings=settings, retries=retries,
                                    infer_name=False)  # fmt: skip
                    result = self._complete(run, side)
            except (AgentRunError, TimeoutError) as exc:
                attempt = self._next_attempt(exc, attempt, budget=budget, took=time.monotonic() - t0, cut=cut)
                continue
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
        :class:`LLMUnavailable`. Output that fails validation at the end gets one non-streamed retry that is
        told what was wrong.

        In ``tool`` output mode (the default) this uses pydantic-ai's direct model API rather than an agent
        run (the agent graph costs ~10x more CPU per streamed call), through :mod:`sparring.llm.bridge`.

        With ``cfg.first_token_timeout``, the first token must arrive within that many seconds of this call
        (retries included) or :class:`LLMUnavailable` is raised at once; a stream that started may then run up to
        ``cfg.timeout`` (and ``cfg.deadline``, if set)."""
        self._prepare(output_type)
        budget = Budget(self.cfg.deadline, self.cfg.first_token_timeout)
        if self.cfg.output_mode != "tool":
            yield from self._stream_agent(instructions, prompt, output_type, temperature, budget)
            return
        params = tool_params(output_type)
        messages: list[ModelMessage] = [ModelRequest(parts=[UserPromptPart(prompt)], instructions=instructions)]
        attempt = 0
        while True:
            started = False
            timeout, cut = budget.attempt_timeout(self.cfg.timeout)
            t0 = time.monotonic()
            try:
                with self._attempt(budget, attempt):
                    done: StreamDone | None = None
                    for item in stream_partials(
                        self.model,
                        messages,
                        settings=self._settings(temperature, deadline=False),
                        params=params,
                        parse=lambda response: partial_output(response, output_type),
                        debounce=self.stream_debounce,
                        timeout=timeout,
                        first_timeout=budget.first_token_timeout(),
                        eager=SentenceWatch(),
                    ):
                        if isinstance(item, StreamDone):
                            done = item
                        else:
                            started = budget.started = True
                            yield item
                    assert done is not None
                    response, u = done.response, done.usage
            except (AgentRunError, TimeoutError) as exc:
                attempt = self._next_attempt(exc, attempt, budget=budget, took=time.monotonic() - t0, cut=cut,
                                             may_retry=not started)  # fmt: skip
                continue
            usage = self._usage(u.input_tokens, u.output_tokens, 1)
            try:
                output = final_output(response, output_type)
            except (ValidationError, ValueError) as exc:
                # the one validation retry, not streamed, telling the model what was wrong
                try:
                    final = self.run(instructions=instructions, prompt=retry_prompt(prompt, exc),
                                     output_type=output_type, retries=0, deadline_at=budget.end)  # fmt: skip
                except LLMUnavailable as err:
                    raise LLMUnavailable(f"malformed output, then {err.reason}") from err
                yield LLMResult(final.output, add_usage(usage, final.usage) or final.usage, attempt + 2)
                return
            yield LLMResult(output, usage, attempt + 1)
            return

    def _stream_agent(
        self, instructions: str, prompt: str, output_type: type[T], temperature: float | None, budget: Budget
    ) -> Iterator[T | LLMResult[T]]:
        """Streaming through an agent run, for the native and prompted output modes (pydantic-ai enforces the
        deadlines: ``request_timeout`` for the attempt, ``first_event_timeout`` for the first token)."""
        agent = self._agent(output_type)
        attempt = 0
        while True:
            started = False
            timeout, cut = budget.attempt_timeout(self.cfg.timeout)
            t0 = time.monotonic()
            try:
                with self._attempt(budget, attempt):
                    settings = self._settings(temperature, timeout=timeout, first_token=budget.first_token_timeout())
                    with agent.run_stream_sync(prompt, deps=instructions, model_settings=settings) as run:
                        for partial in run.stream_output(debounce_by=self.stream_debounce or None):
                            started = budget.started = True
                            yield partial
                        output = run.get_output()
                        u = run.usage
                yield LLMResult(output, self._usage(u.input_tokens, u.output_tokens, u.requests), attempt + 1)
                return
            except UnexpectedModelBehavior:
                # the one validation retry, without streaming (pydantic-ai cannot retry inside a stream)
                try:
                    final = self.run(instructions=instructions, prompt=prompt, output_type=output_type, retries=0,
                                     deadline_at=budget.end)  # fmt: skip
                except LLMUnavailable as exc:
                    raise LLMUnavailable(f"malformed output, then {exc.reason}", exc.usage) from exc
                yield final
                return
            except (AgentRunError, TimeoutError) as exc:
                attempt = self._next_attempt(exc, attempt, budget=budget, took=time.monotonic() - t0, cut=cut,
                                             may_retry=not started)  # fmt: skip
                continue
