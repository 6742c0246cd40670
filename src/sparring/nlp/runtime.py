"""How the shipped ONNX models run (the sentence embedder and the act encoder): one intra-op thread per model
call, and the batches of a large call spread over ``threads`` Python threads.

Why not onnxruntime's own thread pool: most calls on the reply path are one short line (~20 tokens), too small to
split between cores. With two intra-op threads such a call paid for the hand-off and spin-waiting, and on this
2-core machine shared with other work it took about twice the wall time of the same call on one thread (embedder
p50 17 vs 9 ms, act model 7.6 vs 3.4 ms at load ~10; docs/benchmarks.md). A large call (a transcript to score) is
already cut into independent batches, so those batches run side by side, one per core, each on one thread: the
same numbers as reading them one after another (a batch's result does not depend on which thread ran it), with
both cores busy and nothing spinning.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()
#: threads for ``in_background`` (kept apart from the batch pools: a background task may run batches itself,
#: and a pool whose threads all wait on tasks queued behind them would never finish)
BACKGROUND_THREADS = 4
_BACKGROUND: list[ThreadPoolExecutor] = []


def _forget_pools() -> None:
    _POOLS.clear()
    _BACKGROUND.clear()


# a forked child has none of its parent's pool threads: it starts its own pools
os.register_at_fork(after_in_child=_forget_pools)


def default_threads() -> int:
    """Batches run at once: ``SPARRING_EMBED_THREADS``, else up to 2 (one per core on this 2-core machine)."""
    raw = os.environ.get("SPARRING_EMBED_THREADS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(2, os.cpu_count() or 1))


def session_options() -> Any:
    """onnxruntime options for a model call on the caller's thread only (no intra-op pool to hand work to)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return opts


def run_batches(fn: Callable[[T], R], batches: Sequence[T], threads: int) -> list[R]:
    """``[fn(b) for b in batches]``, with up to ``threads`` batches running at once (the caller's thread
    does one call alone: a single batch never waits for a pool thread)."""
    if threads <= 1 or len(batches) <= 1:
        return [fn(b) for b in batches]
    with _POOLS_LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="sparring-model")
    return list(pool.map(fn, batches))


def in_background(fn: Callable[..., R], *args: Any) -> Future[R]:
    """Start ``fn(*args)`` on a background thread (e.g. one model while the caller runs the other); the
    returned future's ``result()`` waits for it and raises what it raised."""
    with _POOLS_LOCK:
        if not _BACKGROUND:
            _BACKGROUND.append(ThreadPoolExecutor(BACKGROUND_THREADS, thread_name_prefix="sparring-ahead"))
        pool = _BACKGROUND[0]
    return pool.submit(fn, *args)
