"""``sparring.limits``: reading a file without reading past its cap, and counting words without a list of them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sparring.limits import (
    DEFAULT_TRANSCRIPT_LIMITS,
    MAX_TRANSCRIPT_WORDS,
    MAX_TURNS,
    TooLargeError,
    TranscriptLimits,
    count_words,
    read_text_capped,
    utf8_size,
)


def test_a_file_at_the_cap_is_read_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "f.txt"
    p.write_bytes(b"ab\r\ncd\re")
    assert read_text_capped(p, 8) == "ab\ncd\ne"  # as Path.read_text gives it: universal line ends
    assert read_text_capped(p, None) == p.read_text()
    with pytest.raises(TooLargeError) as exc:
        read_text_capped(p, 7)
    assert (exc.value.size, exc.value.limit) == (8, 7)
    assert str(exc.value) == "the file is too large (8 bytes; at most 7)"


def test_a_device_without_a_size_is_refused_without_reading_it_all() -> None:
    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero here")
    with pytest.raises(TooLargeError) as exc:
        read_text_capped(zero, 1000)  # endless: only 1,001 bytes are read
    assert exc.value.size is None and "more than 1,000 bytes" in str(exc.value)


def test_utf8_size_counts_bytes_and_short_cuts_huge_texts() -> None:
    assert utf8_size("héllo", 100) == 6
    assert utf8_size("é" * 30, 10) == 60  # exact while it is cheap
    assert utf8_size("é" * 50, 10) == 50  # over 4x the limit in characters: a lower bound, not encoded
    assert utf8_size("\ud800", 10) == 3  # a lone surrogate is counted, not an exception


def test_count_words_matches_split_across_chunk_boundaries() -> None:
    rng = random.Random(3)
    pieces = ["word", "a", "longerword", " ", "  ", "\n", "\t", "x" * 70_000]
    for _ in range(20):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 400)))
        assert count_words(text) == len(text.split())
    big = "one two three " * 100_000
    assert count_words(big) == 300_000
    assert 1_000 < count_words(big, stop_above=1_000) < 300_000  # stops early once over


def test_transcript_limits_defaults_unlimited_and_hints() -> None:
    assert (DEFAULT_TRANSCRIPT_LIMITS.max_turns, DEFAULT_TRANSCRIPT_LIMITS.max_words) == (MAX_TURNS,
                                                                                         MAX_TRANSCRIPT_WORDS)
    free = TranscriptLimits.unlimited()
    assert (free.max_bytes, free.max_turns, free.max_turn_words, free.max_words) == (None, None, None, None)
    hinted = DEFAULT_TRANSCRIPT_LIMITS.with_hints({"turns": "use --max-turns"})
    assert hinted.hint("turns") == "; use --max-turns" and hinted.hint("words") == ""
