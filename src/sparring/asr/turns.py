"""Timed pieces of speech of each channel's speaker → the turns of a conversation (docs/calls.md, "Audio").

A recogniser's segment can run across a pause in which the other speaker talked (it joins the speech around a
silence), so a segment is first split where the gap between two of its words is at least ``SPLIT_GAP`` seconds.
The pieces of every speaker are then put in time order (by start) and consecutive pieces of one speaker merge into
one turn (its end the latest end). Turns may overlap in time: that is a speaker cutting in or talking over the
other, which the timed signals (``sparring.review.control.timed``) report.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sparring.conversation.captions import RawTurn

#: a pause between two words of one segment at least this long splits it (seconds)
SPLIT_GAP = 1.0


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Piece:
    """Speech of one speaker: its text and times (seconds from the start of the call)."""

    speaker: str
    text: str
    start: float
    end: float


def split_segment(speaker: str, text: str, start: float, end: float, words: Sequence[Word] = (),
                  gap: float = SPLIT_GAP) -> list[Piece]:
    """One recognised segment as pieces: split at pauses of ``gap`` seconds or more between its words (with word
    times), timed by its first and last word; else whole, with the segment's times."""
    if not words:
        return [Piece(speaker, text.strip(), start, end)] if text.strip() else []
    groups: list[list[Word]] = [[words[0]]]
    for prev, cur in itertools.pairwise(words):
        if cur.start - prev.end >= gap:
            groups.append([])
        groups[-1].append(cur)
    out = []
    for g in groups:
        said = "".join(w.text for w in g).strip()
        if said:
            out.append(Piece(speaker, " ".join(said.split()), g[0].start, max(g[-1].end, g[0].start)))
    return out


def merge(pieces: Iterable[Piece]) -> list[RawTurn]:
    """Pieces of every speaker in time order, consecutive pieces of one speaker merged into one turn. Line numbers
    are 0 (an audio file has none); times are rounded to the centisecond."""
    turns: list[Piece] = []
    for p in sorted(pieces, key=lambda p: (p.start, p.end, p.speaker)):
        if turns and turns[-1].speaker == p.speaker:
            last = turns[-1]
            turns[-1] = Piece(p.speaker, f"{last.text} {p.text}", last.start, max(last.end, p.end))
        else:
            turns.append(p)
    return [(t.speaker, t.text, round(t.start, 2), round(t.end, 2), 0, None) for t in turns]
