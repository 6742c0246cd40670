"""``sparring practice --script``: every line is checked like a turn before the rep starts, so a line with a NUL
or an unpaired surrogate is a one-line error naming the file and line, exit 1, and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines, imported_content_url  # noqa: F401  (fixtures)

database_url = support.database_url
SCENARIO = "test-guarded-buyer"
run = support.run_cli


def _no_reps(capsys: pytest.CaptureFixture[str]) -> bool:
    code, out, _ = run(capsys, "history", "--json")
    return code == 0 and json.loads(out) == []


def test_a_nul_in_a_script_line_is_a_one_line_error_and_nothing_is_stored(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    script = tmp_path / "s.txt"
    script.write_text("What slows your team down?\n# note\nAnd the\x00 price?\n", encoding="utf-8")
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(script), "--json")
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.strip() == f"sparring: script file {script}, line 3: text: contains a NUL character (\\x00), " \
                          "which text never holds"
    assert _no_reps(capsys)  # checked before the rep started: not even the first line is stored


def test_an_unpaired_surrogate_in_a_json_transcript_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    script = tmp_path / "t.json"
    script.write_text(json.dumps({"turns": [{"speaker": "Dana Reyes", "role": "counterpart", "text": "Yes?"},
                                            {"speaker": "Sam", "role": "learner", "text": "Fine \ud800 then"}]}))
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(script), "--json")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    # the transcript reader refuses it, naming the file and line (the JSON document is one line)
    assert f"{script}:1: text: contains an unpaired surrogate" in err and "Fine" not in err
    assert _no_reps(capsys)


def test_bidi_overrides_are_removed_from_script_lines(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    script = tmp_path / "s.txt"
    script.write_text("What \u202eslows\u202c your team down?\n", encoding="utf-8")
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(script), "--json")
    assert code == 0, err
    learner = [t["text"] for t in json.loads(out)["turns"] if t["role"] == "learner"]
    assert learner == ["What slows your team down?"]


def test_a_rep_id_no_row_can_have_is_unknown(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "practice", "--resume", "1180591620717411303424", "--json")
    assert code == 1 and out == ""
    assert err.strip() == "sparring: unknown rep 1180591620717411303424"
