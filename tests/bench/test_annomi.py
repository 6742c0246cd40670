from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.bench.annomi import DatasetError, auc, load_sessions, macro_f1, residualise, run_annomi, stratified_auc
from sparring.cli import main

ANNOMI = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "annomi"
needs_data = pytest.mark.skipif(not (ANNOMI / "AnnoMI-simple.csv").is_file(),
                                reason=f"AnnoMI not found at {ANNOMI} (the shared datasets directory)")


def test_auc_and_macro_f1() -> None:
    assert auc([3, 2, 1], [True, True, False]) == 1.0
    assert auc([1, 2, 3], [True, True, False]) == 0.0
    assert auc([1, 1], [True, False]) == 0.5
    assert auc([1, 2], [True, True]) is None
    assert macro_f1(["question", "other"], ["question", "other"], ["question", "other"]) == 1.0
    assert macro_f1(["question", "other"], ["other", "other"], ["question", "other"]) == pytest.approx(1 / 3)
    # within strata: (high 2 > low 1) in stratum 0, (high 5 < low 9) in stratum 1
    assert stratified_auc([2, 1, 5, 9], [True, False, True, False], [0, 0, 1, 1]) == 0.5
    res = residualise([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert max(abs(r) for r in res) < 1e-9


def test_missing_dataset_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DatasetError, match=r"AnnoMI-simple\.csv"):
        load_sessions(tmp_path)
    assert main(["bench", "annomi", "--data", str(tmp_path), "--json"]) == 1
    err = capsys.readouterr().err
    assert "AnnoMI-simple.csv" in err and "Traceback" not in err


@needs_data
def test_subset_out_of_fold() -> None:
    sessions = load_sessions(ANNOMI, limit=8)
    assert len(sessions) == 8 and {s.quality for s in sessions} == {"high", "low"}
    seen: list[int] = []

    def length_scorer(conv):  # type: ignore[no-untyped-def]
        seen.append(len(conv.turns))
        return float(len(conv.turns))

    result = run_annomi(ANNOMI, limit=8, folds=2, session_scorer=length_scorer)
    assert len(seen) == 8
    assert result["sessions"] == 8 and result["folds"] == 2
    assert 0.0 <= result["utterance_macro_f1"] <= 1.0
    # scoring by length must reproduce the length-only AUC exactly, and nothing is left after removing length
    assert result["session_auc"] == result["length_only_auc"]
    assert result["session_auc_length_controlled"] == 0.5


@needs_data
@pytest.mark.slow
def test_cli_bench_on_a_subset_with_the_real_scorer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "annomi", "--data", str(ANNOMI), "--limit", "6", "--folds", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("utterance_macro_f1", "session_auc", "session_auc_length_controlled", "seconds"):
        assert key in out
    assert out["sessions"] == 6 and out["seconds"] > 0


@needs_data
@pytest.mark.slow
def test_worker_processes_give_the_same_numbers_as_one_process() -> None:
    timing = {"seconds", "cpu_seconds", "train_seconds", "train_cpu_seconds", "workers"}
    one = run_annomi(ANNOMI, limit=6, folds=2, workers=1)
    two = run_annomi(ANNOMI, limit=6, folds=2, workers=2)
    assert one["workers"] == 1 and two["workers"] == 2
    assert {k: v for k, v in one.items() if k not in timing} == {k: v for k, v in two.items() if k not in timing}
    assert two["cpu_seconds"] > 0 and two["train_cpu_seconds"] > 0


@needs_data
def test_a_one_process_run_leaves_the_embedding_threads_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPARRING_EMBED_THREADS", raising=False)
    run_annomi(ANNOMI, limit=4, folds=2, session_scorer=lambda conv: float(len(conv.turns)))
    import os

    assert "SPARRING_EMBED_THREADS" not in os.environ


@needs_data
def test_seeded_splits_partition_the_sessions_differently() -> None:
    from sparring.bench.annomi import _folds

    sessions = load_sessions(ANNOMI, limit=12)
    standard = _folds(sessions, 3)
    seeded = [_folds(sessions, 3, seed) for seed in (1, 2)]
    for split in [standard, *seeded]:
        assert sorted(i for fold in split for i in fold) == list(range(12))  # every session tested exactly once
    assert _folds(sessions, 3, 1) == seeded[0]  # a seed is reproducible
    assert any(split != standard for split in seeded)
