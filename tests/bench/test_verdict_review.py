"""A second reviewer's verdicts on the play corpus (sparring.bench.verdict_review): located problems and the
writer-vs-reviewer agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.bench.play import PlayCorpusError, library_criteria
from sparring.bench.verdict_review import review_agreement
from sparring.cli import main

SCENARIO = "cs-renewal-discount"


def _corpus(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    criteria = library_criteria(SCENARIO)
    assert criteria is not None
    verdicts = {cid: ("clear" if kind == "blocker" else "met") for cid, kind in criteria.items()}
    head = [f"# scenario: {SCENARIO}", "# style: skilled", "# writer: p3", "# difficulty: easy",
            "# expected_outcome: success", *(f"# verdict {c}: {v}" for c, v in verdicts.items())]
    (tmp_path / "corpus" / "p3").mkdir(parents=True)
    for name in ("a.txt", "b.txt"):
        (tmp_path / "corpus" / "p3" / name).write_text("\n".join([*head, "What is behind the ask?"]) + "\n",
                                                       encoding="utf-8")
    return tmp_path / "corpus", verdicts


def _review(folder: Path, name: str, outcome: str, verdicts: dict[str, str]) -> None:
    (folder / "p3").mkdir(parents=True, exist_ok=True)
    lines = [f"# expected_outcome: {outcome}", *(f"# verdict {c}: {v}" for c, v in verdicts.items())]
    (folder / "p3" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_agreement_between_writer_and_reviewer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, verdicts = _corpus(tmp_path)
    review = tmp_path / "r2"
    _review(review, "a.txt", "success", verdicts)
    _review(review, "b.txt", "failure", {**verdicts, "next-step": "missed"})
    result = review_agreement(corpus, review)
    assert result["reps"] == 2 and result["verdicts"] == 2 * len(verdicts)
    assert result["verdict_agreement"] == round(1 - 1 / (2 * len(verdicts)), 3)
    assert result["outcome_agreement"] == 0.5
    assert main(["bench", "play-review", str(review), "--corpus", str(corpus), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reps"] == 2


def test_review_problems_name_file_and_line(tmp_path: Path) -> None:
    corpus, verdicts = _corpus(tmp_path)
    review = tmp_path / "r2"
    _review(review, "a.txt", "maybe", {**verdicts, "next-step": "great"})
    _review(review, "zzz.txt", "success", verdicts)
    with pytest.raises(PlayCorpusError) as err:
        review_agreement(corpus, review)
    text = "\n".join(err.value.problems)
    assert "a.txt:1: expected_outcome: 'maybe' is not one of" in text
    assert "verdict next-step: must be one of met, partly, missed, n/a" in text
    assert "zzz.txt:1: no rep of that name" in text
    with pytest.raises(PlayCorpusError, match="no reviewed rep files"):
        review_agreement(corpus, tmp_path / "nothing")
