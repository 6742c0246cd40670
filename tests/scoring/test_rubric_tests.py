"""Running a rubric's own tests: transcript paths resolve against the rubric file, wrong verdicts are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.content.errors import ContentError
from sparring.content.loader import load_rubric_file, parse_model
from sparring.content.rubric import Rubric
from sparring.scoring.rubric_tests import run_rubric_tests

RUBRIC = """
id: mini
title: Mini rubric
pass_mark: 60
criteria:
  - id: next-step
    kind: check
    name: Proposes a dated next step
    examples_positive:
      - "Can we meet on Thursday at ten to go through the options?"
      - "Shall we talk again Monday at 9?"
    examples_negative: ["Get back to me whenever."]
  - id: no-insults
    kind: blocker
    name: Insults the customer
    examples_positive: ["Honestly, that's a stupid question.", "You clearly have no idea what you're doing."]
tests:
{tests}
"""

STRONG = "# roles: Ana=learner, Bo=counterpart\nBo: I need to think.\nAna: Of course. Could we meet Thursday at ten?\n"
WEAK = (
    "# roles: Ana=learner, Bo=counterpart\nBo: I need to think.\n"
    "Ana: That's a stupid question. Get back to me whenever.\n"
)


def _write(tmp_path: Path, tests: str) -> Path:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "strong.txt").write_text(STRONG)
    (tmp_path / "cases" / "weak.txt").write_text(WEAK)
    path = tmp_path / "mini.yaml"
    path.write_text(RUBRIC.format(tests=tests))
    return path


def test_paths_resolve_relative_to_the_rubric_and_right_verdicts_pass(tmp_path: Path) -> None:
    path = _write(tmp_path, """  - transcript: cases/strong.txt
    expect: {next-step: met, no-insults: clear, passed: true}
  - transcript: cases/weak.txt
    expect: {next-step: missed, no-insults: hit, passed: false}""")
    report = run_rubric_tests(load_rubric_file(path), path)
    assert report.ok, [str(m) for o in report.outcomes for m in o.mismatches]
    assert [o.source for o in report.outcomes] == [str(tmp_path / "cases/strong.txt"), str(tmp_path / "cases/weak.txt")]


def test_wrong_verdicts_are_reported_with_expected_and_got(tmp_path: Path) -> None:
    path = _write(tmp_path, """  - name: claims the weak rep passes
    transcript: cases/weak.txt
    expect: {next-step: met, no-insults: clear, passed: true}""")
    report = run_rubric_tests(load_rubric_file(path), path)
    assert not report.ok
    (outcome,) = report.failures
    got = {m.criterion: (m.expected, m.got) for m in outcome.mismatches}
    assert got == {"next-step": ("met", "missed"), "no-insults": ("clear", "hit"), "passed": ("true", "false")}
    assert "expected met, got missed" in str(outcome.mismatches[0])


def test_inline_transcripts_work_without_a_file() -> None:
    tests = "  - text: |\n" + "".join(f"      {line}\n" for line in STRONG.splitlines()) + \
            "    expect: {next-step: met, passed: true}"  # fmt: skip
    rubric = parse_model(RUBRIC.format(tests=tests), Rubric)
    assert run_rubric_tests(rubric, None).ok


def test_a_relative_transcript_without_a_rubric_file_is_an_error_not_a_crash() -> None:
    tests = "  - transcript: cases/strong.txt\n    expect: {passed: true}"
    rubric = parse_model(RUBRIC.format(tests=tests), Rubric)
    report = run_rubric_tests(rubric, None)
    assert not report.ok and report.outcomes[0].error and "cannot be resolved" in report.outcomes[0].error


def test_a_missing_test_transcript_is_reported_at_load_time(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(RUBRIC.format(tests="  - transcript: nowhere.txt\n    expect: {passed: true}"))
    with pytest.raises(ContentError) as exc:
        load_rubric_file(path)
    assert "nowhere.txt" in str(exc.value) and "tests[0].transcript" in str(exc.value)
