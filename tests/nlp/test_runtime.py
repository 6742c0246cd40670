from __future__ import annotations

import threading

import pytest

from sparring.nlp import runtime


def test_run_batches_keeps_the_order_and_spreads_large_calls() -> None:
    names: set[str] = set()
    gate = threading.Barrier(2, timeout=10)

    def work(x: int) -> int:
        names.add(threading.current_thread().name)
        if x < 2:
            gate.wait()  # the first two batches only finish when they run at the same time
        return x * x

    assert runtime.run_batches(work, list(range(8)), threads=2) == [x * x for x in range(8)]
    assert len(names) == 2
    caller = threading.current_thread().name
    names.clear()
    assert runtime.run_batches(lambda x: names.add(threading.current_thread().name) or x, [5], threads=2) == [5]
    assert names == {caller}  # one batch runs on the caller's thread
    assert runtime.run_batches(lambda x: x + 1, [1, 2, 3], threads=1) == [2, 3, 4]


def test_default_threads_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_EMBED_THREADS", "1")
    assert runtime.default_threads() == 1
    monkeypatch.setenv("SPARRING_EMBED_THREADS", "nonsense")
    assert 1 <= runtime.default_threads() <= 2
    assert runtime.session_options().intra_op_num_threads == 1


def test_in_background_runs_elsewhere_and_hands_back_result_and_error() -> None:
    caller = threading.current_thread().name
    assert runtime.in_background(lambda: threading.current_thread().name).result(timeout=10) != caller
    assert runtime.in_background(pow, 3, 2).result(timeout=10) == 9

    def fails() -> None:
        raise ValueError("model file missing")

    with pytest.raises(ValueError, match="model file missing"):
        runtime.in_background(fails).result(timeout=10)
