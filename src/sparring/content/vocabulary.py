"""The learner-move vocabulary of scenario content: the utterance acts of ``sparring.nlp.acts`` (the one
vocabulary of the persona engines and the scorer), two events derived from a turn that are not acts, and the
older move names, kept as aliases so existing content keeps working.

A scenario names moves in ``moves:`` (state effects), ``objections[].eased_by``, ``learner_move`` and
``move_count_at_least`` conditions, and ``custom_moves``. Each accepted name stands for a set of acts
(``expand``): an act for itself, an alias for the acts it always meant (``reflect`` is ``reflect_simple``,
``reflect_complex`` or ``summarise``), a derived event or custom move for itself. docs/content-format.md lists
them ("Move vocabulary").
"""

from __future__ import annotations

from sparring.nlp.acts import ACT_NAMES

#: events the engine derives from a turn that are not acts of the line itself
DERIVED: tuple[str, ...] = (
    "monologue",  # a very long turn: talking over the counterpart
    "repeated",  # the turn repeats what the learner already did (the same line, or the same acts again)
    "low-effort",  # a very short turn that asks nothing and gives nothing (terse play)
)

#: the move names of earlier content versions -> the acts they stand for
ALIASES: dict[str, tuple[str, ...]] = {
    "open-question": ("question_open", "question_clarifying"),
    "closed-question": ("question_closed",),
    "reflect": ("reflect_simple", "reflect_complex", "summarise"),
    "value-statement": ("quantified_value", "state_impact"),
    "quantified-value": ("quantified_value",),
    "trade-off": ("tradeoff_offer",),
    "advise": ("advice",),
    "ask-commitment": ("commitment_ask",),
    "next-step": ("next_step_proposal", "next_step_accept"),
    "off-topic": ("off_topic",),
}

#: every name content may use for a built-in move (custom moves are added per scenario)
BUILTIN_MOVES: tuple[str, ...] = (*ACT_NAMES, *DERIVED, *ALIASES)


def expand(name: str) -> frozenset[str]:
    """The acts (or derived event, or custom move) a content move name stands for."""
    alias = ALIASES.get(name)
    return frozenset(alias) if alias is not None else frozenset({name})


def expand_all(names: list[str] | tuple[str, ...] | set[str] | frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for n in names:
        out |= expand(n)
    return frozenset(out)
