"""The input boundary (sparring.inputs): what is refused, what is normalised, and that errors never echo input."""

from __future__ import annotations

import pytest

from sparring.inputs import MAX_DB_ID, InputError, clean_text, is_db_id, shown


def test_nul_is_refused_and_named() -> None:
    with pytest.raises(InputError) as exc:
        clean_text("hello\x00world", "text", max_chars=100)
    assert exc.value.field == "text"
    assert "NUL" in str(exc.value)
    assert "hello" not in str(exc.value)


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(InputError, match="surrogate"):
        clean_text("ok \ud800 then", "text", max_chars=100, multiline=True)


def test_bidi_overrides_and_isolates_are_removed_but_rtl_text_stays() -> None:
    assert clean_text("pay \u202eevil\u202c now", "text", max_chars=100) == "pay evil now"
    assert clean_text("a\u2066b\u2069c", "text", max_chars=100) == "abc"
    hebrew = "שלום \u200f עולם"
    assert clean_text(hebrew, "text", max_chars=100) == hebrew


def test_one_line_fields_collapse_whitespace_and_drop_controls() -> None:
    assert clean_text("  Ava \n\t Patel\x07 ", "name", max_chars=100) == "Ava Patel"


def test_multiline_keeps_line_breaks_and_normalises_line_ends() -> None:
    cleaned = clean_text("one\r\ntwo\rthree\n\tfour\x1b", "text", max_chars=100, multiline=True)
    assert cleaned == "one\ntwo\nthree\n\tfour"


def test_nfc_normalisation() -> None:
    assert clean_text("Jose\u0301", "name", max_chars=10) == "Jos\u00e9"


def test_length_cap_counts_after_cleaning_and_does_not_echo() -> None:
    assert clean_text("x" * 10, "name", max_chars=10) == "x" * 10
    with pytest.raises(InputError) as exc:
        clean_text("secret" * 100, "name", max_chars=10)
    assert "600" in str(exc.value) and "secret" not in str(exc.value)


def test_required() -> None:
    with pytest.raises(InputError, match="empty"):
        clean_text(" \u202e ", "text", max_chars=10, required=True)
    assert clean_text("", "text", max_chars=10) == ""


def test_non_text_is_refused() -> None:
    with pytest.raises(InputError, match="must be text"):
        clean_text(12, "text", max_chars=10)  # type: ignore[arg-type]


def test_shown_bounds_and_escapes() -> None:
    assert shown("a" * 100, limit=5) == "'aaaaa'…"
    assert shown("x\x00y") == "'x\\x00y'"


def test_db_id_bounds() -> None:
    assert is_db_id(1) and is_db_id(MAX_DB_ID)
    assert not is_db_id(0) and not is_db_id(MAX_DB_ID + 1) and not is_db_id(-5)
