"""Server warm-up: the built-in content is embedded once, and what stays alive for the process's lifetime is
moved out of the garbage collector's reach (full collections then scan only request garbage)."""

from __future__ import annotations

import gc
import threading

from sparring.web.app import warm_up_engines


def test_warm_up_signals_done_and_freezes_long_lived_objects() -> None:
    done = threading.Event()
    gc.unfreeze()
    try:
        warm_up_engines(done)
        assert done.is_set()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
