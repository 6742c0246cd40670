"""How the persona answers a concrete offer made before it is ready to agree: it engages with *that* offer instead
of a stock stall ("Not yet.", "Not so fast.", "We're not there yet." were the live players' most common complaint
after a concrete proposal, issue 11).

Three cases, by what the offer did to the persona's concerns (``Plan``):

- the offer moved the open concern but did not settle it (on hard one move is often half an answer): the persona
  says it helps, naming the learner's terms, and then what is still missing (the concern's pressing line, which
  argues on the offer's ground);
- the offer left the open concern untouched: the persona notes the offer, says it does not answer its concern,
  and restates the concern;
- every concern raised so far is settled and one more comes up now (the close comes before the persona has said
  everything on its mind): the offer works "as far as it goes", and the new concern follows.

The acknowledgement restates only the learner's own terms: the day, date or duration they named
(``memory.terms``); a number or an amount is never repeated back as if agreed (it may be the buyer's own figure
quoted to them). Without such a term the wording names the kind of offer (a trade, a next step, a figure).
"""

from __future__ import annotations

import re

from sparring.persona.listen import Turn
from sparring.persona.memory import TERM_PATTERNS

#: the kinds of term an acknowledgement may restate, most telling first
RESTATED_KINDS = ("date", "day", "duration")
#: at most this many of the learner's terms are restated
MAX_TERMS = 2
_DAY_OR_MONTH = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\b"
)
#: a duration that names a kind of agreement reads with an article ("a two-year term")
_AGREEMENT = re.compile(r"(?:term|deal|contract|commitment|plan)$")
#: a duration written as an adjective ("3-week", "two-year"): its noun follows in the line
_ADJECTIVE = re.compile(r"-(?:year|month|week)$")
_NEXT_WORD = re.compile(r"[ -]([a-z]+)")
#: words after an adjective duration that are not its noun
_NOT_NOUNS = frozenset({"and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "the", "a", "an"})
#: a term that starts with a vowel sound takes "an" ("an eight-week pilot", "an 18-month deal")
_VOWEL_SOUND = re.compile(r"^(?:8|11|18|eight|eleven|eighteen|[aeio])")


def learner_terms(text: str) -> str | None:
    """The learner's own terms as they said them, for restating: at most ``MAX_TERMS`` of the days, dates and
    durations the line names (the first of each kind, in the line's order), or None when it names none. "Tuesday
    or Wednesday" restates the first option; a figure or an amount is never restated. A duration used as an
    adjective keeps its noun and takes an article ("a 3-week pilot", "an 18-month deal")."""
    found = _terms(text)
    if not found:
        return None
    return " and ".join(_DAY_OR_MONTH.sub(lambda mm: mm.group(1).capitalize(), t) for _, t in found)


def _terms(text: str) -> list[tuple[str, str]]:
    """(kind, term) of the terms ``learner_terms`` restates, in the line's order."""
    low = text.lower().replace("\u2019", "'")
    found: list[tuple[int, str, str]] = []
    for kind in RESTATED_KINDS:
        m = TERM_PATTERNS[kind].search(low)
        if m is None or any(start <= m.start() < start + len(t) for start, _, t in found):
            continue
        term = m.group().strip()
        if kind == "duration" and _ADJECTIVE.search(term):
            noun = _NEXT_WORD.match(low, m.end())
            if noun is not None and noun.group(1) not in _NOT_NOUNS:
                term = f"{term} {noun.group(1)}"
            term = f"{'an' if _VOWEL_SOUND.match(term) else 'a'} {term}"
        elif _AGREEMENT.search(term):
            term = f"{'an' if _VOWEL_SOUND.match(term) else 'a'} {term}"
        found.append((m.start(), kind, term))
    return [(kind, term) for _, kind, term in sorted(found)][:MAX_TERMS]


def _when_only(text: str) -> bool:
    """The restated terms are only a day or a date: a time, not a thing that can help or hurt."""
    return all(kind != "duration" for kind, _ in _terms(text))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _kind(turn: Turn) -> str:
    """What was offered, in words, when no term can be restated: a trade by name (the act model reads trades
    well), anything else as "that" (a line read as a next step is often a plan or a statement: "that next step"
    would name what the learner did not offer)."""
    return "that trade" if "tradeoff_offer" in turn.acts else "that"


def helps_lines(turn: Turn) -> tuple[str, ...]:
    """The offer moved the open concern, not far enough: it helps (the concern's pressing line follows). A day or
    a date is not what helps: it may work; a duration ("a 3-week pilot") is the substance of the offer."""
    t = learner_terms(turn.text)
    if t is not None and _when_only(turn.text):
        return (f"That helps, I'll give you that. {_cap(t)} might even work.",
                f"Okay, that's a step in the right direction, and {t} could work.",
                f"That's something, and {t} is fine. It's not enough yet.")
    if t is not None:
        return (f"{_cap(t)} helps, I'll give you that.", f"Okay, {t}. That's a step in the right direction.",
                f"{_cap(t)} is something. It's not enough yet.")
    return (f"{_cap(_kind(turn))} helps, I'll give you that.", "Okay, that's a step in the right direction.",
            "That's something. It's not enough yet.")


def aside_lines(turn: Turn) -> tuple[str, ...]:
    """The offer left the open concern untouched: noted, and not an answer (the concern is restated next)."""
    t = learner_terms(turn.text)
    if t is not None:
        return (f"{_cap(t)}, fine. That doesn't answer my concern, though.",
                f"I hear you on {t}. It's not what's holding me back, though.",
                f"Maybe {t}. You haven't dealt with my problem, though.")
    what = _kind(turn)
    return ("I hear you. That doesn't answer my concern, though.",
            f"{_cap(what)}'s fine in itself. It's not what's holding me back." if what == "that" else
            f"{_cap(what)} is fine in itself. It's not what's holding me back.",
            "Maybe. You haven't dealt with my problem, though.")


def so_far_lines(turn: Turn) -> tuple[str, ...]:
    """Everything raised so far is settled and one more concern comes up now: the offer works as far as it goes
    (the new concern follows)."""
    t = learner_terms(turn.text)
    if t is not None:
        return (f"{_cap(t)}, fine, as far as it goes. But there's one more thing.",
                f"Okay, {t} I can live with. Before I agree, though, there's something else.",
                f"{_cap(t)} works for me. One more thing first.")
    return ("That works for me, as far as it goes. But there's one more thing.",
            f"Okay, {_kind(turn)} I can live with. Before I agree, though, there's something else.",
            "Fine. One more thing first.")


def restated(lines: tuple[str, ...] | list[str]) -> list[str]:
    """The concern said again when every line of it is spent: "Like I said: …" (never a question: "Like I said:
    So whose fault is it?" is no restatement)."""
    return [f"Like I said: {line}" for line in lines if not line.rstrip().endswith("?")]


#: said after ``helps_lines`` when every line of the concern is spent
STILL_SHORT = ("It doesn't settle it for me yet.", "I'm not all the way there.", "I still need more than that.")
