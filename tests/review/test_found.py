"""Quoting a few words of a turn in a moment's summary (sparring.review.found)."""

from __future__ import annotations

from sparring.review.found import first_name, quote, rep_replies
from sparring.testing.turns import reads


def test_a_quote_is_the_opening_or_the_words_around_the_cue() -> None:
    text = "Honestly we like the team a lot, but it is way over our budget for next year, sadly."
    assert quote(text) == "\u201cHonestly we like the team a lot, but\u2026\u201d"  # 8 words
    assert quote(text, "over our budget") == "\u201c\u2026is way over our budget for next year\u2026\u201d"
    assert quote("Short one.") == "\u201cShort one.\u201d"


def test_a_cue_spelled_with_its_contractions_spelled_out_is_found_in_the_original_words() -> None:
    text = "Okay. I'll think about it and we won't decide before the summer holidays are over."
    assert "won't decide" in quote(text, "will not decide")
    assert quote(text, "not in the text") == quote(text)


def test_names_and_replies() -> None:
    assert first_name("Dana Kim") == "Dana" and first_name("") == ""
    call = reads(("them", "Too expensive."), ("rep", "Why?"), ("them", "Budget."), ("rep", "I see."),
                 ("them", "Yes."), ("rep", "Late."))
    assert [r.index for r in rep_replies(call, 0)] == [1, 3]
