"""Whether a learner line proposes a next step: one predicate for the scorer and the persona (issue 11).

The scorecard's next-step verdict and the counterpart's acceptance of a next step must agree, so both ask this
module, on the same act reading (``sparring.nlp.act_model.ActReading``):

- ``proposes_next_step(reading)``: the line proposes a concrete next step (a meeting, a document, a trial) or
  asks the other to commit — the acts ``next_step_proposal`` or ``commitment_ask`` — and not only in a negated
  statement ("I won't book anything until…" proposes nothing; "Why don't we meet on Thursday?" does).
- ``dated(text)``: the line names when (a weekday, a date, a clock time, today/tomorrow, next week, end of
  day…): a proposal with a time is a concrete next step; "I'll send something over" or "let's talk soon" is not.
- ``NEXT_STEP_ACTS``: those two act names, for a rubric criterion or a persona rule that lists them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

NEXT_STEP_ACTS: frozenset[str] = frozenset({"next_step_proposal", "commitment_ask"})


_WHEN = re.compile(
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|\b(?:today|tonight|tomorrow|this (?:afternoon|evening|"
    r"morning))\b|\bnext (?:week|month|monday|tuesday|wednesday|thursday|friday)\b|\bend of (?:the )?(?:day|week|"
    r"month)\b|\b(?:eod|eow)\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\bat (?:\d{1,2}(?::\d{2})?|one|two|"
    r"three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon)\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|"
    r"nov|dec)[a-z]*\.? \d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)\b|\bthe (?:first|second|third|\w+teenth|twentieth|"
    r"thirtieth)\b|\bwithin (?:a|one|two|\d+) (?:days?|weeks?)\b|\bin (?:two|three|\d+) (?:days|weeks)\b|"
    r"\b(?:by|before|on|until) (?:the )?(?:\d{1,2}(?:st|nd|rd|th)?|friday|monday|tuesday|wednesday|thursday)\b",
    re.I,
)


def dated(text: str) -> bool:
    """Whether ``text`` says when (see the module docstring)."""
    return bool(_WHEN.search(text))


class _ClauseLike(Protocol):
    @property
    def negated(self) -> bool: ...
    @property
    def question(self) -> bool: ...


class ReadingLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def acts(self) -> frozenset[str]: ...
    @property
    def clauses(self) -> Sequence[_ClauseLike]: ...


def proposes_next_step(reading: ReadingLike) -> bool:
    """True when the line proposes a next step or asks for a commitment (see the module docstring)."""
    if not reading.acts & NEXT_STEP_ACTS:
        return False
    clauses = reading.clauses
    # a question proposes even when negated ("why don't we…", "shouldn't we…"); a statement must not be negated
    return not clauses or any(c.question or not c.negated for c in clauses)
