"""Which rubric criterion a moment bears on (docs/moments.md, "Criterion"), from what the criterion declares:

1. a **blocker** whose ``acts`` the rep performed in the moment (a concession under a "no unapproved discount"
   rule) — the moment is where the rule was broken;
2. a **check or scale** criterion whose ``acts`` include the act the rep performed that earned a moment that
   helped (explored: a question; quantified: quantified_value) or that made the ask of a commitment won or lost;
3. a **metric** criterion on one of the metrics the moment's kind bears on (``bears_on.<kind>.metrics`` of
   review/data/cues.yaml, first listed first): a monologue bears on ``longest_monologue_words``;
4. a **check or scale** criterion whose ``acts`` share one of the kind's acts (``bears_on.<kind>.acts``, first
   listed weigh most), then one whose ``signals`` do.

Among equals, a criterion whose verdict agrees with the moment wins (a missed or partly criterion for a moment
that hurt, a met one for a moment that helped), then the rubric's order. No match: no criterion (``None``).
"""

from __future__ import annotations

from sparring.content.rubric import Criterion, Rubric
from sparring.nlp.act_aliases import resolve_acts
from sparring.review.cues import Cues
from sparring.review.found import Found
from sparring.scoring.scorecard import Scorecard

_ASKS = frozenset({"commitment_won", "commitment_lost"})


def _rank(c: Criterion, found: Found, cues: Cues) -> float:
    bears = cues.bears_on.get(found.family)
    if c.kind == "blocker":
        return 10.0 if found.rep_acts & resolve_acts(c.acts) else 0.0
    if bears is None:
        return 0.0
    if c.kind == "metric":
        return 6.0 - 0.1 * bears.metrics.index(c.metric) if c.metric in bears.metrics else 0.0
    own = resolve_acts(c.acts)
    if found.rep_acts & own and (found.base > 0 or found.family in _ASKS):
        return 7.0  # the very act that earned the moment (or made the ask) is this criterion's
    for i, act in enumerate(bears.acts):
        if act in own:
            return 5.0 - 0.1 * i
    signals = resolve_acts(c.signals)
    for i, act in enumerate(bears.acts):
        if act in signals:
            return 2.0 - 0.05 * i
    return 0.0


def criterion_for(found: Found, rubric: Rubric, cues: Cues, scorecard: Scorecard | None = None) -> str | None:
    """The id of the criterion of ``rubric`` that ``found`` bears on, or None (module docstring)."""
    verdicts = {c.id: c.verdict for c in scorecard.criteria} if scorecard is not None else {}
    hits = {c.id: c.hit for c in scorecard.criteria} if scorecard is not None else {}
    best: tuple[float, int, str] | None = None
    for order, c in enumerate(rubric.criteria):
        rank = _rank(c, found, cues)
        if rank <= 0:
            continue
        verdict = verdicts.get(c.id)
        if c.kind == "blocker" and hits.get(c.id) is False:
            rank = 3.0  # the rep did what the rule is about, but the scorer found the rule kept
        elif verdict == "n/a":
            rank -= 3.0
        elif verdict is not None:
            hurt = found.impact < 0 if found.impact else found.base < 0
            agrees = verdict in ("missed", "partly") if hurt else verdict == "met"
            rank += 0.5 if agrees else 0.0
        key = (rank, -order, c.id)
        if best is None or key > best:
            best = key
    return best[2] if best is not None and best[0] > 0 else None
