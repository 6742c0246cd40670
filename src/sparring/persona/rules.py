"""The embedded engine's rules: default state effects of each act, condition checks, and line picking.

Kept apart from the engine loop so each piece is small and testable on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sparring.content.scenario import Condition, Difficulty, DifficultyProfile, Objection, Scenario
from sparring.content.vocabulary import expand, expand_all

#: how an act (or derived event) changes the hidden state when the scenario does not say otherwise (before
#: difficulty factors). Variables a scenario does not have are ignored.
DEFAULT_EFFECTS: dict[str, dict[str, float]] = {
    "question_open": {"trust": 0.03, "openness": 0.06, "rapport": 0.03},
    "question_clarifying": {"trust": 0.04, "openness": 0.06, "rapport": 0.04},
    "question_closed": {"patience": -0.02},
    "permission_ask": {"trust": 0.03, "rapport": 0.03},
    "acknowledge": {"trust": 0.06, "calm": 0.06, "rapport": 0.05},
    "reflect_simple": {"trust": 0.05, "openness": 0.04, "calm": 0.05, "rapport": 0.05, "readiness": 0.02},
    "reflect_complex": {"trust": 0.07, "openness": 0.06, "calm": 0.06, "rapport": 0.06, "readiness": 0.04},
    "summarise": {"trust": 0.07, "openness": 0.06, "calm": 0.06, "rapport": 0.06, "readiness": 0.05},
    "empathise": {"trust": 0.05, "calm": 0.08, "rapport": 0.05},
    "state_impact": {"openness": 0.05, "confidence": 0.04},
    "quantified_value": {"openness": 0.08, "confidence": 0.08},
    "tradeoff_offer": {"openness": 0.06},
    "concession": {"trust": -0.08, "openness": -0.05, "respect": -0.12, "confidence": -0.08},
    "pressure": {"trust": -0.12, "patience": -0.12, "calm": -0.15, "openness": -0.08, "readiness": -0.08},
    "confront": {"trust": -0.08, "patience": -0.08, "calm": -0.1, "rapport": -0.08, "readiness": -0.06},
    "blame_label": {"trust": -0.15, "patience": -0.12, "calm": -0.15, "rapport": -0.12, "openness": -0.1,
                    "readiness": -0.1},
    "insult": {"trust": -0.25, "patience": -0.25, "calm": -0.2, "rapport": -0.2, "openness": -0.12,
               "respect": -0.15, "readiness": -0.12},
    "dismiss_need": {"trust": -0.12, "patience": -0.08, "calm": -0.1, "rapport": -0.1, "openness": -0.08},
    "advice": {"openness": -0.06, "readiness": -0.05, "rapport": -0.03},
    "feature_pitch": {"patience": -0.03},
    "off_topic": {"patience": -0.12, "trust": -0.03},
    "monologue": {"patience": -0.15, "openness": -0.05, "calm": -0.08, "rapport": -0.05},
    "low-effort": {"patience": -0.1, "trust": -0.02},
}
#: acts whose default effects stand for one family: a turn that is both a simple and a complex reflection
#: moves the state once (by the stronger of the two)
FAMILIES: dict[str, str] = {
    "reflect_simple": "reflect", "reflect_complex": "reflect", "summarise": "reflect",
    "question_open": "question", "question_clarifying": "question",
}
#: acts that are hostile to the other person: they spoil a turn and get a human reaction
HOSTILE = frozenset({"insult", "blame_label", "confront", "dismiss_need", "pressure"})

#: moves that spoil a turn: an objection is never eased in a turn that also makes one of them
SPOILERS = frozenset({*HOSTILE, "monologue", "concession", "off_topic", "instruction_injection", "low-effort"})

#: reaction situations for negative moves, most important first
NEGATIVE_REACTIONS: tuple[tuple[str, str], ...] = (
    ("insult", "react:hostile"),
    ("blame_label", "react:hostile"),
    ("dismiss_need", "react:disagree"),  # a contradiction or "you don't need that" is argued with; "That's
    ("confront", "react:disagree"),  # uncalled for." is for a personal attack (blind review, 2026-12-07)
    ("concession", "react:concession"),
    ("pressure", "react:pressure"),
    ("monologue", "react:monologue"),
    ("instruction_injection", "react:injection"),
    ("identity_question", "react:identity"),
    ("off_topic", "react:off-topic"),
    ("advice", "react:advise"),
)
#: reaction situations for helpful moves that did not (yet) settle the open objection
POSITIVE_REACTIONS: tuple[tuple[str, str], ...] = (
    ("reflect_complex", "react:rapport"),
    ("summarise", "react:rapport"),
    ("reflect_simple", "react:rapport"),
    ("empathise", "react:rapport"),
    ("acknowledge", "react:rapport"),
    ("quantified_value", "react:value"),
    ("tradeoff_offer", "react:value"),
    ("state_impact", "react:value"),
    ("question_open", "react:open-question"),
    ("question_clarifying", "react:open-question"),
)
#: how much of a helpful act's effect is left the n-th time it is made again, per level (hard rewards a better
#: move, not the same one repeated)
REPEAT_DECAY: dict[str, float] = {"easy": 1.0, "medium": 1.0, "hard": 0.5}

#: last-resort lines that fit any persona, used only when every authored line for the moment is spent
FALLBACK_LINES: tuple[str, ...] = (
    "Go on.",
    "Mm. Okay.",
    "Right.",
    "I'm listening.",
    "And?",
    "Say more.",
    "Okay, keep going.",
    "Hm.",
    "Sure.",
    "Fine.",
)


def clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def start_values(scenario: Scenario, difficulty: Difficulty) -> dict[str, float]:
    values = dict(scenario.state)
    values.update(scenario.profile(difficulty).start)
    return {k: round(clamp(v), 4) for k, v in values.items()}


def effect_of(scenario: Scenario, name: str) -> tuple[str, dict[str, float]]:
    """The effect of one act, derived event or custom move, and the key it counts under (so a turn that makes
    two acts of one family, or two acts one content alias names, moves the state once): the scenario's own
    ``moves`` entry for the name or an alias of it first, then the engine default."""
    if name in scenario.moves:
        return name, scenario.moves[name].deltas
    for key, effect in scenario.moves.items():
        if name in expand(key):
            return key, effect.deltas
    return FAMILIES.get(name, name), DEFAULT_EFFECTS.get(name, {})


def apply_moves(values: dict[str, float], scenario: Scenario, profile: DifficultyProfile, moves: Sequence[str],
                repeats: dict[str, int] | None = None, decay: float = 1.0) -> None:
    """Move the hidden state for one learner turn (in place): move effects scaled by the difficulty, then drift.
    ``repeats[name]`` is how often the name was made before; a positive effect made again is scaled by
    ``decay`` per earlier time."""
    chosen: dict[str, tuple[dict[str, float], float]] = {}
    for move in moves:
        key, deltas = effect_of(scenario, move)
        if not deltas:
            continue
        scale = decay ** (repeats or {}).get(move, 0)
        strength = sum(abs(d) for d in deltas.values()) * scale
        if key not in chosen or strength > sum(abs(d) for d in chosen[key][0].values()) * chosen[key][1]:
            chosen[key] = (deltas, scale)
    for deltas, scale in chosen.values():
        for key, delta in deltas.items():
            if key in values:
                factor = profile.steps * scale if delta > 0 else profile.penalty
                values[key] = clamp(values[key] + delta * factor)
    for key, delta in profile.drift.items():
        if key in values:
            values[key] = clamp(values[key] + delta)
    for key in values:
        values[key] = round(values[key], 4)


def level_only(scenario: Scenario) -> set[str]:
    """Objection ids that only some difficulty levels raise."""
    return {oid for p in scenario.difficulty.values() for oid in p.extra_objections}


def active_objections(scenario: Scenario, difficulty: Difficulty) -> list[Objection]:
    """The objections raised at this difficulty, in authored order."""
    extra = set(scenario.profile(difficulty).extra_objections)
    only = level_only(scenario)
    return [o for o in scenario.objections if o.id not in only or o.id in extra]


@dataclass
class Facts:
    """What conditions are checked against."""

    values: dict[str, float]
    turn: int
    moves: list[str]
    eased: list[str]
    counts: dict[str, int]
    required: list[str] = field(default_factory=list)
    #: the names each learner turn made, in order (for counts of content aliases)
    history: list[list[str]] = field(default_factory=list)

    def count(self, name: str) -> int:
        """Learner turns that made ``name`` (an act, alias, derived event or custom move)."""
        if self.history:
            wanted = expand(name)
            return sum(1 for turn in self.history if wanted & set(turn))
        return self.counts.get(name, 0)


def holds(cond: Condition, facts: Facts, shift: float = 0.0, failure: bool = False) -> bool:
    """Every given part of the condition holds. ``shift`` raises state_above thresholds (and, for failure
    conditions, state_below thresholds), so harder levels need more and forgive less."""
    if cond.turn_at_least is not None and facts.turn < cond.turn_at_least:
        return False
    for key, limit in cond.state_above.items():
        if facts.values.get(key, 0.0) < limit + shift:
            return False
    for key, limit in cond.state_below.items():
        if facts.values.get(key, 1.0) > limit + (shift if failure else 0.0):
            return False
    if cond.learner_move and not expand_all(cond.learner_move) & set(facts.moves):
        return False
    if cond.after_objection is not None and cond.after_objection not in facts.eased:
        return False
    if cond.objections_eased and not all(o in facts.eased for o in facts.required):
        return False
    return all(facts.count(move) >= n for move, n in cond.move_count_at_least.items())


def pick(pool: Sequence[str], used: set[str], seed: str) -> str | None:
    """A deterministic choice among the lines not said yet (None when all are spent)."""
    fresh = [line for line in pool if line not in used]
    if not fresh:
        return None
    h = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
    return fresh[h % len(fresh)]
