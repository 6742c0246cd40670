"""bench/store_scale.py runs end to end at a small size on both databases, seeding through bench/_seed.py (shared
with bench/analytics.py): the rows it says, each rep with its analytics roll-up, and a line per timed query."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import sparring_test_support as support
from sqlalchemy import func, select

from sparring.store.db import Database
from sparring.store.models import CriterionResultRow, Rep, ScorecardRow

database_url = support.database_url

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "store_scale.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_store_scale", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_seeds_and_times_every_query(database_url: str, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load()
    monkeypatch.setattr("sys.argv", ["store_scale.py", "--url", database_url, "--reps", "300", "--teams", "3",
                                     "--per-team", "4", "--repeat", "1"])
    bench.main()
    out = capsys.readouterr().out
    assert "seeded 300 reps, 1,500 criterion results, 12 learners" in out
    for name in ("team trend", "skill averages", "learner history", "team reps"):
        assert name in out
    db = Database(database_url)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Rep)) == 300
        assert s.scalar(select(func.count()).select_from(CriterionResultRow)) == 1500
        assert s.scalar(select(func.count()).select_from(Rep).join(ScorecardRow, ScorecardRow.id == Rep.scorecard_id)
                        .where(ScorecardRow.overall == Rep.overall, Rep.seconds == 0)) == 300
    db.dispose()
