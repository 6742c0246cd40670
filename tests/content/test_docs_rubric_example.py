"""The complete rubric example in docs/content-format.md must stay valid and score as its tests say."""

from __future__ import annotations

import re
from pathlib import Path

from sparring.content.loader import load_rubric_file

DOC = Path(__file__).resolve().parents[2] / "docs" / "content-format.md"


def _rubric_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### A complete rubric", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "no yaml block after '### A complete rubric'"
    return match.group(1)


def test_complete_rubric_example_validates(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "renewal-value-strong.txt").write_text(
        "Rep: What is the COO hoping to get out of the contract review?\nNadia: Savings, mostly.\n"
    )
    path = tmp_path / "renewal.yaml"
    path.write_text(_rubric_example())
    rubric = load_rubric_file(path)
    assert [c.kind for c in rubric.criteria] == ["check", "scale", "metric", "blocker"]
    assert len(rubric.tests) == 2
