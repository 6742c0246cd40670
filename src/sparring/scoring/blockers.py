"""Judging a rubric's blockers (rules that fail the rep whatever the total), on whole sentences.

A sentence breaks the rule when

- it performs one of the rule's signal acts *as the rule means it* (``act_reading.effective_acts``: speaker,
  subject and polarity applied — "you don't need it" dismisses the listener's need, "I don't need it" and "you
  don't need to decide today" do not; an insult about the listener counts, one about oneself does not); for a
  rule with a percentage ("above 5%"), a concession counts only when the speaker offers a number above it, or
  offers no number but reads like the rule's own example lines;
- or, with no act, it reads very much like one of the rule's example lines (``BLOCK_ALONE``), is not negated
  where the examples are not, is not about the speaker alone, and is not closer to the rule's allowed lines
  (``examples_negative``).

A hit fails the rep, and the sentence earns no credit for any other criterion (``ScoringContext.broken``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparring.content.rubric import Criterion
from sparring.nlp.act_aliases import resolve_acts
from sparring.scoring.act_reading import (
    HOSTILE,
    RuleReading,
    concession_numbers,
    effective_acts,
    legacy_read_acts,
    negated,
)
from sparring.scoring.rationale import blocker_hit, blocker_kept
from sparring.scoring.scorecard import CriterionResult
from sparring.scoring.segments import percent_threshold, percentages

if TYPE_CHECKING:
    from sparring.scoring.embedded import ScoringContext
    from sparring.scoring.strength import SegmentScore

#: similarity to a blocker's example lines that counts as a hit on its own / with the rule's act
BLOCK_ALONE = 0.64
BLOCK_WITH_SIGNAL = 0.5
NEGATIVE = 0.6
#: acts that name a number without offering it (a result, a question about the other side's number)
_NOT_AN_OFFER = ("quantified_value", "question_clarifying", "question_open", "question_closed", "reflect_simple",
                 "reflect_complex")
#: a sentence the phrase rules read as listening ("It sounds like…") is not hostile on a fair model probability
_LISTENING = frozenset({"reflect_simple", "reflect_complex", "empathise", "acknowledge", "summarise"})
#: a rule's act counts on its own when read with near certainty, or with a fair probability in a sentence at least
#: this like the rule's example lines (the act model alone over-reads hostility in warm reflections)
ACT_CERTAIN = 0.95
ACT_SURE = 0.5
ACT_BLOCK_SIM = 0.5
#: a line merely like a rule's example lines does not break it when the act model gives every one of the rule's acts
#: less than this ("we keep the pilot but add ten stores" is on the topic of caving on scope, it does not cave);
#: chosen on the play corpus's development split (docs/scoring-validity.md)
ACT_FLOOR = 0.03


def _sentence_hit(c: Criterion, ctx: ScoringContext, s: SegmentScore, threshold: float | None,
                  core: str, own_positive: float) -> str | None:
    """Why sentence ``s`` breaks rule ``c`` (a plain-language rationale), or None."""
    reading = ctx.reading(s.segment)
    acts = resolve_acts(c.acts)
    eff = effective_acts(reading)
    done = sorted(acts & eff)
    turn = s.segment.turn
    closer_to_ok = s.negative > s.positive and s.negative >= NEGATIVE
    supported = bool(resolve_acts(c.signals) & eff)
    if "concession" in acts | resolve_acts(c.signals) or threshold is not None:
        offered = concession_numbers(reading, s.segment.text)
        if reading.has("tradeoff_offer") and "concession" not in eff:
            return None  # a conditional offer trades; it gives nothing away
        if (not offered and threshold is not None and not reading.has("concession") and s.positive >= BLOCK_WITH_SIGNAL
                and not reading.has(*_NOT_AN_OFFER)):
            # the reader saw no concession, but the line is on the rule's topic and names a number of its own
            offered = [p for k in reading.clauses if k.subject != "listener" and not k.negated
                       for p in percentages(k.text)]
        if threshold is not None and offered:
            over = [p for p in offered if p > threshold]
            return blocker_hit(turn, None, "concession", over[0], threshold) if over else None
        if "concession" in acts & eff and not closer_to_ok and (threshold is None or s.positive >= BLOCK_WITH_SIGNAL):
            return blocker_hit(turn, s.closest_positive if s.positive >= BLOCK_WITH_SIGNAL else None, "concession",
                               None, threshold)
    elif done and not closer_to_ok and (reading.p(done[0]) >= ACT_CERTAIN or (
            reading.p(done[0]) >= ACT_SURE and own_positive >= ACT_BLOCK_SIM
            and not legacy_read_acts([s.segment.text])[0].acts & _LISTENING)):
        return blocker_hit(turn, None, done[0], None, None)
    if s.positive < (BLOCK_WITH_SIGNAL if supported else BLOCK_ALONE) or closer_to_ok or s.positive < s.negative + 0.05:
        return None
    if acts and not isinstance(reading, RuleReading) and max(reading.p(a) for a in acts) < ACT_FLOOR:
        return None  # the act model all but rules out the rule's acts: the line shares its topic, not its move
    clauses = list(reading.clauses)
    if negated(core) and not negated(s.closest_positive or ""):
        return None  # "I can't do thirty percent" is not "thirty percent, done"
    if acts & HOSTILE and clauses and all(k.subject == "speaker" for k in clauses):
        return None  # about oneself, not about the other person
    ruled = (acts | resolve_acts(c.signals)) & HOSTILE | ({"concession"} & (acts | resolve_acts(c.signals)))
    if ruled & set(reading.acts) and not ruled & eff:
        return None  # the reader saw the act, and speaker, subject or polarity rule it out
    return blocker_hit(turn, s.closest_positive, None, None, None)


def _with_clauses(scores: list[SegmentScore]) -> list[tuple[SegmentScore, str, float]]:
    """Whole sentences, each carrying the best example similarity of any of its clauses: "Sam is being let go, so
    he won't care" matches a rule's example in its first clause."""
    from dataclasses import replace

    clauses: dict[int, list[SegmentScore]] = {}
    for s in scores:
        if s.segment.clause:
            clauses.setdefault(s.segment.turn, []).append(s)
    out = []
    for s in scores:
        if s.segment.clause:
            continue
        inside = [k for k in clauses.get(s.segment.turn, []) if s.segment.start <= k.segment.start < s.segment.end]
        core = max(inside, key=lambda k: (k.positive, -k.segment.start), default=s)
        own = s.positive
        if core.positive > s.positive and core.positive > core.negative:
            s = replace(s, positive=core.positive, closest_positive=core.closest_positive)
        # negation is read in the clause that carries the match
        out.append((s, core.segment.text, own))
    return out


def judge_blocker(c: Criterion, ctx: ScoringContext, scores: list[SegmentScore]) -> CriterionResult:
    threshold = percent_threshold(c)
    hits: list[tuple[SegmentScore, str]] = []
    for s, core, own in _with_clauses(scores):
        why = _sentence_hit(c, ctx, s, threshold, core, own)
        if why is not None:
            hits.append((s, why))
    if hits:
        hits.sort(key=lambda h: (h[0].segment.turn, h[0].segment.start))
        ctx.hit_spans[c.id] = [(h[0].segment.turn, h[0].segment.start, h[0].segment.end) for h in hits]
        return CriterionResult(
            id=c.id, kind="blocker", score=0.0, max=0.0, verdict="missed", hit=True,
            evidence=[ctx.evidence(h[0]) for h in hits[:3]], rationale=hits[0][1],
        )  # fmt: skip
    whole = [s for s in scores if not s.segment.clause] or scores
    if not whole:
        return CriterionResult(id=c.id, kind="blocker", score=0.0, max=0.0, verdict="n/a", hit=False,
                               rationale="Not checked: you said nothing in this conversation.")  # fmt: skip
    nearest = max(whole, key=lambda s: (s.positive, -s.segment.turn, -s.segment.start))
    return CriterionResult(
        id=c.id, kind="blocker", score=0.0, max=0.0, verdict="met", hit=False, evidence=[ctx.evidence(nearest)],
        rationale=blocker_kept(nearest.segment.turn, nearest.positive >= BLOCK_WITH_SIGNAL),
    )  # fmt: skip
