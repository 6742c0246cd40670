from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sparring.nlp.act_annomi import FULL_CSV, MAPPED_ACTS, is_held_out, load_annomi
from sparring.nlp.acts import ACT_NAMES

FIELDS = ["mi_quality", "transcript_id", "video_title", "video_url", "topic", "utterance_id", "interlocutor",
          "timestamp", "utterance_text", "annotator_id", "therapist_input_exists", "therapist_input_subtype",
          "reflection_exists", "reflection_subtype", "question_exists", "question_subtype",
          "main_therapist_behaviour", "client_talk_type"]


def _row(tid: int, uid: int, who: str, text: str, annotator: int = 1, inp: str = "False/n/a",
         refl: str = "False/n/a", q: str = "False/n/a") -> dict[str, str]:
    row = dict.fromkeys(FIELDS, "n/a")
    row.update(transcript_id=str(tid), utterance_id=str(uid), interlocutor=who, utterance_text=text,
               annotator_id=str(annotator))
    if who == "therapist":
        (row["therapist_input_exists"], row["therapist_input_subtype"]) = inp.split("/", 1)
        (row["reflection_exists"], row["reflection_subtype"]) = refl.split("/", 1)
        (row["question_exists"], row["question_subtype"]) = q.split("/", 1)
    return row


def _write(folder: Path, rows: list[dict[str, str]]) -> Path:
    with (folder / FULL_CSV).open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    return folder


def _label(line, name: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    j = ACT_NAMES.index(name)
    return float(line.labels[j]), float(line.mask[j])


def test_codes_map_to_partial_act_labels(tmp_path: Path) -> None:
    folder = _write(tmp_path, [
        _row(7, 0, "client", "I drink most nights."),
        _row(7, 1, "therapist", "Most nights, and it worries you.", refl="True/complex"),
        _row(7, 1, "therapist", "Most nights.", annotator=0, refl="True/simple"),  # a lower annotator id wins
        _row(7, 2, "client", "Yes."),
        _row(7, 3, "therapist", "What would you like to change?", q="True/open"),
        _row(7, 4, "therapist", "Cutting down would lower your blood pressure.", inp="True/advice"),
        _row(7, 5, "therapist", "Let's look at the options.", inp="True/options"),
    ])
    lines = load_annomi(folder)
    assert [line.text for line in lines] == ["Most nights.", "What would you like to change?",
                                             "Cutting down would lower your blood pressure.",
                                             "Let's look at the options."]
    refl, question, advice, options = lines
    assert refl.context == "I drink most nights." and question.context == "Yes."
    assert _label(refl, "reflect_simple") == (1, 1) and _label(refl, "reflect_complex") == (0, 1)
    assert _label(refl, "question_open") == (0, 1) and _label(refl, "information") == (0, 1)
    assert _label(refl, "empathise") == (0, 0)  # AnnoMI does not speak to empathy: unknown, not "no"
    assert _label(question, "question_open") == (1, 1) and _label(question, "question_closed") == (0, 0)
    assert _label(advice, "advice") == (1, 1) and _label(advice, "information") == (0, 0)
    assert _label(options, "advice") == (0, 0) and _label(options, "information") == (0, 0)
    known = {ACT_NAMES[j] for line in lines for j in range(len(ACT_NAMES)) if line.mask[j]}
    assert known <= set(MAPPED_ACTS)


def test_held_out_rule_is_fixed() -> None:
    held = [t for t in map(str, range(133)) if is_held_out(t)]
    assert held == [t for t in map(str, range(133)) if is_held_out(t)]
    assert 15 <= len(held) <= 40  # about a fifth of the transcripts


def test_bad_rows_name_file_and_line(tmp_path: Path) -> None:
    rows = [_row(1, 0, "therapist", "Hi.")]
    rows[0]["utterance_id"] = "x"
    folder = _write(tmp_path, rows)
    with pytest.raises(ValueError, match=r"AnnoMI-full.csv:2: .*utterance_id"):
        load_annomi(folder)
    with pytest.raises(FileNotFoundError, match="AnnoMI full CSV not found"):
        load_annomi(tmp_path / "nowhere")
