"""The second annotation: reading it, the training mask of disagreed acts, Cohen's kappa and the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sparring.nlp.act_agreement import agreement, agreement_masks, kappa, load_second, read_second
from sparring.nlp.act_corpus import CorpusError, load_training, main
from sparring.nlp.acts import ACT_NAMES

FIRST = {  # id -> the writer's acts
    "w1-0001": ["question_open"],
    "w1-0002": ["empathise", "question_open"],
    "w1-0003": ["other"],
    "w2-0001": ["acknowledge"],
}
SECOND = {  # id -> the second annotator's acts
    "w1-0001": ["question_open"],
    "w1-0002": ["empathise", "reflect_complex"],
    "w1-0003": ["small_talk"],
    "w2-0001": ["acknowledge"],
}


def _jsonl(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _corpus(folder: Path, second: dict[str, list[str]] | None = None) -> Path:
    for writer in ("w1", "w2"):
        _jsonl(folder / f"{writer}.jsonl", [
            {"id": i, "author": writer, "voice": "warm", "domain": "sales", "context": "We lost the deal.",
             "text": f"Line {i}?", "acts": acts} for i, acts in FIRST.items() if i.startswith(writer)])
    for writer in ("w1", "w2"):
        records = [{"id": i, "acts": a} for i, a in (second or SECOND).items() if i.startswith(writer)]
        if records:
            _jsonl(folder / "second" / f"{writer}.jsonl", records)
    return folder


def _col(name: str) -> int:
    return ACT_NAMES.index(name)


def test_disagreed_acts_are_masked_and_agreed_acts_kept(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    lines = load_training(folder)
    second = load_second(folder, lines)
    assert second["w1-0002"] == frozenset({"empathise", "reflect_complex"})
    mask = agreement_masks(lines, second)
    row = {line.id: r for r, line in enumerate(lines)}
    assert mask[row["w1-0001"]].all() and mask[row["w2-0001"]].all()
    m2 = mask[row["w1-0002"]]
    assert m2[_col("question_open")] == 0 and m2[_col("reflect_complex")] == 0
    assert m2[_col("empathise")] == 1 and m2[_col("acknowledge")] == 1  # agreed present / agreed absent
    assert int((mask[row["w1-0003"]] == 0).sum()) == 2  # other vs small_talk
    assert int((mask == 0).sum()) == 4


def test_no_second_folder_means_no_mask(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    for f in (folder / "second").iterdir():
        f.unlink()
    (folder / "second").rmdir()
    lines = load_training(folder)
    assert load_second(folder, lines) == {}
    assert agreement_masks(lines, {}).all()


def test_a_subset_of_lines_gets_its_own_second_annotation(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    lines = [line for line in load_training(folder) if line.id in ("w1-0002", "w2-0001")]  # e.g. a smoke run
    assert set(load_second(folder, lines)) == {"w1-0002", "w2-0001"}


def test_a_writer_without_second_file_keeps_its_labels(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, second={"w1-0002": ["empathise"]})
    lines = load_training(folder)
    second = load_second(folder, lines)
    assert set(second) == {"w1-0002"}
    mask = agreement_masks(lines, second)
    assert int((mask == 0).sum()) == 1


def test_second_file_problems_are_located(tmp_path: Path) -> None:
    f = tmp_path / "second" / "w1.jsonl"
    f.parent.mkdir()
    f.write_text("\n".join([
        json.dumps({"id": "w1-0001", "acts": ["question_open"]}),
        "{oops",
        json.dumps({"id": "w1-0002", "acts": ["made_up"]}),
        json.dumps({"id": "w1-0003", "acts": ["other", "small_talk"]}),
        json.dumps({"id": "w2-0001", "acts": ["acknowledge"]}),
        json.dumps({"id": "w1-0001", "acts": ["question_open"]}),
        json.dumps({"id": "w1-0004", "acts": []}),
    ]) + "\n", encoding="utf-8")
    found, problems = read_second(f)
    assert set(found) == {"w1-0001"}
    text = "\n".join(problems)
    assert f"{f}:2: (json)" in text
    assert f"{f}:3: acts: unknown act(s) 'made_up'" in text
    assert f"{f}:4: acts: 'other' stands alone" in text
    assert f"{f}:5: id: 'w2-0001' is not a line of writer 'w1'" in text
    assert f"{f}:6: id: 'w1-0001' is annotated twice" in text
    assert f"{f}:7: acts: must be a non-empty list" in text


def test_unknown_ids_and_a_frozen_writers_second_file_are_refused(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, second={**SECOND, "w1-0099": ["acknowledge"]})
    lines = load_training(folder)
    with pytest.raises(CorpusError, match="'w1-0099' is not a line"):
        load_second(folder, lines)
    folder = _corpus(tmp_path / "b")
    _jsonl(folder / "second" / "w5.jsonl", [{"id": "w5-0001", "acts": ["acknowledge"]}])
    with pytest.raises(CorpusError, match="frozen test writer"):
        load_second(folder, load_training(folder))


def test_kappa() -> None:
    a = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    assert kappa(a, a) == pytest.approx(1.0)
    assert kappa(a, 1 - a) == pytest.approx(-30 / 34)  # never agree: p_e = 2 * 3/8 * 5/8 = 30/64
    b = np.array([1, 0, 0, 0, 1, 0, 0, 1])  # 6 of 8 agree; p_a = p_b = 3/8
    pe = (3 / 8) ** 2 + (5 / 8) ** 2
    assert kappa(a, b) == pytest.approx((6 / 8 - pe) / (1 - pe))
    assert np.isnan(kappa(np.zeros(4), np.zeros(4)))


def test_agreement_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _corpus(tmp_path)
    lines = load_training(folder)
    r = agreement(lines, load_second(folder, lines))
    assert r["lines"] == 4 and r["lines_without_second"] == 0
    assert r["identical_sets"] == pytest.approx(0.5)
    assert r["identical_by_writer"] == {"w1": pytest.approx(1 / 3), "w2": 1.0}
    assert r["masked_entries"] == 4
    assert r["per_act"]["question_open"] == {"first": 2, "second": 1, "both": 1, "kappa": pytest.approx(0.5)}
    assert r["per_act"]["acknowledge"]["kappa"] == pytest.approx(1.0)
    assert main(["agreement", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "4 lines annotated twice" in out and "identical act sets 50.0%" in out
    assert "question_open" in out and "kappa" in out


def test_agreement_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _corpus(tmp_path, second={"w1-0001": ["question_open"]})
    for f in (folder / "second").iterdir():
        f.unlink()
    assert main(["agreement", str(folder)]) == 1
    assert "no second annotation" in capsys.readouterr().err
    assert main(["agreement"]) == 2
