"""The embedded scorer: rubric-driven, evidence-cited, deterministic, offline.

How each criterion kind is judged (docs/decisions.md §7 records why):

- ``check`` / ``scale``: every learner turn is cut into sentences and, for long sentences, their clauses
  (``sparring.scoring.segments``). Each segment gets a *strength*: its cosine similarity to the criterion's
  positive example lines (few-shot), with the name, description, ``met_when`` and top anchors as a weaker
  prototype, lowered by the criterion's background calibration (``scoring/calibration.py``: similarity alone
  must beat what lines of other behaviours reach); a segment that *performs* one of the criterion's ``signals``
  (acts of ``sparring.nlp.acts``, read by the act model per sentence and clause with speaker, subject and
  polarity applied, ``scoring/act_reading.py``) is strong on that alone, one that does not pays a small cost
  (more for a bare clause); minus a penalty when it sits closer to one of the criterion's own negative examples,
  or has the wrong form (a statement, for a criterion whose examples are questions, is capped below partly).
  A criterion with ``applies_when`` acts is ``n/a`` (and says so) when the learner never performed any of them.
  A check is met when a segment is strong, partly when the best is moderate or a strong one is contradicted by a
  whole sentence that reads like one of the criterion's own negative examples (missed if the best is not
  strong); a scale maps the best strength, the number of strong turns and any counter-evidence onto 1..5.
- ``metric``: the conversation metric (``sparring.scoring.metrics``) against its target band (met inside, partly
  just outside); ``n/a`` when the metric is not available (timed metrics on an untimed transcript), never an
  invented number.
- ``blocker``: judged first, on whole sentences (``scoring/blockers.py``): the rule's act performed as the rule
  means it (speaker, subject, polarity; a percentage rule counts only numbers the speaker offers), or a line very
  like the rule's examples and not negated. A hit fails the rep whatever the total, and the sentence earns no
  credit for any other criterion. The rule's example lines are not negatives of other criteria.

Every met/partly/missed verdict cites turn indexes with quotes that are exact substrings of the turn text.
The overall is the weighted mean over non-blocker criteria that apply (a scale level L counts (L-1)/4).
Similarities are rounded to 3 decimals before any threshold, so re-scoring gives an identical scorecard.
Long calls embed a bounded number of words (``EMBED_WORD_BUDGET``) so a 400-turn call scores in about a second.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sparring.content.rubric import Criterion, Rubric
from sparring.conversation.model import Conversation, Turn
from sparring.nlp.act_aliases import resolve_acts
from sparring.nlp.embeddings import DIM
from sparring.scoring.act_reading import (
    LEGACY_ACTS,
    Reader,
    active_reader,
    effective_acts,
    legacy_read_acts,
    with_turn_tags,
)
from sparring.scoring.calibration import background_level, similarity_offset
from sparring.scoring.feedback import build_feedback
from sparring.scoring.metric_evidence import judge_metric
from sparring.scoring.ordering import order_limit
from sparring.scoring.prototypes import prototypes
from sparring.scoring.rationale import ACT_NOUNS, check_rationale, needed_turn, scale_rationale
from sparring.scoring.recent import remember
from sparring.scoring.scorecard import CriterionResult, Evidence, RubricRef, Scorecard, Verdict
from sparring.scoring.segments import (
    EMBED_WORD_BUDGET,
    Segment,
    embedding_texts,
    quote_of,
)
from sparring.scoring.sentence_vectors import conversation_segments, turn_vectors, with_empty_turns
from sparring.scoring.strength import (
    ACT_SURE,
    MODERATE,
    NEGATIVE,
    STRONG,
    SegmentScore,
    score_segments,
)

ENGINE_NAME = "embedded"
# ---------------------------------------------------------------------------------------------- scorer
@dataclass
class ScoringContext:
    """Everything computed once per conversation and shared by every criterion (and by feedback)."""

    conversation: Conversation
    tags: list[frozenset[str]]
    metrics: dict[str, Any]
    segments: list[Segment]
    vectors: np.ndarray
    #: per segment: its act reading (``sparring.nlp.act_model.ActReading``) and the acts a criterion may count
    readings: list[Any] = field(default_factory=list)
    segment_acts: list[frozenset[str]] = field(default_factory=list)
    #: per turn: the acts its whole sentences perform (empty for turns of other roles)
    turn_acts: list[frozenset[str]] = field(default_factory=list)
    #: per segment: the effective acts read with probability at least ``ACT_SURE``
    sure_acts: list[frozenset[str]] = field(default_factory=list)
    rubric: Rubric | None = None
    per_criterion: dict[str, list[SegmentScore]] = field(default_factory=dict)
    #: (turn, start, end) of sentences that broke a rule: never positive evidence for another criterion
    broken: list[tuple[int, int, int]] = field(default_factory=list)
    #: per blocker id: the (turn, start, end) of the sentences that hit it
    hit_spans: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: missed criteria whose evidence is merely the nearest line (no attempt, no turn where it was needed)
    nearest_only: set[str] = field(default_factory=set)

    _by_span: dict[tuple[int, int, int], int] = field(default_factory=dict, repr=False)
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

    def reading(self, seg: Segment) -> Any:
        """The act reading of ``seg`` (one of ``segments``)."""
        if len(self._by_span) != len(self.segments):
            self._by_span = {(s.turn, s.start, s.end): i for i, s in enumerate(self.segments)}
        return self.readings[self._by_span[(seg.turn, seg.start, seg.end)]]

    def learner_did(self, acts: frozenset[str]) -> bool:
        """Whether any learner sentence or clause performs one of ``acts`` (as the act model or the rules read it)."""
        return any(a & acts for a in self.segment_acts) or any(a & acts for a in self.sure_acts)

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
    needed = needed_turn(c, [t.role for t in ctx.conversation.turns], ctx.turn_acts)
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


#: the act model reads each line with the other person's previous line as context: its last words, at most this many
#: (a counterpart's long turn costs embedding time and the act answers how it ended, not how it began)
CONTEXT_WORDS = 25
#: beyond this many learner words in a conversation, lines are read without context (speed; see ``context``)
CONTEXT_WORD_BUDGET = 1000


def context_of(text: str) -> str:
    """The end of the other person's previous turn: its last sentence, or its last ``CONTEXT_WORDS`` words."""
    words = text.split()
    if len(words) <= CONTEXT_WORDS:
        return text.strip()
    tail = " ".join(words[-CONTEXT_WORDS:])
    cut = max(tail.find(". "), tail.find("? "), tail.find("! "))
    return tail[cut + 2:] if 0 <= cut < len(tail) - 12 else tail


def _not_applicable(c: Criterion) -> CriterionResult:
    """``n/a`` for a conditional criterion whose condition never arose (it does not count in the total)."""
    names = [ACT_NOUNS.get(a, a.replace("_", " ")) for a in sorted(resolve_acts(c.applies_when))]
    what = " or ".join(dict.fromkeys(names)) or "what it is about"
    top = {"scale": 5.0, "blocker": 0.0}.get(c.kind, 1.0)
    return CriterionResult(
        id=c.id, kind=c.kind, score=0.0, max=top, verdict="n/a", hit=False if c.kind == "blocker" else None,
        rationale=f"Not applicable: this only counts when you give {what}, and you did not — so it is left out "
                  "of your total.",
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

    def __init__(self, embed_fn: Any = None, read_fn: Reader | None = None):
        if embed_fn is None:
            from sparring.nlp.embeddings import embed as embed_fn
        self._embed = embed_fn
        self._read = read_fn if read_fn is not None else active_reader()

    def context(self, conversation: Conversation) -> ScoringContext:
        from sparring.scoring.metrics import compute_metrics
        from sparring.scoring.tagging import neighbours, tag_turns

        segments = conversation_segments(conversation)
        texts = embedding_texts(segments, EMBED_WORD_BUDGET)
        vectors = self._embed(texts) if segments else np.zeros((0, DIM), dtype=np.float32)
        # the tag model reads each learner turn's sentence vectors: the ones just computed, no second model run
        by_turn = with_empty_turns(conversation, turn_vectors(segments, vectors), "learner", self._embed)
        tags = tag_turns(conversation, roles={"learner"}, vectors=by_turn)  # only learner tags are read
        metrics = compute_metrics(conversation, tags=tags, vectors=by_turn)
        previous, _following = neighbours(conversation)
        # long conversations (the rep says more than CONTEXT_WORD_BUDGET words) are read without context, as long
        # sentences are matched by their opening words: embedding every counterpart turn too would add a third to
        # the cost of scoring them
        long_call = sum(len(s.text.split()) for s in segments if not s.clause) > CONTEXT_WORD_BUDGET
        contexts = {} if long_call else {i: context_of(t) for i, t in enumerate(previous) if t}
        readings = self._read(texts, [contexts.get(s.turn, "") for s in segments]) if segments else []
        if self._read is legacy_read_acts:  # the rules' reading, plus what the turn's tag model adds
            readings = [with_turn_tags(r, tags[s.turn]) for r, s in zip(readings, segments, strict=True)]
        segment_acts = [effective_acts(r) for r in readings]
        # an act is trusted as evidence when the model is sure of it, or the phrase rules read it too
        ruled = [effective_acts(with_turn_tags(r, tags[sg.turn])) for r, sg in zip(legacy_read_acts(texts), segments,
                                                                                  strict=True)] \
            if self._read is not legacy_read_acts else segment_acts
        sure = [frozenset(a for a in acts if r.p(a) >= ACT_SURE) | rule for r, acts, rule in
                zip(readings, segment_acts, ruled, strict=True)]
        # what each turn did, for "before any …" limits and "where it was needed": the trusted acts only
        turn_acts: list[frozenset[str]] = [frozenset()] * len(conversation.turns)
        for seg, acts in zip(segments, sure, strict=True):
            if not seg.clause:
                turn_acts[seg.turn] = turn_acts[seg.turn] | acts
        return ScoringContext(conversation, list(tags), dict(metrics), segments, vectors, readings=readings,
                              segment_acts=segment_acts, turn_acts=turn_acts, sure_acts=sure)

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
        # a conditional criterion applies when its condition arose, or when the learner showed the behaviour anyway
        if c.applies_when and not ctx.learner_did(resolve_acts([*c.applies_when, *c.acts])):
            return _not_applicable(c)
        proto = prototypes(c, self._embed)
        offset = 0.0
        if c.kind in ("check", "scale"):
            offset = similarity_offset(background_level(c, proto.positive, self._embed, ctx.rubric), STRONG)
        readable = LEGACY_ACTS if self._read is legacy_read_acts else None
        scores = score_segments(c, ctx.segments, ctx.vectors, ctx.segment_acts, proto, offset, readable,
                                [r.acts for r in ctx.readings], ctx.sure_acts, ctx.readings)
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
            earlier = [s for s in scores if s.segment.turn <= first]  # the same turn may set it up first
            if not any(s.strength >= MODERATE for s in earlier):
                why = f"Not in time: your first {what} came at turn {first} (cited), before this: {c.met_when}."
                return _missed(c, [Evidence(turn=first, quote=quote_of(ctx.turn(first)))], why)
            scores = earlier
        ctx.per_criterion[c.id] = scores
        if c.kind == "check":
            return judge_check(c, ctx, scores)
        if c.kind == "scale":
            return judge_scale(c, ctx, scores)
        from sparring.scoring.blockers import judge_blocker

        return judge_blocker(c, ctx, scores)

    def score(self, conversation: Conversation, rubric: Rubric) -> Scorecard:
        return self.score_with_context(conversation, rubric)[0]

    def score_with_context(self, conversation: Conversation, rubric: Rubric) -> tuple[Scorecard, ScoringContext]:
        """The scorecard and the per-segment evidence behind it (for explanations, moments and tests)."""
        ctx = self.context(conversation)
        ctx.rubric = rubric
        remember(ctx)  # the call-moment finder reuses its act readings (scoring/recent.py)
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
