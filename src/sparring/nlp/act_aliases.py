"""Criterion signals in the one act vocabulary (``sparring.nlp.acts``), and the older tag names as aliases.

Rubrics name the acts that show a behaviour (``signals: [question_open]``) and, for conditional criteria, the
acts that make it apply (``applies_when: [advice]``). Before issue 11 the scorer had its own tag vocabulary
(``open_question``, ``next_step``, ``value_statement``…); rubrics written with those names keep working: each old
name reads as the acts it meant (``TAG_ALIASES``, documented in docs/content-format.md). ``filler`` and ``hedge``
were style markers, not moves: they are still accepted and match no act (lint says so).
"""

from __future__ import annotations

from collections.abc import Iterable

from sparring.nlp.acts import ACT_NAMES

#: the pre-issue-11 tag names, each read as the acts it meant
TAG_ALIASES: dict[str, tuple[str, ...]] = {
    "open_question": ("question_open", "question_clarifying"),
    "closed_question": ("question_closed",),
    "reflection_simple": ("reflect_simple",),
    "reflection_complex": ("reflect_complex",),
    "acknowledgement": ("acknowledge",),
    "empathy": ("empathise",),
    "information": ("information",),
    "advice": ("advice",),
    "proposal": ("tradeoff_offer", "next_step_proposal"),
    "tradeoff": ("tradeoff_offer",),
    "concession": ("concession",),
    "discount": ("concession",),
    "commitment_ask": ("commitment_ask",),
    "next_step": ("next_step_proposal",),
    "value_statement": ("quantified_value",),
    "pressure": ("pressure",),
    "filler": (),
    "hedge": (),
}

KNOWN_SIGNALS: frozenset[str] = frozenset(ACT_NAMES) | frozenset(TAG_ALIASES)


def resolve_acts(names: Iterable[str]) -> frozenset[str]:
    """The act names ``names`` stand for (act names as they are, old tag names through ``TAG_ALIASES``).
    Unknown names are ignored here; ``unknown_signals`` reports them."""
    out: set[str] = set()
    for name in names:
        if name in TAG_ALIASES:
            out.update(TAG_ALIASES[name])
        elif name in ACT_NAMES:
            out.add(name)
    return frozenset(out)


def unknown_signals(names: Iterable[str]) -> list[str]:
    """The names that are neither an act nor a documented alias."""
    return [n for n in names if n not in KNOWN_SIGNALS]
