"""Rubric lint: vague criteria get warnings with file, line and field; the built-in rubrics lint clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.content.library import get_library
from sparring.content.loader import load_rubric_file
from sparring.scoring.lint import lint_rubric, two_behaviours

VAGUE = """id: vague
title: A vague rubric
criteria:
  - id: handles-objections
    kind: check
    name: Acknowledges and reframes objections well
  - id: rapport
    kind: scale
    name: Builds rapport
    signals: [smalltalk]
    anchors:
      1: Bad.
      2: Weak.
      3: Fine.
      4: Good.
      5: Good.
    examples_positive: ["Great to meet you!"]
    better_line: "Try {their_words} with {mood}."
  - id: share
    kind: metric
    name: Talk share
    metric: talk_share
    target: {min: 30, max: 60}
"""


@pytest.fixture
def vague_path(tmp_path: Path) -> Path:
    p = tmp_path / "vague.yaml"
    p.write_text(VAGUE)
    return p


def test_vague_criteria_get_located_warnings(vague_path: Path) -> None:
    warnings = lint_rubric(load_rubric_file(vague_path), vague_path)
    text = "\n".join(str(w) for w in warnings)
    by_field: dict[str, list[str]] = {}
    for w in warnings:
        by_field.setdefault(w.field.split(" ")[0], []).append(f"{w.line}: {w.message}")
    name = by_field["criteria[0].name"]
    assert any(m.startswith("6: ") and "two behaviours" in m for m in name), name
    assert any("'well' is vague" in m for m in name)
    assert all(w.file == str(vague_path) for w in warnings)
    assert "no example lines" in by_field["criteria[0].examples_positive"][0]
    assert by_field["criteria[1].anchors.1"][0].startswith("12: ")
    assert "two levels share the same description" in text
    assert "only one example line" in text
    assert "unknown act(s) smalltalk" in text
    assert "unknown placeholder(s) mood" in text
    assert "ratio between 0 and 1" in text
    assert "no rubric tests" in text


@pytest.mark.parametrize(
    ("name", "two"),
    [
        ("Acknowledges and reframes the objection", True),
        ("Summarises the need and asks for commitment", True),
        ("Explores goals and challenges", False),
        ("Agrees a concrete next step with owner and date", False),
        ("Asks open questions as well as summarising", True),
    ],
)
def test_two_behaviours_in_one_name(name: str, two: bool) -> None:
    assert (two_behaviours(name) is not None) is two


@pytest.mark.parametrize("rubric_id", sorted(r for r in get_library().rubrics if r != "motivational-interviewing"))
def test_built_in_rubrics_lint_clean(rubric_id: str) -> None:
    lib = get_library()
    assert [str(w) for w in lint_rubric(lib.rubrics[rubric_id], lib.rubric_paths[rubric_id])] == []


def test_only_long_examples_get_a_hint_to_add_a_short_one(tmp_path: Path) -> None:
    p = tmp_path / "long.yaml"
    p.write_text(
        "id: long\ntitle: Long examples\ncriteria:\n  - id: ack\n    kind: check\n    name: Acknowledges the concern\n"
        "    met_when: names the concern first\n    examples_positive:\n"
        '      - "I completely understand that the delay on the Henderson account has been very frustrating for you."\n'
        '      - "That sounds really difficult given how much pressure the board has put on your team lately."\n'
        '    examples_negative: ["Calm down."]\n'
    )
    text = "\n".join(str(w) for w in lint_rubric(load_rubric_file(p), p))
    assert "add one short, generic line" in text
