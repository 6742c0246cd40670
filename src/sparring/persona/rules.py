"""The embedded engine's rules: default state effects of each move, condition checks, and line picking.

Kept apart from the engine loop so each piece is small and testable on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sparring.content.scenario import Condition, Difficulty, DifficultyProfile, Objection, Scenario

#: how a move changes the hidden state when the scenario does not say otherwise (before difficulty factors).
#: Variables a scenario does not have are ignored.
DEFAULT_EFFECTS: dict[str, dict[str, float]] = {
    "open-question": {"trust": 0.03, "openness": 0.06, "rapport": 0.03},
    "closed-question": {"patience": -0.02},
    "acknowledge": {"trust": 0.06, "calm": 0.06, "rapport": 0.05},
    "reflect": {"trust": 0.07, "openness": 0.06, "calm": 0.06, "rapport": 0.06, "readiness": 0.04},
    "empathise": {"trust": 0.05, "calm": 0.08, "rapport": 0.05},
    "value-statement": {"openness": 0.05, "confidence": 0.04},
    "quantified-value": {"openness": 0.08, "confidence": 0.08},
    "trade-off": {"openness": 0.06},
    "concession": {"trust": -0.08, "openness": -0.05, "respect": -0.12, "confidence": -0.08},
    "pressure": {"trust": -0.12, "patience": -0.12, "calm": -0.15, "openness": -0.08, "readiness": -0.08},
    "advise": {"openness": -0.06, "readiness": -0.05, "rapport": -0.03},
    "ask-commitment": {},
    "next-step": {},
    "monologue": {"patience": -0.3, "openness": -0.05, "calm": -0.08, "rapport": -0.05},
    "off-topic": {"patience": -0.12, "trust": -0.03},
}

#: moves that spoil a turn: an objection is never eased in a turn that also makes one of them
SPOILERS = frozenset({"pressure", "monologue", "concession", "off-topic"})

#: reaction situations for negative moves, most important first
NEGATIVE_REACTIONS: tuple[tuple[str, str], ...] = (
    ("concession", "react:concession"),
    ("pressure", "react:pressure"),
    ("monologue", "react:monologue"),
    ("off-topic", "react:off-topic"),
    ("advise", "react:advise"),
    ("closed-question", "react:closed-question"),
)
#: reaction situations for helpful moves that did not (yet) settle the open objection
POSITIVE_REACTIONS: tuple[tuple[str, str], ...] = (
    ("reflect", "react:rapport"),
    ("empathise", "react:rapport"),
    ("acknowledge", "react:rapport"),
    ("quantified-value", "react:value"),
    ("value-statement", "react:value"),
    ("trade-off", "react:value"),
    ("open-question", "react:open-question"),
)

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


def effect_of(scenario: Scenario, move: str) -> dict[str, float]:
    if move in scenario.moves:
        return scenario.moves[move].deltas
    return DEFAULT_EFFECTS.get(move, {})


def apply_moves(values: dict[str, float], scenario: Scenario, profile: DifficultyProfile, moves: Sequence[str]) -> None:
    """Move the hidden state for one learner turn (in place): move effects scaled by the difficulty, then drift."""
    for move in moves:
        for key, delta in effect_of(scenario, move).items():
            if key in values:
                factor = profile.steps if delta > 0 else profile.penalty
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
    if cond.learner_move and not set(cond.learner_move) & set(facts.moves):
        return False
    if cond.after_objection is not None and cond.after_objection not in facts.eased:
        return False
    if cond.objections_eased and not all(o in facts.eased for o in facts.required):
        return False
    return all(facts.counts.get(move, 0) >= n for move, n in cond.move_count_at_least.items())


def pick(pool: Sequence[str], used: set[str], seed: str) -> str | None:
    """A deterministic choice among the lines not said yet (None when all are spent)."""
    fresh = [line for line in pool if line not in used]
    if not fresh:
        return None
    h = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
    return fresh[h % len(fresh)]
