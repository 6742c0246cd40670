from __future__ import annotations

from datetime import date

import pytest

from sparring.services.errors import InvalidInput
from sparring.services.form_values import parse_day, parse_number


def test_a_day_is_iso_and_the_error_names_the_field() -> None:
    assert parse_day(" 2026-03-02 ", "start") == date(2026, 3, 2)
    with pytest.raises(InvalidInput, match=r"^start: give a date as YYYY-MM-DD \(got '02/03/2026'\)$"):
        parse_day("02/03/2026", "start")


def test_an_empty_day_is_none_only_when_optional() -> None:
    assert parse_day("  ", "from", optional=True) is None
    with pytest.raises(InvalidInput, match=r"^due: give a date as YYYY-MM-DD \(got ''\)$"):
        parse_day("", "due")


def test_a_number_whole_or_not() -> None:
    assert parse_number("", "target_max", optional=True) is None
    assert parse_number("62.5", "pass_bar", whole=False) == 62.5
    assert parse_number(" 12 ", "target") == 12
    with pytest.raises(InvalidInput, match=r"^target: give a whole number \(got 'ten'\)$"):
        parse_number("ten", "target")
    with pytest.raises(InvalidInput, match=r"^target: give a number$"):
        parse_number(" ", "target")
