"""When a learner turn eases one of the persona's objections, and by how much.

A turn that makes one of the objection's ``eased_by`` moves is a hit. Its weight is what makes hard reward better
moves: a *strong* move (a real trade, value in the buyer's own numbers, a complex reflection or summary, one of
the scenario's own custom moves, or a layered turn making two different easing acts for the objection — sympathy
and a question about it, value and a trade) weighs
``STRONG_WEIGHT``, any other easing act 1, and an act that already eased this objection weighs half as much the
next time (repeating a recognised move is not progress). An objection is eased once its hits reach the level's
``ease_hits`` (1 on easy/medium, 2 on hard in the library): on hard a strong move settles it in one turn, weaker
ones take two different ones.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sparring.content.scenario import Objection, Scenario
from sparring.content.vocabulary import expand_all
from sparring.persona.base import PersonaState
from sparring.persona.listen import Turn, words
from sparring.persona.moves import RELEVANT_QUESTION, is_follow_up, objection_text, relevance

#: weight of a strong easing move (see the module docstring)
STRONG_WEIGHT = 2.0
#: acts that are strong whenever they ease
STRONG_ACTS = frozenset({"tradeoff_offer", "reflect_complex", "summarise"})
#: a turn making this many different easing acts for one objection is a strong move (a layered answer)
LAYERED_ACTS = 2
#: acts too light to count towards a layered move
LIGHT_ACTS = frozenset({"acknowledge", "other", "small_talk"})
#: an acknowledgement that is a turn's only easing act for an objection, in a turn that also pushes back (a
#: contradiction, a need waved away or advice is at least ``PUSHBACK_BAR`` likely: "Alan, with respect, that's not
#: a good idea", "Yes, I've been through them. Honestly, I'm not convinced price is the problem."), eases with this
#: weight, however long the turn: a "yes, but" does not take the concern in. On the development split (2026-12-08)
#: 57 of 304 eased concerns were settled by an acknowledgement alone, 36 of them in poor, adversarial or terse play;
#: weakening every one of them cost skilled play two successes on medium (a sincere "Seven years with VaultCore and
#: no reason to change is a good place to be" is read as an acknowledgement too), so only the "yes, but" is weaker
ACKNOWLEDGING = frozenset({"acknowledge"})
ACKNOWLEDGED_WEIGHT = 0.5
PUSHBACK = frozenset({"confront", "dismiss_need", "advice"})
PUSHBACK_BAR = 0.25
#: an act that already eased this objection counts this much the next time
REPEAT_WEIGHT = 0.5
#: a turn shorter than this many words (other than a question) eases with this weight (terse play needs twice
#: the turns)
TERSE_WORDS = 6
TERSE_WEIGHT = 0.5
#: acts that only ask: they ease an objection only when the question is about it
ASKING = frozenset({"question_open", "question_clarifying", "question_closed", "permission_ask"})
#: a turn at least this close to a not-yet-raised objection, making one of its easing moves, answers it early
PREEMPT_RELEVANCE = 0.55
#: a question about another objection that is this much closer than to the open one is about that other one
OTHER_CONCERN_MARGIN = 0.05

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


@lru_cache(maxsize=64)
def _numbers_in(text: str) -> frozenset[float]:
    out: set[float] = set()
    for m in _DIGITS.finditer(text):
        raw = m.group().replace(",", "")
        if raw.count(".") > 1:
            continue
        out.add(float(raw))
    try:
        from sparring.nlp.clauses import numbers
    except ImportError:
        return frozenset(out)
    return frozenset(out | set(numbers(text)))


def scenario_numbers(scenario: Scenario) -> frozenset[float]:
    """The numbers of the learner's situation: the brief, the persona's background and objections."""
    texts = [scenario.brief, *scenario.persona.background, *scenario.persona.hidden_agenda, *scenario.objectives]
    for o in scenario.objections:
        texts.extend([*o.lines, *o.answers])
    out: set[float] = set()
    for t in texts:
        out |= _numbers_in(t)
    return frozenset(out)


def _same(a: float, b: float) -> bool:
    if a == b:
        return True
    return any(abs(a * k - b) < 1e-6 * max(1.0, abs(b)) for k in (1e3, 1e6, 1e-3, 1e-6))


def own_numbers(turn: Turn, scenario: Scenario) -> bool:
    """The turn quantifies in the buyer's own numbers: a number it names is one of the scenario's."""
    theirs = scenario_numbers(scenario)
    mine = set(turn.numbers) | _numbers_in(turn.text)
    return any(_same(a, b) for a in mine for b in theirs if a not in (0.0, 1.0))


def pushes_back(turn: Turn) -> bool:
    """The turn argues against the persona or tells it what to do, at least ``PUSHBACK_BAR`` likely."""
    return any(turn.probs.get(a, 0.0) >= PUSHBACK_BAR for a in PUSHBACK)


def strong(easing: frozenset[str], turn: Turn, scenario: Scenario) -> bool:
    """A strong easing move: a trade, a complex reflection or summary, value in the buyer's own numbers, or one
    of the scenario's own ``custom_moves`` (the moves its author wrote for this situation)."""
    if easing & STRONG_ACTS or easing & turn.custom:
        return True
    if len(easing - LIGHT_ACTS) >= LAYERED_ACTS:
        return True  # a layered move: names the concern's feeling *and* asks about it, or gives value and a trade
    return "quantified_value" in easing and own_numbers(turn, scenario)


def about(objection: Objection, text: str, scenario: Scenario) -> bool:
    """The learner's question is about this objection: a short follow-up on what was just said, or close
    enough to it and not clearly about another of the persona's concerns."""
    if is_follow_up(text):
        return True
    own = relevance(text, objection_text(objection))
    if own < RELEVANT_QUESTION:
        return False
    others = [relevance(text, objection_text(o)) for o in scenario.objections if o.id != objection.id]
    return own >= max(others, default=0.0) - OTHER_CONCERN_MARGIN


def ease_weight(objection: Objection, turn: Turn, scenario: Scenario, state: PersonaState) -> float:
    """How much this turn eases ``objection`` (0 when it does not; notes the acts used in ``state.extra``)."""
    easing = expand_all(objection.eased_by) & turn.names
    if not easing:
        return 0.0
    if easing <= ASKING and not about(objection, turn.text, scenario):
        return 0.0  # a question about something else is answered, and the objection stays
    weight = STRONG_WEIGHT if strong(easing, turn, scenario) else 1.0
    if easing <= ACKNOWLEDGING and pushes_back(turn):
        weight = ACKNOWLEDGED_WEIGHT  # "Sure, but with respect, that's not a good idea" takes nothing in
    elif len(words(turn.text)) < TERSE_WORDS and not turn.asks:
        weight *= TERSE_WEIGHT  # "Fair enough." is half an answer
    used: dict[str, list[str]] = state.extra.setdefault("eased_with", {})
    before = set(used.get(objection.id, []))
    if easing <= before:
        weight *= REPEAT_WEIGHT
    used[objection.id] = sorted(before | easing)
    return weight


def preempted(active: list[Objection], state: PersonaState, turn: Turn, scenario: Scenario,
              hits: dict[str, float]) -> Objection | None:
    """The not-yet-raised objection this turn answers ahead of time, if any (its hit is counted): the turn
    makes one of its easing moves (a question alone does not answer anything) and is about it."""
    best: tuple[float, Objection] | None = None
    for o in active:
        if o.id in state.raised or not (expand_all(o.eased_by) & turn.names) - ASKING:
            continue
        score = relevance(turn.text, objection_text(o))
        if score >= PREEMPT_RELEVANCE and (best is None or score > best[0]):
            best = (score, o)
    if best is None:
        return None
    o = best[1]
    easing = expand_all(o.eased_by) & turn.names
    weight = STRONG_WEIGHT if strong(easing, turn, scenario) else 1.0
    hits[o.id] = round(hits.get(o.id, 0.0) + weight, 3)
    return o
