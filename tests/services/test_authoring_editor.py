"""What the web editor reads from authoring: every problem at its line (and column, for a syntax error), and the
scenario templates that "New scenario" offers — each valid and naming a rubric that exists (tests/services/
test_content_preview.py plays them)."""

from __future__ import annotations

import pytest

from sparring.content.library import get_library
from sparring.services import authoring

KNOWN = set(get_library().rubrics)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_syntax_error_names_its_line_and_column() -> None:
    text = "id: x\ntitle: ok\nbrief: [an unclosed list\nrubric: discovery\n"
    result = authoring.validate_text(text, KNOWN).as_json()
    assert result["ok"] is False
    problem = result["problems"][0]
    assert problem["field"] == "yaml" and problem["line"] >= 3 and problem["column"] >= 1
    assert problem["text"].startswith(f"editor.yaml:{problem['line']}: yaml: syntax error")


@pytest.mark.parametrize(("needle", "replacement", "field"), [
    ("rubric: renewal-value", "rubric: no-such-rubric", "rubric"),
    ("domain: customer-success", "domain: retail", "domain"),
    ("max_turns: 14", "max_turns: 900", "max_turns"),
])
def test_a_field_problem_points_at_the_fields_line(needle: str, replacement: str, field: str) -> None:
    text = authoring.template_text("cs-renewal")
    assert text is not None and needle in text
    broken = text.replace(needle, replacement)
    problems = authoring.validate_text(broken, KNOWN).as_json()["problems"]
    assert [p["field"] for p in problems] == [field], problems
    assert problems[0]["line"] == _line(broken, replacement) and problems[0]["column"] == 0


def test_templates_cover_the_domains_and_each_is_valid_with_a_known_rubric() -> None:
    templates = authoring.scenario_templates()
    assert {t.domain for t in templates} >= {"sales", "customer-success", "consulting", "management"}
    library = set(get_library().scenarios)
    for t in templates:
        text = authoring.template_text(t.key)
        assert text is not None
        result = authoring.validate_text(text, KNOWN)
        assert result.ok, (t.key, [str(p) for p in result.problems])
        assert t.rubric in KNOWN and result.model is not None
        assert result.model.id.startswith("new-") and result.model.id not in library
    assert authoring.template_text("../library/scenarios/sales-pricing-objection") is None
    assert authoring.template_text("no-such-template") is None
