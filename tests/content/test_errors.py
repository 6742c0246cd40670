"""Content errors never repeat long input: an unknown id is quoted shortened, and the known ids are capped."""

from __future__ import annotations

from sparring.content.errors import MAX_KNOWN_SHOWN, UnknownContentError


def test_an_unknown_id_is_quoted_short_with_control_characters_escaped() -> None:
    exc = UnknownContentError("scenario", "x" * 10_000 + "\x00\u202e", ["a", "b"])
    assert exc.brief == "unknown scenario '" + "x" * 60 + "'…"
    assert str(exc) == exc.brief + " (known: a, b)" and len(str(exc)) < 100
    assert str(UnknownContentError("rubric", "nope", [])) == "unknown rubric 'nope'"
    assert UnknownContentError("rubric", "a\x00\u202eb", []).brief == "unknown rubric 'a\\x00\\u202eb'"


def test_a_long_list_of_known_ids_is_capped() -> None:
    known = [f"scenario-{i:03d}" for i in range(100)]
    text = str(UnknownContentError("scenario", "nope", known))
    assert text.endswith(f"scenario-{MAX_KNOWN_SHOWN - 1:03d}, and {100 - MAX_KNOWN_SHOWN} more)")
    assert f"scenario-{MAX_KNOWN_SHOWN:03d}" not in text
