"""The counterpart disengaging: replies shorter than their own baseline and negative reactions, turn by turn
(docs/moments.md, "Disengaging"; validated on PersuasionForGood by bench/moments.py).

Each counterpart turn gets a **disengagement score** in 0..1:

    score = SHORT_WEIGHT * shortness + NEGATIVE_WEIGHT * negative      (minus ACCEPT_RELIEF when accepting)

- ``shortness`` = max(0, 1 - words / baseline), where ``baseline`` is the median length of that speaker's own
  turns over the call (at least ``MIN_BASELINE`` words): a terse speaker is not disengaged for being terse. Half
  of it counts when the rep's turn just before asked a closed question only (a short answer is the natural one)
  or when the turn is a backchannel ("Mm-hmm.", ``BACKCHANNEL_WORDS`` words or fewer) while the rep keeps talking
  (the rep's next turn follows within the same exchange);
- ``negative`` = 1 when the turn reacts negatively: a negative-reaction cue or act of ``review/data/cues.yaml``
  (refusal, doubt, brush-off; confront / dismiss_need … read by the act model);
- an acceptance (cue or ``next_step_accept``) takes ``ACCEPT_RELIEF`` off (never below 0).

A **disengaging moment** is a stretch of at least ``RUN_TURNS`` consecutive turns of one counterpart speaker
whose scores average at least ``RUN_THRESHOLD``, after that speaker had shown a baseline of at least
``ENGAGED_BASELINE`` words (someone who never engaged cannot disengage).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from sparring.review.cues import Cues
from sparring.review.reading import TurnRead

SHORT_WEIGHT = 0.6
NEGATIVE_WEIGHT = 0.4
ACCEPT_RELIEF = 0.3
MIN_BASELINE = 6.0
BACKCHANNEL_WORDS = 3
RUN_TURNS = 3
RUN_THRESHOLD = 0.5
ENGAGED_BASELINE = 8.0


@dataclass(frozen=True)
class TurnEngagement:
    index: int
    speaker: str
    words: int
    baseline: float
    shortness: float
    negative: bool
    negative_cue: str | None
    accepting: bool
    score: float


def baselines(reads: Sequence[TurnRead]) -> dict[str, float]:
    """Each counterpart speaker's median turn length in words (at least ``MIN_BASELINE``)."""
    lengths: dict[str, list[int]] = {}
    for r in reads:
        if r.role == "counterpart" and r.words:
            lengths.setdefault(r.speaker, []).append(r.words)
    return {s: max(float(statistics.median(w)), MIN_BASELINE) for s, w in lengths.items()}


def negative_cue(cues: Cues, read: TurnRead) -> str | None:
    """The words or act that make the turn a negative reaction, or None."""
    for s in read.sentences:
        m = cues.negative.find(s)
        if m is not None:
            return m.group(0)
    hostile = read.acts & cues.negative_acts
    return f"[{sorted(hostile)[0]}]" if hostile else None


def accepting(cues: Cues, read: TurnRead) -> bool:
    return bool(read.acts & cues.acceptance_acts) or any(cues.acceptance.search(s) for s in read.sentences)


def score_turns(reads: Sequence[TurnRead], cues: Cues) -> list[TurnEngagement]:
    """The disengagement score of every counterpart turn, in turn order (module docstring)."""
    base = baselines(reads)
    out: list[TurnEngagement] = []
    for pos, r in enumerate(reads):
        if r.role != "counterpart":
            continue
        baseline = base.get(r.speaker, MIN_BASELINE)
        short = max(0.0, 1.0 - r.words / baseline)
        prev = reads[pos - 1] if pos > 0 else None
        nxt = reads[pos + 1] if pos + 1 < len(reads) else None
        closed_only = prev is not None and prev.is_rep and "question_closed" in prev.acts \
            and not prev.acts & {"question_open", "question_clarifying"}
        backchannel = r.words <= BACKCHANNEL_WORDS and prev is not None and prev.is_rep and nxt is not None \
            and nxt.is_rep and nxt.speaker == prev.speaker
        if closed_only or backchannel:
            short *= 0.5
        cue = negative_cue(cues, r)
        accept = accepting(cues, r)
        score = SHORT_WEIGHT * short + NEGATIVE_WEIGHT * (cue is not None) - (ACCEPT_RELIEF if accept else 0.0)
        out.append(TurnEngagement(r.index, r.speaker, r.words, baseline, round(short, 4), cue is not None, cue,
                                  accept, round(min(max(score, 0.0), 1.0), 4)))
    return out


def disengaging_runs(scores: Sequence[TurnEngagement]) -> list[list[TurnEngagement]]:
    """Stretches of at least ``RUN_TURNS`` consecutive turns of one speaker averaging ``RUN_THRESHOLD`` or more
    (the longest such stretch from each start; stretches do not overlap)."""
    by_speaker: dict[str, list[TurnEngagement]] = {}
    for s in scores:
        by_speaker.setdefault(s.speaker, []).append(s)
    runs: list[list[TurnEngagement]] = []
    for turns in by_speaker.values():
        if not turns or turns[0].baseline < ENGAGED_BASELINE:
            continue
        i = 0
        while i + RUN_TURNS <= len(turns):
            window = turns[i:i + RUN_TURNS]
            if statistics.fmean(t.score for t in window) < RUN_THRESHOLD or window[0].score < RUN_THRESHOLD / 2:
                i += 1
                continue
            j = i + RUN_TURNS
            while j < len(turns) and turns[j].score >= RUN_THRESHOLD / 2 and not turns[j].accepting:
                j += 1
            runs.append(turns[i:j])
            i = j
    return sorted(runs, key=lambda run: run[0].index)
