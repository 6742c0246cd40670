"""Feedback a learner can act on, built from the criterion results and the conversation itself.

- ``landed``: the two strongest moments (met/partly criteria with the strongest evidence), quoted.
- ``missed``: the two weakest (a broken rule first, then missed and partly criteria by weight), quoted.
- ``next_drill``: one concrete drill aimed at the weakest criterion, anchored at the turn where it went wrong.
- ``better_line``: a stronger line for the weakest moment, fitted to the conversation: the rubric's
  ``better_line`` (placeholders ``{their_words}``, ``{name}``, ``{topic}`` are filled from the counterpart's
  last words before that moment), or else the rubric example closest to what the counterpart had just said.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from sparring.content.rubric import Criterion, Rubric
from sparring.conversation.model import Turn
from sparring.scoring.rationale import example_of
from sparring.scoring.scorecard import CriterionResult, Feedback

if TYPE_CHECKING:
    from sparring.scoring.embedded import ScoringContext

#: placeholders a rubric's ``better_line`` may use (the lint warns about any other)
PLACEHOLDERS = ("their_words", "name", "topic")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_STOP = frozenset(
    """a about above after again all also am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    him his how i if in into is it its itself just know let like ll me more most my no nor not now of off on once
    only or other our ours out over own re really right same she should so some such than that the their theirs them
    then there these they this those through to too under until up us very was we well were what when where which
    while who whom why will with would yeah yes you your yours going get got think want need okay thing things one
    said say see much many sure mean even still back make made look maybe actually""".split()  # noqa: SIM905
)


def _credit(r: CriterionResult) -> float:
    if r.kind == "scale":
        return max(0.0, (r.score - 1.0) / 4.0)
    return r.score / r.max if r.max else 0.0


def _shorten(text: str, words: int = 14) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


def _moment(r: CriterionResult, c: Criterion, label: str) -> str:
    ev = r.evidence[0]
    return f'Turn {ev.turn}: "{_shorten(ev.quote, 30)}" — {label}{c.name}'


def _strength(r: CriterionResult, ctx: ScoringContext) -> float:
    scores = ctx.per_criterion.get(r.id)
    return max((s.strength for s in scores), default=0.0) if scores else 0.0


def landed(rubric: Rubric, results: Sequence[CriterionResult], ctx: ScoringContext) -> list[str]:
    crit = {c.id: c for c in rubric.criteria}
    good = [r for r in results if r.kind in ("check", "scale") and r.verdict == "met" and r.evidence]
    good.sort(key=lambda r: (-_credit(r), -crit[r.id].weight * _strength(r, ctx), r.id))
    out = [_moment(r, crit[r.id], "") for r in good[:2]]
    if len(out) < 2:
        metrics = [r for r in results if r.kind == "metric" and r.verdict == "met" and r.evidence]
        out += [f"{crit[r.id].name}: {r.rationale}" for r in metrics[: 2 - len(out)]]
    return out


def weakest(rubric: Rubric, results: Sequence[CriterionResult]) -> list[CriterionResult]:
    """Broken rules first, then missed/partly criteria by lost weight (ties: rubric order)."""
    crit = {c.id: c for c in rubric.criteria}
    order = {c.id: i for i, c in enumerate(rubric.criteria)}
    hits = [r for r in results if r.kind == "blocker" and r.hit]
    weak = [r for r in results if r.kind != "blocker" and r.verdict in ("missed", "partly")]
    weak.sort(key=lambda r: (-crit[r.id].weight * (1.0 - _credit(r)), order[r.id]))
    return hits + weak


def missed(rubric: Rubric, results: Sequence[CriterionResult], nearest_only: Collection[str] = ()) -> list[str]:
    """The two weakest moments, quoted. A criterion never attempted quotes nothing: its evidence is only the
    nearest line, which is about something else, and listing that line under "what missed" would read as if
    the learner had said something wrong there."""
    crit = {c.id: c for c in rubric.criteria}
    out = []
    for r in weakest(rubric, results)[:2]:
        c = crit[r.id]
        if not r.evidence:
            out.append(f"{c.name}: {r.rationale}")
            continue
        if r.id in nearest_only and r.verdict == "missed":
            out.append(f"{c.name} — not shown anywhere in this conversation.{example_of(c)}")
            continue
        label = "broke the rule: " if r.hit else ("only partly: " if r.verdict == "partly" else "missing: ")
        if r.kind == "metric":
            ev = r.evidence[0]
            out.append(f'{c.name}: {r.rationale} (see turn {ev.turn}: "{_shorten(ev.quote)}")')
        else:
            out.append(_moment(r, c, label))
    return out


def _previous_counterpart(ctx: ScoringContext, index: int) -> Turn | None:
    for t in reversed(ctx.conversation.turns[:index]):
        if t.role != "learner" and t.text.strip():
            return t
    return None


def their_words(turn: Turn) -> str:
    """The counterpart's key words: the last question or, failing that, the longest of the last two sentences."""
    from sparring.scoring.segments import split_sentences

    spans = [turn.text[s:e] for s, e in split_sentences(turn.text)] or [turn.text.strip()]
    questions = [s for s in spans if s.endswith("?")]
    pick = questions[-1] if questions else max(spans[-2:], key=lambda s: (len(s.split()), -spans.index(s)))
    words = pick.rstrip(".!?;").split()
    return " ".join(words[:14])


def topic(ctx: ScoringContext) -> str:
    """The counterpart's most repeated content word, for ``{topic}`` ("this" when nothing repeats)."""
    counts: Counter[str] = Counter()
    for t in ctx.conversation.turns:
        if t.role == "learner":
            continue
        for w in re.findall(r"[a-zA-Z][a-zA-Z-]{3,}(?!')", t.text.lower()):
            if w not in _STOP and not w.endswith(("ly", "ing", "ed")):
                counts[w] += 1
    counts = Counter({w: n for w, n in counts.items() if n >= 2})
    if not counts:
        return "this"
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def better_line(c: Criterion, r: CriterionResult, ctx: ScoringContext, embed_fn: object) -> tuple[str, int | None]:
    learner_turn = r.evidence[0].turn if r.evidence else None
    if learner_turn is None:
        learner = [t for t in ctx.conversation.turns if t.role == "learner"]
        learner_turn = learner[0].index if learner else None
    prev = _previous_counterpart(ctx, learner_turn) if learner_turn is not None else None
    words = their_words(prev) if prev else ""
    name = prev.speaker.split()[0] if prev else "them"
    values = {"their_words": words, "name": name, "topic": topic(ctx)}
    if c.better_line:
        line = _fill(c.better_line, values)
        if _PLACEHOLDER.search(c.better_line) or not prev:
            return line, learner_turn
        return f'When {name} said "{words}", try: "{line}"', learner_turn
    examples = list(c.examples_positive)
    if not examples:
        return "", learner_turn
    pick = examples[0]
    if prev is not None and len(examples) > 1 and callable(embed_fn):
        vecs = embed_fn([prev.text, *examples])
        sims = vecs[1:] @ vecs[0]
        pick = examples[int(sims.argmax())]
    if prev is None:
        return f'Try: "{pick}"', learner_turn
    return f'When {name} said "{words}", try something like: "{pick}"', learner_turn


def next_drill(c: Criterion, r: CriterionResult, ctx: ScoringContext) -> str:
    where = ""
    if r.evidence and c.kind != "metric":
        prev = _previous_counterpart(ctx, r.evidence[0].turn)
        if prev is not None:
            where = f' Start from turn {prev.index}, where {prev.speaker} said "{_shorten(prev.text.strip(), 20)}".'
    if c.drill:
        return f"{c.drill}{where}"
    if c.kind == "metric":
        goal = c.name[0].lower() + c.name[1:]
        last = f" Last time {r.rationale[0].lower()}{r.rationale[1:]}" if r.rationale else ""
        return f"Replay this conversation with one goal: {goal}.{last} Three reps, then re-score."
    if c.kind == "blocker":
        return f"Three reps of the same moment without breaking the rule ({c.name.lower()}).{where}"
    goal = c.met_when or c.name[0].lower() + c.name[1:]
    return f"Three short reps on one behaviour: {goal}.{where} Say it in one or two sentences, then re-score."


def build_feedback(
    rubric: Rubric, results: Sequence[CriterionResult], ctx: ScoringContext, embed_fn: object = None
) -> Feedback:
    crit = {c.id: c for c in rubric.criteria}
    weak = weakest(rubric, results)
    fb = Feedback(landed=landed(rubric, results, ctx), missed=missed(rubric, results, ctx.nearest_only))
    if not weak:
        fb.next_drill = "Every criterion was met: try the same scenario at a harder difficulty."
        return fb
    target = weak[0]
    c = crit[target.id]
    fb.next_drill = next_drill(c, target, ctx)
    # the better line is for a moment in the conversation: pick the weakest criterion that points at one
    for r in weak:
        if r.kind == "blocker" or (r.kind == "metric" and not crit[r.id].better_line):
            continue
        line, turn = better_line(crit[r.id], r, ctx, embed_fn)
        if line:
            fb.better_line, fb.better_line_for_turn = line, turn
            break
    return fb
