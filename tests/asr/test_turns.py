"""Timed pieces → turns (sparring.asr.turns): segments split at long pauses between words, pieces of every speaker
in time order, consecutive pieces of one speaker merged, overlaps kept. Pure: no model needed."""

from __future__ import annotations

from sparring.asr.turns import Piece, Word, merge, split_segment


def test_a_segment_is_split_at_a_long_pause_between_its_words() -> None:
    words = [Word(" Yes,", 1.0, 1.3), Word(" sure.", 1.3, 1.7), Word(" And", 4.0, 4.2), Word(" also", 4.2, 4.6)]
    assert split_segment("Left", " Yes, sure. And also", 0.8, 5.0, words) == [
        Piece("Left", "Yes, sure.", 1.0, 1.7), Piece("Left", "And also", 4.0, 4.6)]


def test_a_segment_without_words_keeps_its_own_times_and_empty_text_is_dropped() -> None:
    assert split_segment("Right", "  Hello there. ", 2.0, 3.5) == [Piece("Right", "Hello there.", 2.0, 3.5)]
    assert split_segment("Right", "   ", 2.0, 3.5) == []


def test_pieces_merge_per_speaker_in_time_order_and_overlaps_stay() -> None:
    pieces = [
        Piece("Left", "Hi, this is Sam.", 0.0, 2.0),
        Piece("Right", "Hello.", 2.5, 3.0),
        Piece("Left", "Thanks for your time.", 3.2, 4.0),
        Piece("Left", "What is the problem?", 4.5, 6.0),  # merges with the previous Left piece
        Piece("Right", "The price is too high and", 7.0, 9.0),
        Piece("Left", "Let me show you", 8.2, 9.5),  # cuts in before Right ends: the overlap is kept
    ]
    assert merge(reversed(pieces)) == [
        ("Left", "Hi, this is Sam.", 0.0, 2.0, 0, None),
        ("Right", "Hello.", 2.5, 3.0, 0, None),
        ("Left", "Thanks for your time. What is the problem?", 3.2, 6.0, 0, None),
        ("Right", "The price is too high and", 7.0, 9.0, 0, None),
        ("Left", "Let me show you", 8.2, 9.5, 0, None),
    ]


def test_a_merged_turn_ends_at_its_latest_piece() -> None:
    turns = merge([Piece("Left", "A long one", 0.0, 10.0), Piece("Left", "short", 2.0, 3.0)])
    assert turns == [("Left", "A long one short", 0.0, 10.0, 0, None)]
