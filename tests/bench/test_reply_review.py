"""Reply review (sparring.bench.reply_review): a fixed-seed review sheet, two reviewers' files checked line by
line, and the 'does not follow' rates with the reviewers' agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.bench.reply_review import ReviewError, agreement, make_sheet
from sparring.cli import main


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _exchanges(tmp_path: Path, n: int = 12) -> Path:
    return _write(tmp_path / "ex.jsonl", [
        {"id": f"p1/r{i:02d}#1", "scenario": "sales-pricing-objection", "prior": "Let's talk about the number.",
         "learner": f"line {i}", "reply": f"reply {i}"} for i in range(n)])


def test_the_sheet_is_a_fixed_draw_with_the_scene(tmp_path: Path) -> None:
    ex = _exchanges(tmp_path)
    sheet = make_sheet(ex, 5, seed=3)
    assert len(sheet) == 5 and sheet == make_sheet(ex, 5, seed=3)
    assert [r["id"] for r in sheet] != [r["id"] for r in make_sheet(ex, 5, seed=4)]
    first = sheet[0]
    assert first["counterpart"].startswith("Daniel Okafor") and first["counterpart_before"]
    assert set(first) >= {"id", "title", "learner_role", "learner", "reply"}
    assert len(make_sheet(ex, 50)) == 12  # asking for more than there are takes them all


def test_bad_files_are_named_with_their_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "scenario": "x", "learner": "hi", "reply": "yo"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ReviewError, match=r"bad.jsonl:2: not valid JSON"):
        make_sheet(bad, 1)
    bad.write_text('{"id": "a", "learner": "hi"}\n', encoding="utf-8")
    with pytest.raises(ReviewError, match=r"bad.jsonl:1: scenario: missing"):
        make_sheet(bad, 1)


def test_rates_agreement_and_kappa(tmp_path: Path) -> None:
    sheet = _write(tmp_path / "sheet.jsonl", [{"id": f"x{i}"} for i in range(10)])
    a = ["no", "no", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"]
    b = ["no", "yes", "no", "yes", "yes", "yes", "yes", "yes", "yes", "yes"]
    first = _write(tmp_path / "a.jsonl", [{"id": f"x{i}", "follows": v} for i, v in enumerate(a)])
    second = _write(tmp_path / "b.jsonl", [{"id": f"x{i}", "follows": v, "why": "-"} for i, v in enumerate(b)])
    result = agreement(sheet, first, second)
    assert result["judged"] == 10
    assert result["not_following_rate"] == {"first": 0.2, "second": 0.2, "either": 0.3, "both": 0.1}
    assert result["agreement"] == 0.8 and result["disagreements"] == ["x1", "x2"]
    assert result["kappa"] == pytest.approx(0.375, abs=1e-3)  # (0.8 - 0.68) / 0.32


def test_reviewer_files_must_cover_the_sheet_exactly(tmp_path: Path) -> None:
    sheet = _write(tmp_path / "sheet.jsonl", [{"id": "x0"}, {"id": "x1"}])
    good = _write(tmp_path / "a.jsonl", [{"id": "x0", "follows": "yes"}, {"id": "x1", "follows": "no"}])
    cases = {
        "missing.jsonl": ([{"id": "x0", "follows": "yes"}], r"1 sheet record\(s\) not judged"),
        "stray.jsonl": ([{"id": "x9", "follows": "yes"}], r"stray.jsonl:1: id: 'x9' is not on the review sheet"),
        "maybe.jsonl": ([{"id": "x0", "follows": "maybe"}], r"maybe.jsonl:1: follows: must be"),
        "twice.jsonl": ([{"id": "x0", "follows": "yes"}, {"id": "x0", "follows": "no"}],
                        r"twice.jsonl:2: id: 'x0' judged twice"),
    }
    for name, (records, message) in cases.items():
        with pytest.raises(ReviewError, match=message):
            agreement(sheet, good, _write(tmp_path / name, records))


def test_the_cli_writes_a_sheet_and_reports_agreement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ex = _exchanges(tmp_path, 4)
    sheet = tmp_path / "sheet.jsonl"
    assert main(["bench", "reply-sheet", "--replies", str(ex), "--out", str(sheet), "--n", "3"]) == 0
    ids = [json.loads(line)["id"] for line in sheet.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == 3
    a = _write(tmp_path / "a.jsonl", [{"id": i, "follows": "yes"} for i in ids])
    b = _write(tmp_path / "b.jsonl", [{"id": i, "follows": "no" if n == 0 else "yes"} for n, i in enumerate(ids)])
    capsys.readouterr()
    assert main(["bench", "reply-agreement", str(sheet), str(a), str(b), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["not_following_rate"]["second"] == pytest.approx(0.333, abs=1e-3) and out["kappa"] == 0.0
    assert main(["bench", "reply-agreement", str(sheet), str(a), str(tmp_path / "nope.jsonl")]) == 1
    assert "nope.jsonl: cannot read" in capsys.readouterr().err
