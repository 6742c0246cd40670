"""The counterpart disengaging: replies shorter than their own baseline and negative reactions, turn by turn
(docs/moments.md, "Disengaging"; validated on PersuasionForGood by bench/moments.py).

Each counterpart turn gets a **disengagement score** in 0..1:

    score = SHORT_WEIGHT * shortness + NEGATIVE_WEIGHT * negative      (minus ACCEPT_RELIEF when accepting)

- ``shortness`` = max(0, 1 - words / baseline), where ``baseline`` is the median length of that speaker's own
  earlier turns (from their ``BASELINE_FROM``-th turn on; before that, the median over the whole call), at
  least ``MIN_BASELINE`` words: a terse speaker is not disengaged for being terse, and a speaker whose replies
  shrink is measured against how they spoke before, not against the shrunken replies. Half
  of it counts when the rep's turn just before asked a closed question only (a short answer is the natural one)
  or when the turn is a backchannel ("Mm-hmm.", ``BACKCHANNEL_WORDS`` words or fewer) while the rep keeps talking
  (the rep's next turn follows within the same exchange) — unless the rep had just talked for
  ``LONG_REP_WORDS`` words or more ("Okay." after a monologue is no backchannel);
- ``negative`` = 1 when the turn reacts negatively: a negative-reaction cue or act of ``review/data/cues.yaml``
  (refusal, doubt, brush-off; confront / dismiss_need … read by the act model);
- an acceptance (cue or ``next_step_accept``) takes ``ACCEPT_RELIEF`` off (never below 0).

A **disengaging moment** starts at a counterpart turn that is not itself an objection (those are their own
moments) where either

- the next ``RUN_TURNS`` turns of that speaker average at least ``RUN_THRESHOLD`` (replies shrinking and souring
  over an exchange), or
- the turn alone scores at least ``TURN_THRESHOLD``, or reacts negatively or very briefly (shortness at least
  ``BRIEF_SHORTNESS``) right after the rep held the floor for ``LONG_REP_WORDS`` words or more ("Okay. Send it in
  an email." after a two-minute pitch);

overlapping triggers make one moment.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from sparring.review.cues import Cues
from sparring.review.reading import TurnRead

SHORT_WEIGHT = 0.5
NEGATIVE_WEIGHT = 0.5
ACCEPT_RELIEF = 0.3
MIN_BASELINE = 6.0
BASELINE_FROM = 2
BACKCHANNEL_WORDS = 3
RUN_TURNS = 3
RUN_THRESHOLD = 0.45
TURN_THRESHOLD = 0.7
LONG_REP_WORDS = 80
BRIEF_SHORTNESS = 0.7


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


def negative_cue(cues: Cues, read: TurnRead, answering: bool = False) -> str | None:
    """The words or act that make the turn a negative reaction, or None. ``answering``: the turn answers a
    question, so a bare "No." is an answer, not a refusal."""
    for s in read.sentences:
        m = cues.negative.find(s, whole=not answering)
        if m is not None:
            return m.group(0)
    hostile = read.acts & cues.negative_acts
    return f"[{sorted(hostile)[0]}]" if hostile else None


def accepting(cues: Cues, read: TurnRead) -> bool:
    return bool(read.acts & cues.acceptance_acts) or any(cues.acceptance.search(s) for s in read.sentences)


def score_turns(reads: Sequence[TurnRead], cues: Cues) -> list[TurnEngagement]:
    """The disengagement score of every counterpart turn, in turn order (module docstring)."""
    base = baselines(reads)
    rep_before = _rep_words_before(reads)
    earlier: dict[str, list[int]] = {}
    out: list[TurnEngagement] = []
    for pos, r in enumerate(reads):
        if r.role != "counterpart":
            continue
        before = earlier.setdefault(r.speaker, [])
        baseline = max(float(statistics.median(before)), MIN_BASELINE) if len(before) >= BASELINE_FROM \
            else base.get(r.speaker, MIN_BASELINE)
        if r.words:
            before.append(r.words)
        short = max(0.0, 1.0 - r.words / baseline)
        prev = reads[pos - 1] if pos > 0 else None
        nxt = reads[pos + 1] if pos + 1 < len(reads) else None
        closed_only = prev is not None and prev.is_rep and "question_closed" in prev.acts \
            and not prev.acts & {"question_open", "question_clarifying"}
        backchannel = r.words <= BACKCHANNEL_WORDS and prev is not None and prev.is_rep and nxt is not None \
            and nxt.is_rep and nxt.speaker == prev.speaker and rep_before.get(r.index, 0) < LONG_REP_WORDS
        if closed_only or backchannel:
            short *= 0.5
        asked = prev is not None and prev.is_rep and (prev.text.rstrip().endswith("?") or bool(
            prev.acts & {"question_open", "question_closed", "question_clarifying"}))
        cue = negative_cue(cues, r, answering=asked)
        accept = accepting(cues, r)
        score = SHORT_WEIGHT * short + NEGATIVE_WEIGHT * (cue is not None) - (ACCEPT_RELIEF if accept else 0.0)
        out.append(TurnEngagement(r.index, r.speaker, r.words, baseline, round(short, 4), cue is not None, cue,
                                  accept, round(min(max(score, 0.0), 1.0), 4)))
    return out


def disengaging_runs(scores: Sequence[TurnEngagement], reads: Sequence[TurnRead],
                     skip: set[int] | frozenset[int] = frozenset()) -> list[list[TurnEngagement]]:
    """The stretches of turns that make disengaging moments (module docstring), in turn order; turns in ``skip``
    (objections) never start one."""
    rep_before = _rep_words_before(reads)
    by_speaker: dict[str, list[TurnEngagement]] = {}
    for s in scores:
        by_speaker.setdefault(s.speaker, []).append(s)
    runs: list[list[TurnEngagement]] = []
    for turns in by_speaker.values():
        current: list[TurnEngagement] = []
        for i, t in enumerate(turns):
            window = turns[i:i + RUN_TURNS]
            fading = len(window) == RUN_TURNS and statistics.fmean(w.score for w in window) >= RUN_THRESHOLD \
                and t.score >= RUN_THRESHOLD / 2
            sharp = t.score >= TURN_THRESHOLD or ((t.negative or t.shortness >= BRIEF_SHORTNESS)
                                                  and rep_before.get(t.index, 0) >= LONG_REP_WORDS)
            if t.index in skip or not (fading or sharp):
                continue
            cover = window if fading else [t]
            if current and cover[0].index <= current[-1].index:
                current.extend(w for w in cover if w.index > current[-1].index)
            else:
                if current:
                    runs.append(current)
                current = list(cover)
        if current:
            runs.append(current)
    return sorted(runs, key=lambda run: run[0].index)


def _rep_words_before(reads: Sequence[TurnRead]) -> dict[int, int]:
    """Per counterpart turn: the words of the rep's run of turns just before it."""
    out: dict[int, int] = {}
    run = 0
    for r in reads:
        if r.is_rep:
            run += r.words
        else:
            out[r.index] = run
            if r.words > BACKCHANNEL_WORDS:
                run = 0
    return out
