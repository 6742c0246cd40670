"""The web load benchmark itself: varied learner lines, and a tiny run end to end (real uvicorn, real client)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[2] / "bench"


def _bench_module() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # web_load imports its client module by name, as when run as a script
    try:
        spec = importlib.util.spec_from_file_location("web_load_bench", BENCH / "web_load.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


def test_every_learner_line_of_the_default_run_is_different() -> None:
    lines, repeated = _bench_module().learner_lines(100, 10)
    flat = [line for learner in lines for line in learner]
    assert len(flat) == 1000 and len(set(flat)) == 1000 and repeated == 0
    # learner n's t-th line follows template (n + t) % 10: the same arc of a call for everyone
    assert lines[0][0].endswith("?") and "It sounds like" in lines[0][1] and "It sounds like" in lines[1][0]
    _, over = _bench_module().learner_lines(250, 10)
    assert over > 0  # more turns than the templates make: reported, not hidden


@pytest.mark.slow
def test_a_small_run_end_to_end_has_no_errors() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "web_load.py"), "--learners", "3", "--turns", "2", "--think-ms", "0",
         "--workers", "1", "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["errors"] == 0 and result["turns_measured"] == 6 and result["repeated_lines"] == 0
    assert result["server_cpu_ms_per_turn"] > 0 and result["client_cpu_ms_per_turn"] >= 0
    assert result["worker_restarts"] == 0
