"""Drive one async model stream from sync code, crossing between the two only once per debounce window.

pydantic-ai's ``model_request_stream_sync`` hands every provider event (one per token) across the sync/async
boundary; at ~150 tokens a reply that cost about three times the CPU of the stream itself. Here one task on
the thread's event loop (the same loop pydantic-ai's own sync calls use, so async HTTP clients are shared
safely) holds the stream open, parses partial output at most once per ``debounce`` seconds and queues it;
the sync side only wakes for those. The task enters and leaves the stream's context in one task, so cancel
scopes never straddle tasks. The attempt's deadline (``timeout``, the whole stream included, as pydantic-ai's
``request_timeout`` would) is one ``asyncio.timeout`` around the task rather than a cancel scope per event; a
first-token deadline (``first_timeout``, as pydantic-ai's ``first_event_timeout``) is the same timeout armed
earlier and moved to the whole-stream deadline when the first event arrives.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic_ai.direct import model_request_stream
from pydantic_ai.exceptions import ModelRequestTimeout
from pydantic_ai.messages import ModelMessage, ModelResponse, ModelResponseStreamEvent
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RequestUsage

P = TypeVar("P")


@dataclass
class StreamDone:
    response: ModelResponse
    usage: RequestUsage


@dataclass
class _Partial(Generic[P]):
    value: P


def thread_loop() -> asyncio.AbstractEventLoop:
    """The calling thread's event loop, created if needed (the same rule as pydantic-ai's sync helpers)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            loop = asyncio.get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    return loop


def stream_partials(
    model: Model,
    messages: Sequence[ModelMessage],
    *,
    settings: ModelSettings,
    params: ModelRequestParameters,
    parse: Callable[[ModelResponse], P | None],
    debounce: float,
    timeout: float | None = None,
    first_timeout: float | None = None,
    eager: Callable[[ModelResponseStreamEvent], bool] | None = None,
) -> Iterator[P | StreamDone]:
    """Yield ``parse(response so far)`` when it is not None (at most once per ``debounce`` seconds, or at once
    after an event for which ``eager`` is true, e.g. one that completes a sentence), then a
    :class:`StreamDone`. Exceptions from the provider are raised in the caller's thread; when the whole stream
    takes longer than ``timeout`` seconds (time the caller spends between items included) it is cancelled and
    :class:`TimeoutError` is raised. When no event arrived within ``first_timeout`` seconds (the headers of a
    response that then stalls do not count) it is cancelled and ``ModelRequestTimeout`` is raised with
    ``setting="first_event_timeout"``."""
    loop = thread_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def produce() -> None:
        start = loop.time()
        total_at = None if timeout is None else start + timeout
        first_at = None if first_timeout is None else start + first_timeout
        started = False
        try:
            try:
                async with asyncio.timeout_at(_earliest(first_at, total_at)) as deadline, model_request_stream(
                    model, list(messages), model_settings=settings, model_request_parameters=params
                ) as stream:
                    last = float("-inf")
                    async for event in stream:
                        if not started:
                            started = True
                            deadline.reschedule(total_at)
                        now = time.perf_counter()
                        urgent = eager is not None and eager(event)  # called for every event: it may keep state
                        if now - last < debounce and not urgent:
                            continue
                        partial = parse(stream.get())
                        if partial is not None:
                            last = now
                            queue.put_nowait(_Partial(partial))
                    queue.put_nowait(StreamDone(stream.get(), stream.usage))
            except TimeoutError:
                if not started and first_at is not None and (total_at is None or first_at < total_at):
                    assert first_timeout is not None
                    raise ModelRequestTimeout(model.model_name, first_timeout, setting="first_event_timeout") from None
                raise
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the sync side, which raises it
            queue.put_nowait(exc)

    task = loop.create_task(produce())
    try:
        while True:
            item = loop.run_until_complete(queue.get())
            if isinstance(item, _Partial):
                yield item.value
            elif isinstance(item, StreamDone):
                yield item
                return
            else:
                raise item
    finally:
        if not task.done():  # the consumer stopped early: close the stream (and its connection) now
            task.cancel()
            with suppress(BaseException):
                loop.run_until_complete(task)


def _earliest(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None
