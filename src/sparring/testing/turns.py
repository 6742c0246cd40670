"""Turns as the call-moment finder reads them (``sparring.review.reading.TurnRead``), built by hand for tests of
its signals: who speaks, what they say, which acts the reader saw, and when."""

from __future__ import annotations

from collections.abc import Iterable

from sparring.review.reading import TurnRead
from sparring.scoring.segments import split_sentences

REP, CUSTOMER = "Sam Ortiz", "Dana Kim"


def reads(*turns: tuple[str, str] | tuple[str, str, Iterable[str]] | tuple[str, str, Iterable[str], float, float],
          ) -> list[TurnRead]:
    """``("rep" | "them" | "other", text[, acts[, start, end]])`` per turn."""
    out = []
    for i, turn in enumerate(turns):
        who, text = turn[0], turn[1]
        acts = frozenset(turn[2]) if len(turn) > 2 else frozenset()
        start, end = (turn[3], turn[4]) if len(turn) > 4 else (None, None)
        speaker = REP if who == "rep" else CUSTOMER if who == "them" else "Lee Wu"
        role = "learner" if who == "rep" else "counterpart"
        sentences = tuple(text[s:e] for s, e in split_sentences(text)) or (text,)
        out.append(TurnRead(i, speaker, role, text, len(text.split()), sentences, acts,  # type: ignore[arg-type]
                            start, end))
    return out
