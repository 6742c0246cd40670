"""Metric criteria: the verdict against the target band, and the turns cited as evidence.

A metric outside its band is ``partly`` when it lies in the criterion's ``partly`` band, or, without one, when
it misses by at most a quarter of the band's width or a fifth of the bound (whichever is larger), else
``missed``; a metric the conversation cannot give (timed metrics on an untimed transcript) is ``n/a`` with no
evidence, never an invented number.

Which turns are cited: the turns that drive the number.

A metric is a property of the whole conversation, but a learner still needs to see where it came from: the
longest monologue cites that monologue, a question metric cites the questions (or, when there are none, the
longest stretch of telling), an interruption metric cites the turns that started before the other speaker ended.
Quotes are verbatim (``quote_of``) like every other piece of evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sparring.content.rubric import Criterion
from sparring.conversation.model import Conversation, Turn
from sparring.scoring.rationale import metric_rationale, metric_unavailable
from sparring.scoring.scorecard import CriterionResult, Evidence, Verdict

if TYPE_CHECKING:
    from sparring.scoring.embedded import ScoringContext

QUESTION_TAGS = frozenset({"open_question", "closed_question"})
REFLECTION_TAGS = frozenset({"reflection_simple", "reflection_complex"})


def _quote(turn: Turn) -> Evidence:
    from sparring.scoring.segments import quote_of

    return Evidence(turn=turn.index, quote=quote_of(turn))


def _longest(turns: Sequence[Turn], n: int = 1) -> list[Turn]:
    def length(t: Turn) -> float:
        return (t.end - t.start) if t.timed and t.end is not None and t.start is not None else float(t.words)

    return sorted(turns, key=lambda t: (-length(t), t.index))[:n]


def metric_evidence(metric: str, conversation: Conversation, tags: Sequence[frozenset[str]]) -> list[Evidence]:
    learner = [t for t in conversation.turns if t.role == "learner" and t.text.strip()]
    counterpart = [t for t in conversation.turns if t.role != "learner" and t.text.strip()]
    chosen: list[Turn] = []
    if metric.startswith("longest_counterpart_story"):
        chosen = _longest(counterpart)
    elif metric in ("question_count", "question_rate", "open_question_share"):
        wanted = frozenset({"open_question"}) if metric == "open_question_share" else QUESTION_TAGS
        chosen = [t for t in learner if tags[t.index] & wanted][:2]
    elif metric == "reflection_to_question_ratio":
        chosen = [t for t in learner if tags[t.index] & REFLECTION_TAGS][:1]
        chosen += [t for t in learner if tags[t.index] & QUESTION_TAGS][:1]
    elif metric == "filler_rate":
        chosen = [t for t in learner if "filler" in tags[t.index]][:2]
    elif metric == "interruptions":
        prev: Turn | None = None
        for t in conversation.turns:
            if (
                prev is not None
                and t.role == "learner"
                and prev.speaker != t.speaker
                and t.start is not None
                and prev.end is not None
                and t.start < prev.end
            ):
                chosen.append(t)
            prev = t
        chosen = chosen[:2]
    elif metric == "patience_seconds":
        gaps: list[tuple[float, Turn]] = []
        for a, b in zip(conversation.turns, conversation.turns[1:], strict=False):
            if b.role == "learner" and a.role != "learner" and b.start is not None and a.end is not None:
                gaps.append((b.start - a.end, b))
        chosen = [t for _, t in sorted(gaps, key=lambda g: (g[0], g[1].index))[:1]]
    if not chosen:
        chosen = _longest(learner)
    return [_quote(t) for t in sorted(chosen, key=lambda t: t.index)]


def judge_metric(c: Criterion, ctx: ScoringContext) -> CriterionResult:
    """A ``metric`` criterion: 1 inside the band, 0.5 just outside, 0 beyond; ``n/a`` when not computable."""
    assert c.metric is not None and c.target is not None
    value = ctx.metrics.get(c.metric)
    lo, hi = c.target.min, c.target.max
    if value is None or not isinstance(value, int | float):
        return CriterionResult(
            id=c.id, kind="metric", score=0.0, max=1.0, verdict="n/a",
            rationale=metric_unavailable(c),
        )  # fmt: skip
    v = float(value)
    inside = (lo is None or v >= lo) and (hi is None or v <= hi)
    if inside:
        verdict: Verdict = "met"
        score = 1.0
    else:
        if c.partly is not None:
            near = (c.partly.min is None or v >= c.partly.min) and (c.partly.max is None or v <= c.partly.max)
        else:
            bound = lo if lo is not None and v < lo else hi
            assert bound is not None
            width = (hi - lo) if lo is not None and hi is not None else 0.0
            tolerance = max(0.25 * width, 0.2 * abs(bound), 1e-9)
            near = abs(v - bound) <= tolerance
        verdict, score = ("partly", 0.5) if near else ("missed", 0.0)
    ev = metric_evidence(c.metric, ctx.conversation, ctx.tags)
    return CriterionResult(
        id=c.id, kind="metric", score=score, max=1.0, verdict=verdict, evidence=ev,
        rationale=metric_rationale(c, v, verdict, ctx.metrics),
    )  # fmt: skip
