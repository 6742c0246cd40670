"""What a signal finder reports before the summary is put together: a candidate moment with the facts the
impact, the criterion mapping and the pivotal choice need (``sparring.review.moments``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sparring.review.cues import normalise
from sparring.review.reading import TurnRead

QUOTE_WORDS = 8


@dataclass
class Found:
    """A candidate moment. ``family`` is the ``bears_on`` key of review/data/cues.yaml (objection kinds share
    "objection"); ``base`` the impact before the counterpart's reaction is added; ``rep_acts`` the rep's acts that
    decided it (a concession maps to a blocker on concessions); ``consequence`` whether what the counterpart did
    next is added to the impact (not for moments that are themselves the counterpart's reaction)."""

    kind: str
    family: str
    start: int
    end: int
    summary: str
    base: float
    rep_acts: frozenset[str] = frozenset()
    consequence: bool = True
    impact: float = 0.0
    why: str = ""


def first_name(speaker: str) -> str:
    words = speaker.split()
    return words[0] if words else speaker


def quote(text: str, around: str | None = None, words: int = QUOTE_WORDS) -> str:
    """A few words of ``text`` in quotes: around ``around`` (a cue found in it, as the cue matcher spells it:
    lower case, contractions spelled out) when given, else its opening."""
    parts = text.split()
    if around:
        flat: list[tuple[str, int]] = []  # each normalised word and the original word it came from
        for i, part in enumerate(parts):
            flat.extend((w.strip(_PUNCT), i) for w in normalise(part).split())
        target = [w.strip(_PUNCT) for w in normalise(around).split()]
        for k in range(len(flat) - len(target) + 1):
            if [w for w, _ in flat[k:k + len(target)]] == target:
                i = flat[k][1]
                lo = max(0, min(i - 2, len(parts) - words))
                return _wrap(parts[lo:lo + words], lo > 0, lo + words < len(parts))
    return _wrap(parts[:words], False, len(parts) > words)


_PUNCT = ".,!?;:\"'()\u201c\u201d\u2026"


def _wrap(piece: Sequence[str], before: bool, after: bool) -> str:
    text = " ".join(piece).strip(" ,;:")
    return "\u201c" + ("\u2026" if before else "") + text + ("\u2026" if after else "") + "\u201d"


def next_rep_turns(reads: Sequence[TurnRead], pos: int, limit: int = 2) -> list[TurnRead]:
    """The rep's replies after position ``pos``: rep turns up to the counterpart's next substantive turn (more
    than a backchannel), at most ``limit``."""
    out: list[TurnRead] = []
    for r in reads[pos + 1:]:
        if r.is_rep:
            out.append(r)
            if len(out) >= limit:
                break
        elif out and r.words > 3:
            break
        elif not out and r.words > 3 and r.speaker != reads[pos].speaker:
            break  # someone else took the floor before the rep answered
    return out


def rep_replies(reads: Sequence[TurnRead], pos: int, limit: int = 2, within: int = 4) -> list[TurnRead]:
    """The rep's next ``limit`` turns within ``within`` turns after position ``pos``, whoever speaks between them
    (an objection is usually handled over an exchange or two)."""
    return [r for r in reads[pos + 1:pos + 1 + within] if r.is_rep][:limit]
