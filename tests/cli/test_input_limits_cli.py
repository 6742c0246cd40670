"""Input limits through the commands (the command-line contract: a user error is one line on stderr, exit 1,
never a traceback): ``sparring score`` and ``sparring practice --script`` with the transcript caps and their
operator flags, and ``sparring content validate|import`` with unsafe YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.cli import main
from sparring.limits import MAX_TURNS, TranscriptLimits

CALL = "Tom: The close takes nine days.\nMaya: Walk me through where the time goes?\nTom: Reconciliations, mostly.\n"
BOMB = "id: laughs\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ncriteria: *d\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err.strip().splitlines()


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_deep_json_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    code, out, err = run(capsys, "score", str(deep), "--rubric", "discovery", "--json")
    assert (code, out) == (1, "")
    assert err == [f"{deep}:1: json: nested too deeply: at most 64 levels (a transcript needs 3)"]
    code, out, err = run(capsys, "score", str(deep), "--rubric", "discovery", "--json", "--no-limits")
    assert code == 1 and len(err) == 1 and "nested too deeply" in err[0]  # never lifted: it guards the parser


def test_a_transcript_over_the_default_turn_cap_is_refused_with_the_flag_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (f"{'Maya' if i % 2 else 'Tom'}: point {i}\n" for i in range(MAX_TURNS + 1))
    big = write(tmp_path, "big.txt", "".join(lines))
    code, out, err = run(capsys, "score", str(big), "--rubric", "discovery", "--rep", "Maya", "--json")
    assert (code, out) == (1, "")
    assert err == [f"{big}:{MAX_TURNS + 1}: turns: too many turns: {MAX_TURNS + 1:,}; at most {MAX_TURNS:,}; an "
                   "operator can raise this with --max-turns N, or lift the limits with --no-limits"]


@pytest.fixture
def tight(monkeypatch: pytest.MonkeyPatch) -> None:
    """Default limits small enough for a three-turn call, so the override flags can be tested by scoring it."""
    monkeypatch.setattr("sparring.cli.limits.DEFAULT_TRANSCRIPT_LIMITS",
                        TranscriptLimits(max_bytes=10_000, max_turns=2, max_turn_words=50, max_words=12))


def test_the_operator_flags_lift_the_limits(tight: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call = write(tmp_path, "call.txt", CALL)
    base = ["score", str(call), "--rubric", "discovery", "--rep", "Maya", "--json"]
    code, out, err = run(capsys, *base)
    assert code == 1 and out == ""
    assert err == [
        f"{call}:3: turns: too many turns: 3; at most 2; an operator can raise this with --max-turns N, or lift the "
        "limits with --no-limits",
        f"{call}:3: words: too many words: 14; at most 12; an operator can raise this with --max-words N, or lift "
        "the limits with --no-limits",
    ]
    code, out, err = run(capsys, *base, "--max-turns", "3")
    assert code == 1 and len(err) == 1 and "too many words: 14" in err[0]
    code, out, err = run(capsys, *base, "--max-turns", "3", "--max-words", "14")
    assert code == 0 and json.loads(out)["rubric"]["id"] == "discovery"
    code, out, err = run(capsys, *base, "--no-limits")
    assert code == 0 and json.loads(out)["criteria"]
    code, out, err = run(capsys, *base, "--no-limits", "--max-turns", "5")
    assert (code, out) == (1, "") and err == ["sparring: --no-limits lifts every limit: give it without "
                                              "--max-turns / --max-words"]
    code, out, err = run(capsys, *base, "--max-turns", "0")
    assert code == 2 and len(err) == 1 and "--max-turns" in err[0]


def test_a_file_over_the_size_cap_is_refused_before_scoring(
    tight: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = write(tmp_path, "big.txt", "Maya: " + "word " * 3_000 + "\n")
    code, out, err = run(capsys, "score", str(big), "--rubric", "discovery", "--json")
    assert (code, out) == (1, "")
    assert err == [f"{big}:0: file: the file is too large (15,007 bytes; at most 10,000); an operator can lift the "
                   "size limits with --no-limits"]


def test_practice_scripts_are_capped_by_line(tight: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = write(tmp_path, "script.txt", "Hello there?\n# a comment\n" + "and what else " * 20 + "matters?\n")
    code, out, err = run(capsys, "practice", "sales-guarded-discovery", "--script", str(script), "--json")
    assert (code, out) == (1, "")
    assert err[0] == f"{script}:3: turns[1].text: too many words in one turn: more than 50; an operator can lift " \
                     "the size limits with --no-limits"
    lines = write(tmp_path, "lines.txt", "Hi?\nWhy now?\nWho decides?\n")
    code, out, err = run(capsys, "practice", "sales-guarded-discovery", "--script", str(lines), "--json")
    assert code == 1 and err[0].startswith(f"{lines}:3: turns: too many turns: 3; at most 2")
    code, out, err = run(capsys, "practice", "sales-guarded-discovery", "--script", str(lines), "--json",
                         "--max-turns", "3")
    assert code == 0, err
    assert [t["text"] for t in json.loads(out)["turns"] if t["role"] == "learner"][:3] == ["Hi?", "Why now?",
                                                                                           "Who decides?"]


def test_unsafe_yaml_is_refused_by_validate_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = write(tmp_path, "bomb.yaml", BOMB)
    for command in (["content", "validate"], ["content", "import"]):
        code, out, err = run(capsys, *command, str(bomb))
        assert (code, out) == (1, "")
        assert err == [f"{bomb}:{n}: {k}: anchors (&{k}) are not allowed in content; write the value out in full"
                       for n, k in ((2, "a"), (3, "b"), (4, "c"), (5, "d"))] + [
            f"{bomb}:6: criteria: aliases (*d) are not allowed in content; write the value out in full"]
