"""Rubric criteria name acts: unknown acts and misplaced conditions are errors naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.content.errors import ContentError
from sparring.content.loader import load_rubric_file

BASE = """id: acts-demo
title: Acts demo
criteria:
  - id: asks
    kind: check
    name: Asks about the goal
{extra}    examples_positive: ["What matters most to you here?"]
"""


def _load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "r.yaml"
    path.write_text(BASE.format(extra=extra), encoding="utf-8")
    return load_rubric_file(path)


def test_acts_aliases_and_conditions_load(tmp_path: Path) -> None:
    r = _load(tmp_path, "    acts: [question_open]\n    signals: [open_question, hedge]\n    applies_when: [advice]\n")
    c = r.criteria[0]  # type: ignore[attr-defined]
    assert c.acts == ["question_open"] and c.applies_when == ["advice"]


@pytest.mark.parametrize(("extra", "message"), [
    ("    acts: [question_opn]\n", "criteria[0].acts: unknown act(s) question_opn"),
    ("    applies_when: [advise]\n", "criteria[0].applies_when: unknown act(s) advise"),
])  # fmt: skip
def test_unknown_acts_are_errors_with_the_line(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ContentError) as err:
        _load(tmp_path, extra)
    text = "\n".join(str(p) for p in err.value.problems)
    assert message in text and "r.yaml:7:" in text
