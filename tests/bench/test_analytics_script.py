"""bench/analytics.py runs end to end at a small size on both databases: it seeds what it says and times every
analytics query for every cohort (the timings themselves are for docs/benchmarks.md, not checked here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
import sparring_test_support as support
from sqlalchemy import func, select

from sparring.store.db import Database
from sparring.store.models import ConversationRow, CriterionResultRow, Rep, ScorecardRow
from sparring.store.program_models import ProgramRow

database_url = support.database_url

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "analytics.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_analytics", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_seeds_and_times_every_query(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bench = load()
    bench.main(["--url", database_url, "--learners", "30", "--team-size", "10", "--reps-per-learner", "8",
                "--calls-per-learner", "2", "--program", "20", "--repeat", "1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["database"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    timed = {(r["query"], r["cohort"]) for r in out["results"]}
    for cohort in ("learner", "team (10)", "program (20)"):
        for query in ("trends", "skill curve", "practice", "transfer", "coaching needs"):
            assert (query, cohort) in timed
    assert ("insights page (all of it)", "team (10)") in timed
    for cohort in ("learner", "team (10)", "program (20)"):  # the report queries of the programs it made
        assert ("program progress page", cohort) in timed and ("sponsor report (data)", cohort) in timed
    assert all(r["median_ms"] >= 0 for r in out["results"])
    db = Database(database_url)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Rep)) == 240
        assert s.scalar(select(func.count()).select_from(ScorecardRow)) == 300
        assert s.scalar(select(func.count()).where(ConversationRow.source == "call")) == 60
        assert s.scalar(select(func.count()).select_from(CriterionResultRow)) == 1500
        # every rep carries its roll-up, equal to the scorecard and conversation it copies
        wrong = s.scalar(select(func.count()).select_from(Rep)
                         .join(ScorecardRow, ScorecardRow.id == Rep.scorecard_id)
                         .join(ConversationRow, ConversationRow.id == Rep.conversation_id)
                         .where((ScorecardRow.conversation_id != Rep.conversation_id)
                                | (ScorecardRow.overall != Rep.overall) | (ScorecardRow.passed != Rep.passed)
                                | (ConversationRow.private != Rep.private)))
        assert wrong == 0 and s.scalar(select(func.count()).where(Rep.scorecard_id.is_(None))) == 0
        assert s.scalar(select(func.count()).select_from(ProgramRow)) == 3
    db.dispose()
