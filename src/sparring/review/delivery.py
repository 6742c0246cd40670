"""Spoken delivery of a practice rep (docs/voice.md, "Delivery"): pace, fillers, pauses, monologues and talking
over the counterpart — from the word times of each spoken turn, with the thresholds the call review uses for the
same behaviours (``sparring.review.control``: fast pace, monologue in seconds, interruption, long silence), so a
rep and a real call are held to one standard.

Per take (one spoken turn): words, seconds of speech (first word's start to last word's end), words per minute
(over at least ``MIN_PACE_SECONDS`` of speech), filler words (``scoring.lexicon.count_fillers``, as the text
metrics count them), long pauses inside the turn (a gap of ``LONG_PAUSE_SECONDS`` or more between two words), the
longest stretch of speech without such a pause, and — told by the browser, which alone knows when the
counterpart's voice was playing — how long the learner talked over it and how long they waited before speaking.

Per rep: totals and rates over its takes, and the list of findings a coach would mention, each naming its turn.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sparring.review.control import FAST_WPM, INTERRUPT_OVERLAP, MONOLOGUE_SECONDS, SILENCE_SECONDS
from sparring.scoring.lexicon import count_fillers

#: a gap between two words of one turn at least this long is a long pause (seconds)
LONG_PAUSE_SECONDS = 2.0
#: pace is read only over this much speech (a three-word answer has no meaningful words-per-minute)
MIN_PACE_SECONDS = 4.0
#: fillers per 100 words from which the rep's filler use is mentioned
FILLER_RATE_MENTION = 5.0
#: a slow pace worth mentioning (words a minute; conversational English is ~140-170)
SLOW_WPM = 100.0


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class TakeDelivery:
    """The delivery of one spoken turn."""

    words: int
    speech_seconds: float
    wpm: float | None
    fillers: int
    long_pauses: int
    longest_run_seconds: float
    talked_over_seconds: float = 0.0
    waited_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"words": self.words, "speech_seconds": round(self.speech_seconds, 2),
                "wpm": None if self.wpm is None else round(self.wpm, 1), "fillers": self.fillers,
                "long_pauses": self.long_pauses, "longest_run_seconds": round(self.longest_run_seconds, 2),
                "talked_over_seconds": round(self.talked_over_seconds, 2),
                "waited_seconds": None if self.waited_seconds is None else round(self.waited_seconds, 2)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TakeDelivery:
        return cls(words=int(d["words"]), speech_seconds=float(d["speech_seconds"]),
                   wpm=None if d.get("wpm") is None else float(d["wpm"]), fillers=int(d["fillers"]),
                   long_pauses=int(d["long_pauses"]), longest_run_seconds=float(d["longest_run_seconds"]),
                   talked_over_seconds=float(d.get("talked_over_seconds") or 0.0),
                   waited_seconds=None if d.get("waited_seconds") is None else float(d["waited_seconds"]))


def take_delivery(words: Sequence[TimedWord], *, talked_over_seconds: float = 0.0,
                  waited_seconds: float | None = None) -> TakeDelivery:
    """The delivery of one spoken turn from its timed words (in order). ``talked_over_seconds`` and
    ``waited_seconds`` come from the browser (clamped: never negative, never longer than the speech)."""
    if not words:
        return TakeDelivery(0, 0.0, None, 0, 0, 0.0, 0.0, waited_seconds)
    speech = max(0.0, words[-1].end - words[0].start)
    pauses = 0
    longest, run_start = 0.0, words[0].start
    for before, after in itertools.pairwise(words):
        if after.start - before.end >= LONG_PAUSE_SECONDS:
            pauses += 1
            longest = max(longest, before.end - run_start)
            run_start = after.start
    longest = max(longest, words[-1].end - run_start)
    text = " ".join(w.text for w in words)
    wpm = len(words) / (speech / 60.0) if speech >= MIN_PACE_SECONDS else None
    over = min(max(0.0, talked_over_seconds), speech)
    waited = None if waited_seconds is None else max(0.0, waited_seconds)
    return TakeDelivery(len(words), speech, wpm, count_fillers(text), pauses, longest, over, waited)


@dataclass(frozen=True)
class Finding:
    """One thing about the delivery worth a coach's mention, at a learner turn (its index in the rep)."""

    kind: str  # fast_pace | slow_pace | fillers | monologue | interruption | long_silence | long_pause
    turn: int | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "turn": self.turn, "text": self.text}


@dataclass(frozen=True)
class RepDelivery:
    """The delivery of a rep's spoken turns (``turns``: learner turn index → its take's delivery)."""

    spoken_turns: int
    words: int
    speech_seconds: float
    wpm: float | None
    fillers: int
    fillers_per_100_words: float | None
    long_pauses: int
    longest_run_seconds: float
    interruptions: int
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"spoken_turns": self.spoken_turns, "words": self.words,
                "speech_seconds": round(self.speech_seconds, 1),
                "wpm": None if self.wpm is None else round(self.wpm), "fillers": self.fillers,
                "fillers_per_100_words": (None if self.fillers_per_100_words is None
                                          else round(self.fillers_per_100_words, 1)),
                "long_pauses": self.long_pauses, "longest_run_seconds": round(self.longest_run_seconds, 1),
                "interruptions": self.interruptions, "findings": [f.as_dict() for f in self.findings]}


def rep_delivery(turns: dict[int, TakeDelivery]) -> RepDelivery | None:
    """The rep's delivery over its spoken turns; None when no turn was spoken."""
    if not turns:
        return None
    takes = sorted(turns.items())
    words = sum(t.words for _, t in takes)
    paced = [(i, t) for i, t in takes if t.wpm is not None]
    paced_words = sum(t.words for _, t in paced)
    paced_seconds = sum(t.speech_seconds for _, t in paced)
    wpm = paced_words / (paced_seconds / 60.0) if paced_seconds > 0 else None
    fillers = sum(t.fillers for _, t in takes)
    rate = 100.0 * fillers / words if words else None
    findings: list[Finding] = []
    for i, t in paced:
        assert t.wpm is not None
        if t.wpm > FAST_WPM:
            findings.append(Finding("fast_pace", i, f"fast: {t.wpm:.0f} words a minute (over {FAST_WPM:.0f})"))
    if wpm is not None and wpm < SLOW_WPM:
        findings.append(Finding("slow_pace", None, f"slow overall: {wpm:.0f} words a minute"))
    if rate is not None and rate >= FILLER_RATE_MENTION and fillers >= 3:
        worst = max(takes, key=lambda it: it[1].fillers)[0]
        findings.append(Finding("fillers", worst, f"{fillers} filler words ({rate:.1f} per 100 words)"))
    for i, t in takes:
        if t.longest_run_seconds >= MONOLOGUE_SECONDS:
            findings.append(Finding("monologue", i, f"spoke for {t.longest_run_seconds:.0f} s without a pause "
                                                    f"({MONOLOGUE_SECONDS:.0f} s or more is a monologue)"))
        if t.talked_over_seconds >= INTERRUPT_OVERLAP:
            findings.append(Finding("interruption", i, f"talked over the other person for "
                                                       f"{t.talked_over_seconds:.1f} s"))
        if t.waited_seconds is not None and t.waited_seconds >= SILENCE_SECONDS:
            findings.append(Finding("long_silence", i, f"waited {t.waited_seconds:.0f} s before answering"))
        if t.long_pauses:
            findings.append(Finding("long_pause", i, f"{t.long_pauses} pause(s) of {LONG_PAUSE_SECONDS:.0f} s or "
                                                     "more mid-turn"))
    return RepDelivery(
        spoken_turns=len(takes), words=words, speech_seconds=sum(t.speech_seconds for _, t in takes), wpm=wpm,
        fillers=fillers, fillers_per_100_words=rate, long_pauses=sum(t.long_pauses for _, t in takes),
        longest_run_seconds=max(t.longest_run_seconds for _, t in takes),
        interruptions=sum(t.talked_over_seconds >= INTERRUPT_OVERLAP for _, t in takes), findings=findings)
