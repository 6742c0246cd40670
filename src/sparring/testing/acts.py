"""A test double of ``sparring.nlp.act_model.read_acts``: chosen acts for chosen lines, the rule clause parse for
subject and negation. Lines not listed read as ``other``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sparring.nlp.acts import ACT_NAMES
from sparring.scoring.act_reading import RuleReading, rule_clauses, rule_numbers


def reading(text: str, *acts: str) -> RuleReading:
    chosen = frozenset(acts or ("other",))
    probs = {a: (0.97 if a in chosen else 0.02) for a in ACT_NAMES}
    return RuleReading(text, chosen, probs, rule_clauses(text), rule_numbers(text))


def reader(table: Mapping[str, Sequence[str]]):  # type: ignore[no-untyped-def]
    """A ``read_acts`` that gives each text the acts ``table`` lists for the longest key it contains."""

    def read(texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[RuleReading]:
        out = []
        for t in texts:
            keys = [k for k in table if k in t]
            out.append(reading(t, *table[max(keys, key=len)]) if keys else reading(t))
        return out

    return read
