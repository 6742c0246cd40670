"""Sentence spans of a learner turn (sparring.scoring.segments.split_sentences): evidence quotes are cut from
them, so a decimal point must not end a sentence."""

from __future__ import annotations

from sparring.scoring.segments import split_sentences


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_a_point_between_digits_is_part_of_the_number() -> None:
    text = "Fuel is about 1.4 million a year; nine percent fewer is $126.5k. Payback is 9.5 months!"
    assert _sentences(text) == ["Fuel is about 1.4 million a year;", "nine percent fewer is $126.5k.",
                                "Payback is 9.5 months!"]


def test_sentences_still_end_at_a_point_after_a_number() -> None:
    assert _sentences("We grew 12. Then we stalled. Why?") == ["We grew 12.", "Then we stalled.", "Why?"]
    assert _sentences("...") == []
