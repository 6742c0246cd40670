"""Rubric YAML whose test transcript files are inlined, so a stored copy can run its own tests anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.content.errors import ContentError
from sparring.content.library import get_library
from sparring.content.loader import load_rubric_file, parse_model
from sparring.content.rubric import Rubric
from sparring.content.selfcontained import inline_test_transcripts
from sparring.scoring.rubric_tests import run_rubric_tests

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Maya>What made you take this call now?

00:00:05.000 --> 00:00:09.000
<v Tom>The close takes nine days and the CFO wants it faster.
"""


def _rubric(tmp: Path, tests_yaml: str) -> Path:
    (tmp / "tests").mkdir(exist_ok=True)
    (tmp / "tests" / "call.vtt").write_text(VTT)
    (tmp / "tests" / "call.txt").write_text("# roles: Maya=learner\nMaya: What made you take this call now?\n"
                                            "Tom: The close takes nine days.\n")  # fmt: skip
    path = tmp / "r.yaml"
    path.write_text(
        "id: acme-questions  # our own rubric\n"
        "title: Acme questions\n"
        "criteria:\n"
        "  - id: asks\n"
        "    name: Asks questions\n"
        "    kind: metric\n"
        "    metric: question_count\n"
        "    target: {min: 1}\n"
        "tests:\n" + tests_yaml
    )
    return path


def test_block_style_tests_are_inlined_and_comments_kept(tmp_path: Path) -> None:
    path = _rubric(tmp_path, "  - name: vtt call\n    transcript: tests/call.vtt   # a Zoom export\n"
                             "    expect: {asks: met}\n"
                             "  - transcript: tests/call.txt\n    expect: {asks: met}\n"
                             "  - text: |\n      Maya: Nine days, I see.\n      Tom: Yes.\n"
                             "    expect: {asks: missed}\n")
    before = load_rubric_file(path)
    out = inline_test_transcripts(path.read_text(), path)
    assert "# our own rubric" in out and "transcript:" not in out
    after = parse_model(out, Rubric)
    assert [t.transcript for t in after.tests] == [None, None, None]
    assert after.tests[0].text == VTT and after.tests[1].text.startswith("# roles: Maya=learner\n")
    assert after.tests[2].text == before.tests[2].text  # an inline test is left as it was
    assert after.criteria == before.criteria
    report = run_rubric_tests(after, None)  # no file to resolve against: the tests still run
    assert report.ok, [o.mismatches or o.error for o in report.failures]


def test_flow_style_tests_fall_back_to_a_full_rewrite(tmp_path: Path) -> None:
    path = _rubric(tmp_path, "  - {name: vtt call, transcript: tests/call.vtt, expect: {asks: met}}\n")
    after = parse_model(inline_test_transcripts(path.read_text(), path), Rubric)
    assert after.tests[0].transcript is None and after.tests[0].text == VTT
    assert run_rubric_tests(after, None).ok


def test_a_missing_transcript_names_the_file_and_line(tmp_path: Path) -> None:
    path = _rubric(tmp_path, "  - name: gone\n    transcript: tests/nope.txt\n    expect: {asks: met}\n")
    with pytest.raises(ContentError) as info:
        inline_test_transcripts(path.read_text(), path)
    (problem,) = info.value.problems
    assert problem.line == 11 and "nope.txt" in problem.message and problem.file == str(path)


def test_a_rubric_without_file_tests_is_returned_unchanged(tmp_path: Path) -> None:
    path = _rubric(tmp_path, "  - text: 'Maya: What now?'\n    expect: {asks: met}\n")
    assert inline_test_transcripts(path.read_text(), path) == path.read_text()


@pytest.mark.parametrize("rubric_id", sorted(get_library().rubrics))
def test_every_builtin_rubric_inlines_to_the_same_verdicts(rubric_id: str) -> None:
    path = get_library().rubric_paths[rubric_id]
    inlined = parse_model(inline_test_transcripts(path.read_text(), path), Rubric)
    assert all(t.text is not None for t in inlined.tests)
    assert inlined.model_dump(exclude={"tests"}) == get_library().rubric(rubric_id).model_dump(exclude={"tests"})
