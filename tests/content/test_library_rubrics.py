"""The built-in rubrics: the ids the command-line contract names exist, each with 5-8 criteria and rubric tests."""

from __future__ import annotations

import pytest

from sparring.content.library import get_library

CONTRACT_RUBRICS = [
    "sales-objection-handling", "discovery", "renewal-value", "consulting-pushback",
    "feedback-conversation", "coaching-conversation", "motivational-interviewing",
]  # fmt: skip


@pytest.mark.parametrize("rubric_id", CONTRACT_RUBRICS)
def test_contract_rubric_exists_with_5_to_8_criteria_and_tests(rubric_id: str) -> None:
    rubric = get_library().rubric(rubric_id)
    assert 5 <= len(rubric.criteria) <= 8, [c.id for c in rubric.criteria]
    assert rubric.tests, "a built-in rubric ships rubric tests"


def test_every_built_in_rubric_has_5_to_8_criteria() -> None:
    sizes = {r.id: len(r.criteria) for r in get_library().rubrics.values()}
    assert all(5 <= n <= 8 for n in sizes.values()), sizes


def test_every_contract_rubric_has_a_scenario() -> None:
    used = {s.rubric for s in get_library().scenarios.values()}
    assert set(CONTRACT_RUBRICS) <= used
