"""Per-segment strength of a check, scale or blocker criterion: similarity to its example lines (calibrated
against background lines), the acts the segment performs, counter-evidence and form. The embedded scorer
(``scoring/embedded.py``) judges criteria from these strengths; its module docstring says how they combine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sparring.content.rubric import Criterion
from sparring.nlp.act_aliases import resolve_acts
from sparring.nlp.next_step import NEXT_STEP_ACTS, dated
from sparring.scoring.lexicon import OPEN_IMPERATIVE
from sparring.scoring.prototypes import Prototypes
from sparring.scoring.segments import Segment

#: strength at which a segment shows the behaviour clearly (met) / somewhat (partly)
STRONG = 0.52
MODERATE = 0.47
#: a learner line this close to a negative example, and closer to it than to any positive, is counter-evidence
NEGATIVE = 0.6
SIGNAL_BONUS = 0.15
SIGNAL_MISSING = 0.08
FORM_MISMATCH = 0.1
CLAUSE_UNTAGGED = 0.06
#: a segment that performs one of the criterion's acts surely (probability at least ACT_SURE) and is at least
#: loosely like its examples (ACT_SIM_FLOOR) is this strong: met on the act, whatever the topic words
ACT_STRONG = STRONG + 0.08
ACT_SURE = 0.95
ACT_UNSURE = 0.3
QUESTION_ACTS = frozenset({"question_open", "question_closed", "question_clarifying", "permission_ask"})
ACT_SIM_FLOOR = 0.3

@dataclass
class SegmentScore:
    segment: Segment
    strength: float
    positive: float  # best similarity to a positive example (or description when there is none)
    negative: float  # best similarity to a negative example, own or a blocker's (0 when there is none)
    tagged: bool
    closest_positive: str | None = None
    closest_negative: str | None = None
    #: the closest negative is one of the criterion's own (not a blocker line): it can count as counter-evidence
    own_negative: bool = False
    #: the first of the criterion's signal acts the segment performs (what the learner did), if any
    signal: str | None = None

    @property
    def turn(self) -> int:
        return self.segment.turn


def _clause_contradicted(segments: Sequence[Segment], trusted: Sequence[frozenset[str]], readings: Sequence[Any],
                         signals: frozenset[str]) -> np.ndarray:
    """Clauses whose signal act their own sentence does not support: a fragment cut out of a sentence reads
    differently alone ("and the setup is really quick." is a reflection on its own, a pitch in its sentence), so a
    clause's act counts only when the whole sentence reads it too, or gives it a fair chance (``ACT_UNSURE``)."""
    out = np.zeros(len(segments), dtype=bool)
    for i, seg in enumerate(segments):
        if not seg.clause or not signals & trusted[i]:
            continue
        whole = next((j for j, o in enumerate(segments) if not o.clause and o.turn == seg.turn
                      and o.start <= seg.start and seg.end <= o.end), None)
        if whole is None:
            continue
        acts = signals & trusted[i]
        out[i] = not (acts & trusted[whole]) and max(readings[whole].p(a) for a in acts) < ACT_UNSURE
    return out


def score_segments(
    c: Criterion,
    segments: Sequence[Segment],
    vectors: np.ndarray,
    segment_acts: Sequence[frozenset[str]],
    proto: Prototypes,
    offset: float = 0.0,
    readable: frozenset[str] | None = None,
    raw_acts: Sequence[frozenset[str]] | None = None,
    sure_acts: Sequence[frozenset[str]] | None = None,
    readings: Sequence[Any] | None = None,
) -> list[SegmentScore]:
    """The per-segment strength of a check/scale/blocker criterion (see the module docstring)."""
    if not segments:
        return []
    desc_sim = (vectors @ proto.description.T).max(axis=1)
    if len(proto.positive):
        pos_all = vectors @ proto.positive.T
        pos_sim, pos_arg = pos_all.max(axis=1), pos_all.argmax(axis=1)
    else:
        pos_sim, pos_arg = desc_sim + 0.12, np.zeros(len(segments), dtype=int)
    if len(proto.negative):
        neg_all = vectors @ proto.negative.T
        neg_sim, neg_arg = neg_all.max(axis=1), neg_all.argmax(axis=1)
    else:
        neg_sim, neg_arg = np.zeros(len(segments)), np.zeros(len(segments), dtype=int)
    n = len(segments)
    pos, neg, dsc = np.round(pos_sim, 3), np.round(neg_sim, 3), np.round(desc_sim, 3)
    sufficient = resolve_acts(c.acts)
    signals = sufficient | resolve_acts(c.signals)
    if readable is not None:  # a reader that cannot see an act is no evidence of its absence
        signals &= readable
    trusted = sure_acts if sure_acts is not None else segment_acts
    tagged = np.array([bool(signals & t) for t in trusted] if signals else [False] * n, dtype=bool)
    if signals and readings is not None:
        tagged &= ~_clause_contradicted(segments, trusted, readings, signals)
    # a next step counts on its act alone only when it says when ("on Thursday"); an undated one is support
    sure = sure_acts if sure_acts is not None else segment_acts
    # the act counts on its own when trusted, loosely like the examples and not closer to a negative example
    performs = np.array([bool(sufficient & t) and (bool((sufficient & t) - NEXT_STEP_ACTS) or dated(seg.text))
                         for seg, t in zip(segments, sure, strict=True)] if sufficient else [False] * n,
                        dtype=bool) & (pos >= ACT_SIM_FLOOR) & (neg < pos + 0.05)
    asks = np.array([seg.question or bool(OPEN_IMPERATIVE.match(seg.text)) for seg in segments], dtype=bool)
    # the description is a weaker prototype: it reads like a definition, not like a spoken line; similarity is
    # lowered by how close lines of other behaviours come to the examples (calibration)
    strength = np.maximum(pos, dsc + (0.1 if not len(proto.positive) else 0.0)) - offset
    if signals:
        # performing one of ``acts`` shows the behaviour whatever the words; similarity can only add to it
        # no act read: a small cost, unless the model gives one of them a fair chance (unsure, not sure it is absent)
        unsure = np.array([max((r.p(a) for a in signals), default=0.0) >= ACT_UNSURE for r in readings]
                          if readings is not None else [False] * n, dtype=bool)
        strength = strength + np.where(tagged, SIGNAL_BONUS, np.where(unsure, 0.0, -SIGNAL_MISSING))
        strength = np.where(performs, np.maximum(strength, ACT_STRONG), strength)
    if sufficient and raw_acts is not None:
        # the reader saw the act but speaker, subject or polarity rule it out ("You need to cut down." is no
        # reflection): similarity to the examples cannot bring it back
        vetoed = np.array([bool(sufficient & r) and not sufficient & e for r, e in zip(raw_acts, segment_acts,
                                                                                        strict=True)], dtype=bool)
        strength = np.where(vetoed, np.minimum(strength, MODERATE - 0.05), strength)
        # a clause cut from a longer sentence is weaker evidence on its own: without the tag it needs more
        clause = np.array([seg.clause for seg in segments], dtype=bool)
        strength = strength - np.where(clause & ~tagged, CLAUSE_UNTAGGED, 0.0)
    strength = strength - 0.6 * np.clip(neg - pos, 0.0, None)
    # the form of the behaviour: a criterion whose examples are all questions is not shown by a statement — unless
    # the criterion names its acts and they are not questions (a next step may be proposed as a statement)
    form_free = bool(sufficient) and not sufficient <= QUESTION_ACTS
    if form_free:
        pass
    elif proto.question_share >= 0.6:
        strength = strength - np.where(asks, 0.0, FORM_MISMATCH)
        if proto.question_share >= 0.75:  # a questioning behaviour is never shown by a statement
            strength = np.where(asks, strength, np.minimum(strength, MODERATE - 0.05))
    elif proto.question_share <= 0.2:
        strength = strength - np.where(asks, FORM_MISMATCH / 2, 0.0)
    strengths = np.round(strength, 3).tolist()
    pos_l, neg_l, tagged_l = pos.tolist(), neg.tolist(), tagged.tolist()
    pos_arg_l, neg_arg_l = pos_arg.tolist(), neg_arg.tolist()
    plines, nlines, own = proto.positive_lines, proto.negative_lines, proto.own_negatives
    return [
        SegmentScore(
            seg,
            strengths[i],
            pos_l[i],
            neg_l[i],
            tagged_l[i],
            plines[pos_arg_l[i]] if plines else None,
            nlines[neg_arg_l[i]] if nlines else None,
            neg_arg_l[i] < own,
            next((a for a in [*sorted(sufficient), *sorted(signals)] if a in segment_acts[i]), None)
            if tagged_l[i] else None,
        )
        for i, seg in enumerate(segments)
    ]
