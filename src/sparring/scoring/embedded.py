"""The embedded scorer: rubric-driven, evidence-cited, deterministic, offline.

How each criterion kind is judged (docs/decisions.md §7 records why):

- ``check`` / ``scale``: every learner turn is cut into sentences and, for long sentences, their clauses
  (``sparring.scoring.segments``). Each segment gets a *strength*: its cosine similarity to the criterion's
  positive example lines (few-shot), with the name, description, ``met_when`` and top anchors as a weaker
  prototype; plus a bonus when it carries one of the criterion's ``signals`` (utterance tags; the question kind is
  read per clause) and a small cost when it does not (more for a bare clause); minus a penalty when it sits closer
  to a negative example — the rubric's blocker lines count as negatives of every other criterion — or has the
  wrong form (a statement, for a criterion whose examples are questions, is capped below partly).
  A check is met when a segment is strong, partly when the best is moderate or a strong one is contradicted by a
  whole sentence that reads like one of the criterion's own negative examples (missed if the best is not
  strong); a scale maps the best strength, the number of strong turns and any counter-evidence onto 1..5.
- ``metric``: the conversation metric (``sparring.scoring.metrics``) against its target band (met inside, partly
  just outside); ``n/a`` when the metric is not available (timed metrics on an untimed transcript), never an
  invented number.
- ``blocker``: judged first, on whole sentences: very close to the blocker's example lines (or close and tagged
  with its signals, or naming a percentage above the "above N%" the rule states), not negated in the clause that
  carries the match ("I can't do thirty percent" is no hit), and not closer to the blocker's negative examples.
  A hit fails the rep whatever the total, and the sentence earns no credit for any other criterion.

Every met/partly/missed verdict cites turn indexes with quotes that are exact substrings of the turn text.
The overall is the weighted mean over non-blocker criteria that apply (a scale level L counts (L-1)/4).
Similarities are rounded to 3 decimals before any threshold, so re-scoring gives an identical scorecard.
Long calls embed a bounded number of words (``EMBED_WORD_BUDGET``) so a 400-turn call scores in about a second.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sparring.content.rubric import Criterion, Rubric
from sparring.conversation.model import Conversation, Turn
from sparring.nlp.embeddings import DIM
from sparring.scoring.feedback import build_feedback
from sparring.scoring.lexicon import OPEN_IMPERATIVE
from sparring.scoring.metric_evidence import judge_metric
from sparring.scoring.ordering import order_limit
from sparring.scoring.prototypes import Prototypes, prototypes
from sparring.scoring.rationale import blocker_hit, blocker_kept, check_rationale, needed_turn, scale_rationale
from sparring.scoring.scorecard import CriterionResult, Evidence, RubricRef, Scorecard, Verdict
from sparring.scoring.segments import (
    EMBED_WORD_BUDGET,
    Segment,
    embedding_texts,
    percent_threshold,
    percentages,
    quote_of,
)
from sparring.scoring.sentence_vectors import conversation_segments, turn_vectors, with_empty_turns

ENGINE_NAME = "embedded"
#: strength at which a segment shows the behaviour clearly (met) / somewhat (partly)
STRONG = 0.52
MODERATE = 0.47
#: similarity to a blocker's example lines that counts as a hit on its own / with a matching tag
BLOCK_ALONE = 0.64
BLOCK_WITH_SIGNAL = 0.5
#: a learner line this close to a negative example, and closer to it than to any positive, is counter-evidence
NEGATIVE = 0.6
SIGNAL_BONUS = 0.15
SIGNAL_MISSING = 0.08
FORM_MISMATCH = 0.1
CLAUSE_UNTAGGED = 0.06

_NOT_NEGATION = re.compile(
    r"\b(?:no (?:problem|worries|doubt|question|big deal)|not a problem|don't worry|never mind|no-brainer)\b", re.I
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|can't|cannot|can not|won't|wouldn't|couldn't|isn't|aren't|don't|unable)\b",
    re.I,
)


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
    #: the first of the criterion's signal tags the segment carries (what the learner did), if any
    signal: str | None = None

    @property
    def turn(self) -> int:
        return self.segment.turn


def score_segments(
    c: Criterion,
    segments: Sequence[Segment],
    vectors: np.ndarray,
    segment_tags: Sequence[frozenset[str]],
    proto: Prototypes,
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
    signals = set(c.signals)
    tagged = np.array([bool(signals & t) for t in segment_tags] if signals else [False] * n, dtype=bool)
    asks = np.array([seg.question or bool(OPEN_IMPERATIVE.match(seg.text)) for seg in segments], dtype=bool)
    # the description is a weaker prototype: it reads like a definition, not like a spoken line
    strength = np.maximum(pos, dsc + (0.1 if not len(proto.positive) else 0.0))
    if signals:
        strength = strength + np.where(tagged, SIGNAL_BONUS, -SIGNAL_MISSING)
        # a clause cut from a longer sentence is weaker evidence on its own: without the tag it needs more
        clause = np.array([seg.clause for seg in segments], dtype=bool)
        strength = strength - np.where(clause & ~tagged, CLAUSE_UNTAGGED, 0.0)
    strength = strength - 0.6 * np.clip(neg - pos, 0.0, None)
    # the form of the behaviour: a criterion whose examples are all questions is not shown by a statement
    if proto.question_share >= 0.6:
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
            next((t for t in c.signals if t in segment_tags[i]), None) if tagged_l[i] else None,
        )
        for i, seg in enumerate(segments)
    ]


# ---------------------------------------------------------------------------------------------- scorer
@dataclass
class ScoringContext:
    """Everything computed once per conversation and shared by every criterion (and by feedback)."""

    conversation: Conversation
    tags: list[frozenset[str]]
    metrics: dict[str, Any]
    segments: list[Segment]
    vectors: np.ndarray
    #: per segment: its turn's tags plus the question kind of the segment's own sentence or clause
    segment_tags: list[frozenset[str]] = field(default_factory=list)
    per_criterion: dict[str, list[SegmentScore]] = field(default_factory=dict)
    #: the example lines of the rubric's blockers (negative evidence for every other criterion)
    rule_lines: list[str] = field(default_factory=list)
    #: (turn, start, end) of sentences that broke a rule: never positive evidence for another criterion
    broken: list[tuple[int, int, int]] = field(default_factory=list)
    #: per blocker id: the (turn, start, end) of the sentences that hit it
    hit_spans: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: missed criteria whose evidence is merely the nearest line (no attempt, no turn where it was needed)
    nearest_only: set[str] = field(default_factory=set)

    #: ``broken`` by turn: (length of ``broken`` it was built from, turn -> (sorted starts, running max of ends))
    _broken_index: tuple[int, dict[int, tuple[list[int], list[int]]]] = field(default=(0, {}), repr=False)

    def breaks_rule(self, seg: Segment) -> bool:
        """Whether ``seg`` overlaps a sentence that broke a rule. Indexed by turn and start, so checking every
        segment of a long call costs O(log n) each instead of a scan of every broken sentence."""
        built, index = self._broken_index
        if built != len(self.broken):
            per_turn: dict[int, list[tuple[int, int]]] = {}
            for t, s, e in self.broken:
                per_turn.setdefault(t, []).append((s, e))
            index = {}
            for t, spans in per_turn.items():
                spans.sort()
                ends, top = [], -1
                for _s, e in spans:
                    top = max(top, e)
                    ends.append(top)
                index[t] = ([s for s, _e in spans], ends)
            self._broken_index = (len(self.broken), index)
        hit = index.get(seg.turn)
        if hit is None:
            return False
        starts, max_ends = hit
        k = bisect_left(starts, seg.end)  # spans starting before the segment ends
        return k > 0 and max_ends[k - 1] > seg.start

    def turn(self, index: int) -> Turn:
        return self.conversation.turns[index]

    def evidence(self, s: SegmentScore) -> Evidence:
        turn = self.turn(s.segment.turn)
        return Evidence(turn=turn.index, quote=quote_of(turn, s.segment.start, s.segment.end))


def _top_distinct(scores: Sequence[SegmentScore], key: Any, n: int) -> list[SegmentScore]:
    """The ``n`` best segments by ``key``, at most one per turn, ties broken by turn order."""
    seen: set[int] = set()
    out: list[SegmentScore] = []
    for s in sorted(scores, key=lambda s: (-key(s), s.segment.turn, s.segment.start)):
        if s.segment.turn in seen:
            continue
        seen.add(s.segment.turn)
        out.append(s)
        if len(out) == n:
            break
    return out


def _counter(scores: Sequence[SegmentScore]) -> list[SegmentScore]:
    """Whole sentences that read like one of the criterion's own negative examples (not merely on topic)."""
    return [
        s
        for s in scores
        if s.own_negative and not s.segment.clause and s.negative >= NEGATIVE and s.negative >= s.positive + 0.08
    ]


#: a best segment at least this strong is an attempt at the behaviour (cited as "your closest attempt")
ATTEMPT = MODERATE - 0.1


def _missed_evidence(
    c: Criterion, ctx: ScoringContext, best: list[SegmentScore], counter: list[SegmentScore]
) -> tuple[list[Evidence], tuple[int, str] | None, bool]:
    """Evidence for a missed check or scale: the line that reads like a negative example, else the turn where the
    behaviour was needed (when the tags show one), else the closest attempt (or merely the nearest line)."""
    if counter:
        return [ctx.evidence(s) for s in counter], None, False
    needed = needed_turn(c, [t.role for t in ctx.conversation.turns], ctx.tags)
    if needed is not None:
        return [Evidence(turn=needed[0], quote=quote_of(ctx.turn(needed[0])))], needed, False
    attempt = bool(best) and best[0].strength >= ATTEMPT
    if not attempt:
        ctx.nearest_only.add(c.id)
    return [ctx.evidence(s) for s in best[:1]], None, attempt


def judge_check(c: Criterion, ctx: ScoringContext, scores: list[SegmentScore]) -> CriterionResult:
    best = _top_distinct(scores, lambda s: s.strength, 2)
    counter = _top_distinct(_counter(scores), lambda s: s.negative, 1)
    top = best[0].strength if best else 0.0
    needed: tuple[int, str] | None = None
    attempt = False
    # mixed evidence: the clearer side wins — a line that plainly reads like a negative example outweighs a
    # positive that only just clears the bar
    if counter and (top < STRONG or counter[0].negative - NEGATIVE > top - STRONG):
        verdict: Verdict = "missed"
        evidence = [ctx.evidence(s) for s in counter]
    elif top >= STRONG and not counter:
        verdict = "met"
        evidence = [ctx.evidence(s) for s in best if s.strength >= STRONG]
    elif top >= MODERATE:
        verdict = "partly"
        evidence = [ctx.evidence(s) for s in [best[0], *counter]]
    else:
        verdict = "missed"
        evidence, needed, attempt = _missed_evidence(c, ctx, best, counter)
    why = check_rationale(verdict, best[0] if best else None, counter[0] if counter else None, c,
                          needed=needed, attempt=attempt, strong=STRONG)
    score = {"met": 1.0, "partly": 0.5, "missed": 0.0}[verdict]
    return CriterionResult(id=c.id, kind="check", score=score, max=1.0, verdict=verdict, evidence=evidence,
                           rationale=why)  # fmt: skip


def judge_scale(c: Criterion, ctx: ScoringContext, scores: list[SegmentScore]) -> CriterionResult:
    best = _top_distinct(scores, lambda s: s.strength, 3)
    counter = _top_distinct(_counter(scores), lambda s: s.negative, 1)
    top = best[0].strength if best else 0.0
    strong = [s for s in best if s.strength >= STRONG]
    if top < MODERATE - 0.1:
        level = 1
    elif top < MODERATE:
        level = 2
    elif top < STRONG:
        level = 3
    elif len(strong) >= 2 and not counter and top >= STRONG + 0.08:
        level = 5
    else:
        level = 4
    if counter and level > 2:
        level -= 1
    verdict: Verdict = "met" if level >= 4 else "partly" if level == 3 else "missed"
    needed: tuple[int, str] | None = None
    attempt = False
    if level >= 3:
        evidence = [ctx.evidence(s) for s in (strong or best[:1])]
    else:
        evidence, needed, attempt = _missed_evidence(c, ctx, best, counter)
    why = scale_rationale(level, (c.anchors or {}).get(level, ""), best[0] if best else None, len(strong),
                          counter[0] if counter else None, c, needed=needed, attempt=attempt)
    return CriterionResult(id=c.id, kind="scale", score=float(level), max=5.0, verdict=verdict, evidence=evidence,
                           rationale=why)  # fmt: skip


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(_NOT_NEGATION.sub(" ", text)))


def judge_blocker(c: Criterion, ctx: ScoringContext, scores: list[SegmentScore]) -> CriterionResult:
    threshold = percent_threshold(c)
    clauses: dict[int, list[SegmentScore]] = {}
    for s in scores:
        if s.segment.clause:
            clauses.setdefault(s.segment.turn, []).append(s)
    hits: list[tuple[SegmentScore, str]] = []
    for s in scores:
        if s.segment.clause:
            continue
        # negation is read in the clause that carries the match: "Sam is being let go, so he won't care" is a hit
        inside = [
            k for k in clauses.get(s.segment.turn, []) if s.segment.start <= k.segment.start < s.segment.end
        ]
        core = max(inside, key=lambda k: (k.positive, -k.segment.start)) if inside else s
        # "I can't do thirty percent" is not "thirty percent, done" — unless the rule's own example is negated too
        negated = _negated(core.segment.text) and not _negated(s.closest_positive or "")
        closer_to_ok = s.negative > s.positive and s.negative >= NEGATIVE
        if negated or closer_to_ok or s.positive < s.negative + 0.05:
            continue
        over = [p for p in percentages(s.segment.text) if threshold is not None and p > threshold]
        best = core if core.positive > s.positive else s
        turn = s.segment.turn
        if best.positive >= BLOCK_ALONE:
            hits.append((s, blocker_hit(turn, best.closest_positive, best.positive, False, None, None)))
        elif best.positive >= BLOCK_WITH_SIGNAL and s.tagged:
            hits.append((s, blocker_hit(turn, best.closest_positive, best.positive, True, None, None)))
        elif over and (s.tagged or best.positive >= 0.35):
            hits.append((s, blocker_hit(turn, None, best.positive, s.tagged, over[0], threshold)))
    if hits:
        hits.sort(key=lambda h: (h[0].segment.turn, h[0].segment.start))
        ctx.hit_spans[c.id] = [(h[0].segment.turn, h[0].segment.start, h[0].segment.end) for h in hits]
        first = hits[0]
        return CriterionResult(
            id=c.id, kind="blocker", score=0.0, max=0.0, verdict="missed", hit=True,
            evidence=[ctx.evidence(h[0]) for h in hits[:3]],
            rationale=first[1],
        )  # fmt: skip
    nearest = _top_distinct(scores, lambda s: s.positive, 1)
    if not nearest:
        return CriterionResult(id=c.id, kind="blocker", score=0.0, max=0.0, verdict="n/a", hit=False,
                               rationale="Not checked: you said nothing in this conversation.")  # fmt: skip
    return CriterionResult(
        id=c.id, kind="blocker", score=0.0, max=0.0, verdict="met", hit=False, evidence=[ctx.evidence(nearest[0])],
        rationale=blocker_kept(nearest[0].segment.turn, nearest[0].positive),
    )  # fmt: skip


def _missed(c: Criterion, evidence: list[Evidence], rationale: str) -> CriterionResult:
    scale = c.kind == "scale"
    return CriterionResult(id=c.id, kind=c.kind, score=1.0 if scale else 0.0, max=5.0 if scale else 1.0,
                           verdict="missed", evidence=evidence, rationale=rationale)  # fmt: skip


def _credit(r: CriterionResult) -> float:
    if r.kind == "scale":
        return max(0.0, (r.score - 1.0) / 4.0)
    return r.score / r.max if r.max else 0.0


def overall_score(rubric: Rubric, results: Sequence[CriterionResult]) -> float:
    """Weighted mean of the credit of every non-blocker criterion that applies, 0..100."""
    by_id = {r.id: r for r in results}
    total = weight = 0.0
    for c in rubric.criteria:
        r = by_id[c.id]
        if c.kind == "blocker" or r.verdict == "n/a" or c.weight <= 0:
            continue
        total += c.weight * _credit(r)
        weight += c.weight
    return round(100.0 * total / weight, 1) if weight else 0.0


class EmbeddedScorer:
    """Scores a Conversation against a Rubric with tags, metrics and few-shot similarity. No network."""

    name = ENGINE_NAME

    def __init__(self, embed_fn: Any = None):
        if embed_fn is None:
            from sparring.nlp.embeddings import embed as embed_fn
        self._embed = embed_fn

    def context(self, conversation: Conversation) -> ScoringContext:
        from sparring.scoring.metrics import compute_metrics
        from sparring.scoring.tagging import question_kind, tag_turns

        segments = conversation_segments(conversation)
        texts = embedding_texts(segments, EMBED_WORD_BUDGET)
        vectors = self._embed(texts) if segments else np.zeros((0, DIM), dtype=np.float32)
        # the tag model reads each learner turn's sentence vectors: the ones just computed, no second model run
        by_turn = with_empty_turns(conversation, turn_vectors(segments, vectors), "learner", self._embed)
        tags = tag_turns(conversation, roles={"learner"}, vectors=by_turn)  # only learner tags are read
        metrics = compute_metrics(conversation, tags=tags, vectors=by_turn)
        segment_tags = []
        for seg in segments:
            kind = question_kind(seg.text) if seg.question else None
            segment_tags.append(tags[seg.turn] | {kind} if kind else tags[seg.turn])
        return ScoringContext(conversation, list(tags), dict(metrics), segments, vectors, segment_tags)

    def judge(self, c: Criterion, ctx: ScoringContext) -> CriterionResult:
        if c.kind == "metric":
            return judge_metric(c, ctx)
        if not ctx.segments:
            top = {"scale": 5.0, "blocker": 0.0}.get(c.kind, 1.0)
            return CriterionResult(
                id=c.id, kind=c.kind, score=0.0, max=top,
                verdict="n/a", hit=False if c.kind == "blocker" else None,
                rationale="Not scored: you said nothing in this conversation, so there is nothing to judge.",
            )  # fmt: skip
        rule_lines = [] if c.kind == "blocker" else ctx.rule_lines
        scores = score_segments(c, ctx.segments, ctx.vectors, ctx.segment_tags, prototypes(c, self._embed, rule_lines))
        if c.kind != "blocker" and ctx.broken:
            kept = [s for s in scores if not ctx.breaks_rule(s.segment)]
            if not kept:  # every line the learner said broke a rule: nothing left to earn credit with
                evidence = [ctx.evidence(s) for s in _top_distinct(scores, lambda s: s.positive, 1)]
                why = "Missed: every line you said broke one of the rubric's rules, so none can earn credit."
                return _missed(c, evidence, why)
            scores = kept
        limit = order_limit(c, ctx)
        if limit is not None and c.kind in ("check", "scale"):
            first, what = limit
            earlier = [s for s in scores if s.segment.turn < first]
            if not any(s.strength >= MODERATE for s in earlier):
                why = f"Not in time: your first {what} came at turn {first} (cited), before this: {c.met_when}."
                return _missed(c, [Evidence(turn=first, quote=quote_of(ctx.turn(first)))], why)
            scores = earlier
        ctx.per_criterion[c.id] = scores
        if c.kind == "check":
            return judge_check(c, ctx, scores)
        if c.kind == "scale":
            return judge_scale(c, ctx, scores)
        return judge_blocker(c, ctx, scores)

    def score(self, conversation: Conversation, rubric: Rubric) -> Scorecard:
        return self.score_with_context(conversation, rubric)[0]

    def score_with_context(self, conversation: Conversation, rubric: Rubric) -> tuple[Scorecard, ScoringContext]:
        """The scorecard and the per-segment evidence behind it (for explanations, moments and tests)."""
        ctx = self.context(conversation)
        ctx.rule_lines = [line for c in rubric.criteria if c.kind == "blocker" for line in c.examples_positive]
        # rules first: a sentence that breaks one cannot also earn credit elsewhere
        judged = {c.id: self.judge(c, ctx) for c in rubric.criteria if c.kind == "blocker"}
        for r in judged.values():
            if r.hit:
                ctx.broken.extend(ctx.hit_spans.get(r.id, []))
        judged.update({c.id: self.judge(c, ctx) for c in rubric.criteria if c.kind != "blocker"})
        results = [judged[c.id] for c in rubric.criteria]
        overall = overall_score(rubric, results)
        blockers = [r.id for r in results if r.kind == "blocker" and r.hit]
        feedback = build_feedback(rubric, results, ctx, self._embed)
        card = Scorecard(
            rubric=RubricRef(id=rubric.id, version=rubric.version),
            engine=ENGINE_NAME,
            overall=overall,
            passed=overall >= rubric.pass_mark and not blockers,
            blockers=blockers,
            criteria=results,
            metrics=ctx.metrics,
            feedback=feedback,
        )
        return card, ctx
