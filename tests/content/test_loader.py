from pathlib import Path

import pytest

from sparring.content.errors import ContentError
from sparring.content.loader import load_rubric_file, validate_paths

GOOD = """\
id: demo-rubric
title: A demo rubric
pass_mark: 60
criteria:
  - id: asks-open
    kind: check
    name: Asks an open question
    weight: 2
    examples_positive: ["What matters most to you here?"]
  - id: depth
    kind: scale
    name: Depth of discovery
    anchors: {1: none, 2: little, 3: some, 4: good, 5: deep}
  - id: balance
    kind: metric
    name: Lets them talk
    metric: talk_share
    target: {min: 0.3, max: 0.6}
  - id: no-discount
    kind: blocker
    name: No unapproved discount
tests:
  - text: "Rep: What matters most to you here?\\nBuyer: Uptime."
    expect: {asks-open: met, no-discount: clear}
"""


def test_valid_rubric_loads(tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text(GOOD)
    rubric = load_rubric_file(p)
    assert [c.kind for c in rubric.criteria] == ["check", "scale", "metric", "blocker"]
    assert len(rubric.version) == 12
    assert validate_paths([p]) == []


def test_every_problem_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    bad = GOOD.replace("metric: talk_share", "metric: talk_shar").replace(
        "anchors: {1: none, 2: little, 3: some, 4: good, 5: deep}", "anchors: {1: none, 2: little}"
    ).replace("    weight: 2\n", "    weight: 2\n    colour: red\n")
    p = tmp_path / "bad.yaml"
    p.write_text(bad)
    with pytest.raises(ContentError) as info:
        load_rubric_file(p)
    lines = [str(pr) for pr in info.value.problems]
    assert len(lines) == 3, lines
    assert any(line.startswith(f"{p}:9: criteria[0].colour: unknown field") for line in lines), lines
    assert any(f"{p}:14: criteria[1].anchors:" in line for line in lines), lines
    assert any(f"{p}:18: criteria[2].metric:" in line and "unknown metric 'talk_shar'" in line for line in lines), lines


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("id: x\ntitle: [unclosed\ncriteria: []\n")
    problems = validate_paths([p])
    assert len(problems) == 1
    assert problems[0].field == "yaml" and problems[0].line >= 2


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    problems = validate_paths([tmp_path / "nope.yaml"])
    assert problems and problems[0].message == "no such file"
