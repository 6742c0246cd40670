"""``sparring score``, ``sparring rubric test`` and ``sparring rubric lint``: exit codes, one-line errors and the
scorecard JSON shape of docs/scoring.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.cli import main
from sparring.content.library import get_library

LIB = get_library()
RUBRIC_DIR = LIB.rubric_paths["discovery"].parent
STRONG = RUBRIC_DIR / "tests" / "discovery-strong.txt"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_score_json_has_the_contract_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "score", str(STRONG), "--rubric", "discovery", "--json")
    assert code == 0, err
    card = json.loads(out)
    assert {"rubric", "engine", "overall", "passed", "blockers", "criteria", "metrics", "feedback"} <= set(card)
    assert set(card["rubric"]) >= {"id", "version"} and card["rubric"]["id"] == "discovery"
    assert card["engine"] == "embedded" and 0 <= card["overall"] <= 100 and isinstance(card["passed"], bool)
    for c in card["criteria"]:
        assert {"id", "kind", "score", "max", "verdict", "evidence", "rationale"} <= set(c)
        assert c["verdict"] in ("met", "partly", "missed", "n/a")
        for ev in c["evidence"]:
            assert set(ev) >= {"turn", "quote"}
    assert {"talk_share", "question_count", "open_question_share", "longest_monologue_words"} <= set(card["metrics"])
    assert "words_per_minute" not in card["metrics"] or card["metrics"]["words_per_minute"] is None  # untimed
    assert {"landed", "missed", "next_drill", "better_line"} <= set(card["feedback"])
    assert [c["id"] for c in card["criteria"]] == [c.id for c in LIB.rubrics["discovery"].criteria]


def test_score_with_a_rubric_file_and_rep(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    transcript = tmp_path / "call.txt"
    transcript.write_text("Tom: The close takes nine days.\nMaya: Walk me through where the time goes?\n"
                          "Tom: Reconciliations, mostly.\n")  # fmt: skip
    rubric_file = LIB.rubric_paths["discovery"]
    code, out, err = run(capsys, "score", str(transcript), "--rubric", str(rubric_file), "--rep", "Maya", "--json")
    assert code == 0, err
    card = json.loads(out)
    quotes = [e["quote"] for c in card["criteria"] for e in c["evidence"]]
    assert quotes and all(q in transcript.read_text() for q in quotes)
    assert "Tom:" not in " ".join(quotes)


def test_score_prints_a_readable_table_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "score", str(STRONG), "--rubric", "discovery")
    assert code == 0
    assert "Score:" in out and "open-questions" in out and "Next drill" in out


@pytest.mark.parametrize("columns", ["80", "160"])
def test_every_criterions_reason_is_shown_on_narrow_and_wide_terminals(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    code, out, _ = run(capsys, "score", str(STRONG), "--rubric", "discovery", "--json")
    card = json.loads(out)
    code, out, _ = run(capsys, "score", str(STRONG), "--rubric", "discovery")
    assert code == 0
    flat = " ".join(out.split()).replace("│", "").replace(" ", "")
    for criterion in card["criteria"]:
        # the opening words of each rationale, wherever the table or the "Why" list wrapped them
        assert "".join(criterion["rationale"].split()[:6]) in flat, criterion["id"]
    assert ("Why" in out.splitlines()) == (columns == "80")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["score", "missing.txt", "--rubric", "discovery"], "missing.txt"),
        (["score", str(STRONG), "--rubric", "no-such-rubric"], "unknown rubric 'no-such-rubric'"),
        (["score", str(STRONG)], "--rubric"),
        (["rubric", "test", "no-such-rubric"], "unknown rubric"),
    ],
)
def test_user_errors_are_one_line_without_traceback(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == ""
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_rubric_test_passes_for_a_built_in_rubric(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rubric", "test", "de-escalation")
    assert code == 0 and "3 passed, 0 failed" in out


def test_rubric_test_exits_1_and_names_the_wrong_verdicts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = LIB.rubric_paths["de-escalation"].read_text()
    # claim that the defensive rep acknowledges the emotion: a wrong expectation
    broken = src.replace("expect: {acknowledge-emotion: missed, clarify-issue: missed",
                         "expect: {acknowledge-emotion: met, clarify-issue: missed")  # fmt: skip
    assert broken != src
    (tmp_path / "tests").mkdir()
    for src_file in (RUBRIC_DIR / "tests").glob("de-escalation-*.txt"):
        (tmp_path / "tests" / src_file.name).write_text(src_file.read_text())
    path = tmp_path / "de-escalation.yaml"
    path.write_text(broken)
    code, out, _ = run(capsys, "rubric", "test", str(path))
    assert code == 1
    assert "FAIL" in out and "acknowledge-emotion: expected met, got missed" in out and "2 passed, 1 failed" in out
    code, out, _ = run(capsys, "rubric", "test", str(path), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert doc["tests"][1]["mismatches"] == [{"criterion": "acknowledge-emotion", "expected": "met", "got": "missed"}]


def test_rubric_lint(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "rubric", "lint", "renewal-value")
    assert code == 0 and "ok: no warnings" in out
    vague = tmp_path / "vague.yaml"
    vague.write_text("id: vague\ntitle: Vague\ncriteria:\n  - id: a\n    kind: check\n    name: Listens well\n")
    code, out, _ = run(capsys, "rubric", "lint", str(vague))
    assert code == 0 and f"warning: {vague}:6: criteria[0].name (a): 'well' is vague" in out
    code, _, _ = run(capsys, "rubric", "lint", str(vague), "--strict")
    assert code == 1


def test_bad_rubric_and_bad_transcript_name_file_line_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rubric = tmp_path / "bad.yaml"
    rubric.write_text("id: x\ntitle: Broken\ncriteria:\n  - id: a\n    kind: metric\n    name: Talk share\n"
                      "    metric: talk_shar\n")  # fmt: skip
    code, out, err = run(capsys, "score", str(STRONG), "--rubric", str(rubric), "--json")
    assert code == 1 and out == ""
    assert err.startswith(f"{rubric}:7: criteria[0].metric: unknown metric 'talk_shar'")
    transcript = tmp_path / "bad.txt"
    transcript.write_text("no speaker line here\n")
    code, out, err = run(capsys, "score", str(transcript), "--rubric", "discovery", "--json")
    assert code == 1 and out == "" and err.startswith(f"{transcript}:1: ") and "Traceback" not in err
