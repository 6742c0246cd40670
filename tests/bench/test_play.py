"""The play corpus reader and runner (sparring.bench.play): located problems, verdict mapping, kappa, and a
real run of a tiny corpus through the embedded engines and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.bench.play import (
    PlayCorpusError,
    cohen_kappa,
    engine_verdict,
    library_criteria,
    load_play,
    parse_rep,
    run_play,
)
from sparring.cli import main

SCENARIO = "cs-renewal-discount"


def _rep(writer: str = "p1", style: str = "skilled", lines: tuple[str, ...] = ("What is behind the ask?",),
         **over: str) -> str:
    criteria = library_criteria(SCENARIO)
    assert criteria is not None
    head = {"scenario": SCENARIO, "style": style, "writer": writer, "difficulty": "easy",
            "expected_outcome": "success", **over}
    verdicts = {cid: ("clear" if kind == "blocker" else "met") for cid, kind in criteria.items()}
    out = [f"# {k}: {v}" for k, v in head.items()] + [f"# verdict {c}: {v}" for c, v in verdicts.items()]
    return "\n".join([*out, *lines]) + "\n"


def test_library_criteria_leave_out_metrics() -> None:
    criteria = library_criteria(SCENARIO)
    assert criteria and "unapproved-discount" in criteria and criteria["unapproved-discount"] == "blocker"
    assert "listening-balance" not in criteria
    assert library_criteria("no-such-scenario") is None


def test_problems_are_located(tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(_rep(style="rude").replace("# verdict next-step: met", "# verdict next-step: maybe")
                 + "# verdict made-up: met\n# colour: blue\n", encoding="utf-8")
    rep, problems = parse_rep(f, library_criteria)
    assert rep is None
    text = "\n".join(problems)
    assert f"{f}:" in text and "header: unknown header 'colour'" in text
    f.write_text(_rep(style="rude").replace("# verdict next-step: met", "# verdict next-step: maybe")
                 + "# verdict made-up: met\n", encoding="utf-8")
    rep, problems = parse_rep(f, library_criteria)
    text = "\n".join(problems)
    assert "style: 'rude' is not one of" in text
    assert "verdict next-step: must be one of met, partly, missed, n/a" in text
    assert "verdict made-up: not a judged criterion" in text
    f.write_text(_rep(scenario="nope"), encoding="utf-8")
    assert "scenario: unknown scenario 'nope'" in "\n".join(parse_rep(f, library_criteria)[1])
    with pytest.raises(PlayCorpusError):
        load_play(tmp_path / "empty")


def test_verdict_mapping_and_kappa() -> None:
    assert engine_verdict("blocker", "missed", True) == "hit"
    assert engine_verdict("blocker", "met", False) == "clear"
    assert engine_verdict("check", "partly", False) == "partly"
    assert cohen_kappa([]) is None
    assert cohen_kappa([("met", "met"), ("missed", "missed")]) == 1.0
    assert cohen_kappa([("met", "met"), ("met", "met")]) is None  # one label only: undefined
    # half agreement on balanced labels is chance level
    assert cohen_kappa([("met", "met"), ("met", "missed"), ("missed", "met"), ("missed", "missed")]) == 0.0


@pytest.mark.slow
def test_a_tiny_corpus_plays_through_the_engines_and_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skilled = ("I hear the pressure on budgets this year. What is driving the request?",
               "Your no-show rate fell from 18% to 11% since reminders went live; that is about $90,000 a year.",
               "If you renew for two years, we can hold this year's price. Could we book thirty minutes with your "
               "COO on Thursday to walk through it?")
    (tmp_path / "p1").mkdir()
    (tmp_path / "p1" / "a.txt").write_text(_rep(lines=skilled), encoding="utf-8")
    (tmp_path / "p1" / "b.txt").write_text(_rep(style="terse", lines=("no.", "price is fixed.")), encoding="utf-8")
    (tmp_path / "p3").mkdir()
    (tmp_path / "p3" / "c.txt").write_text(_rep(writer="p3", lines=skilled), encoding="utf-8")
    result = run_play(tmp_path, split="train")
    assert result["reps"] == 2 and result["split"] == "train"
    assert set(result["success_rate"]) == {"skilled/easy", "terse/easy"}
    assert set(result["scorecard_pass_rate"]) == {"skilled", "terse"}
    assert result["verdict_kappa"] is None or -1.0 <= result["verdict_kappa"] <= 1.0
    assert run_play(tmp_path, split="test")["reps"] == 1
    assert main(["bench", "play", "--corpus", str(tmp_path), "--split", "all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reps"] == 3
    assert main(["bench", "play", "--corpus", str(tmp_path), "--split", "nope"]) == 1
    replies = tmp_path / "exchanges.jsonl"
    assert main(["bench", "play", "--corpus", str(tmp_path), "--replies", str(replies), "--json"]) == 0
    records = [json.loads(line) for line in replies.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records][:1] == ["p1/a#1"]
    first = records[0]
    assert first["learner"] == skilled[0] and first["reply"] and first["prior"]  # the opening line came before
    assert records[1]["prior"] == first["reply"]
    assert {r["style"] for r in records} == {"skilled", "terse"}
