"""Which of the persona's knowledge facts it has already told in a rep, so that a later question about one gets a
re-statement ("Like I said, …"), not news: a fact is told by a ``know:`` answer (``compose.Composer.answer``) and
by any other line that says the same thing (an objection, an answer, a background beat; ``remember_told``).

Comparing a line with the facts takes a sentence-model call, so every authored line is compared once per
scenario version and remembered (``_TOLD``); ``warm_told`` compares them all in one batch while the learner reads
the opening.
"""

from __future__ import annotations

from collections.abc import Sequence

from sparring.content.scenario import Scenario
from sparring.persona.base import PersonaState
from sparring.persona.reply import BUILTIN, identity_lines
from sparring.persona.rules import FALLBACK_LINES

#: which knowledge entries an authored line tells, per scenario facts and line (bounded memo)
_TOLD: dict[tuple[str, tuple[str, ...], str], frozenset[str]] = {}
TOLD_MEMO = 20_000
#: situations whose lines tell no fact of their own, or whose fact is noted where it is said: a knowledge answer
#: (``know:``), a deflection, a stock line, a yes or no, and the acknowledgement of an offer (composed from the
#: learner's own terms: comparing it would cost a model call per reply for nothing)
TELLS_NOTHING = ("know:", "guarded:", "fallback", "neutral", "yes-no:", "react:offer-")


def remember_told(scenario: Scenario, state: PersonaState, parts: Sequence[str], situations: Sequence[str]) -> None:
    """A fact the persona has just said in another line (an objection, an answer, a background beat) is told: a
    later question about it gets a re-statement, not news. ``parts`` are the reply's lines, ``situations`` their
    labels."""
    if not scenario.knowledge or state.ended:
        return
    from sparring.persona.knowledge import told_by

    told: list[str] = state.extra.setdefault("told", [])
    facts = tuple(e.answer for e in scenario.knowledge)
    for line, situation in zip(parts, situations, strict=True):
        if situation.startswith(TELLS_NOTHING):
            continue
        key = (scenario.id, facts, line)
        if key not in _TOLD:  # authored lines recur across reps: each is compared with the facts once
            if len(_TOLD) >= TOLD_MEMO:
                _TOLD.clear()
            _TOLD[key] = told_by(scenario, line)
        told.extend(e for e in sorted(_TOLD[key]) if e not in told)


def authored_lines(scenario: Scenario) -> list[str]:
    """Every line the persona can say as written: the scenario's own lines, its mood tells and the built-in
    reactions (composed lines such as restated terms are not here; ``remember_told`` reads those on the way)."""
    lines = [*scenario.opening_lines, *scenario.success_lines, *scenario.failure_lines]
    for o in scenario.objections:
        lines.extend((*o.lines, *o.pressing_lines, *o.eased_lines, *o.answers))
    for b in scenario.beats:
        lines.extend(b.lines)
    for tells in scenario.persona.tells.values():
        lines.extend(tells)
    for reactions in BUILTIN.values():
        lines.extend(reactions)
    lines.extend((*identity_lines(scenario), *FALLBACK_LINES))
    return list(dict.fromkeys(line for line in lines if line.strip()))


def warm_told(scenario: Scenario) -> None:
    """Fill the ``_TOLD`` memo for every authored line of the scenario in one batched model call, so a reply
    never embeds one of its own lines (warm-up, in the background while the learner reads the opening)."""
    if not scenario.knowledge:
        return
    from sparring.persona.knowledge import told_by_lines

    facts = tuple(e.answer for e in scenario.knowledge)
    todo = [line for line in authored_lines(scenario) if (scenario.id, facts, line) not in _TOLD]
    if not todo:
        return
    if len(_TOLD) + len(todo) > TOLD_MEMO:
        _TOLD.clear()
    for line, told in told_by_lines(scenario, todo).items():
        _TOLD[(scenario.id, facts, line)] = told
