"""What the persona remembers of the learner's words: the terms they proposed (days, dates, durations,
percentages, amounts), what they offered, proposed and committed to (by act), and which concerns were answered.

The memory lives in ``PersonaState.extra["memory"]`` (plain JSON), so a stored rep resumes with it. The engine
uses it so that success lines restate the terms the learner actually proposed (``restate``) and no concern that
was answered is raised later as news.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sparring.persona.listen import Turn

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12, "eighteen": 18,
              "twenty-four": 24, "thirty-six": 36}
#: the kinds of term a line can name, with their patterns (matched on the lower-cased line)
TERM_PATTERNS: dict[str, re.Pattern[str]] = {
    "day": re.compile(r"\b(?:" + "|".join(_DAYS) + r")\b|\b(?:tomorrow|next week)\b"),
    "date": re.compile(r"\b(?:the )?\d{1,2}(?:st|nd|rd|th)\b(?: of (?:" + "|".join(_MONTHS) + r"))?|\b(?:"
                       + "|".join(_MONTHS) + r") \d{1,2}(?:st|nd|rd|th)?\b"),
    "duration": re.compile(r"\b(?:\d+|" + "|".join(_NUM_WORDS) + r")[- ](?:year|month|week)s?"
                           r"(?:[- ](?:term|deal|contract|commitment|plan))?\b"),
    "percent": re.compile(r"\b\d+(?:\.\d+)? ?(?:%|percent|per cent)"),
    "money": re.compile(r"[$€£]\s?\d[\d,.]*\s?(?:k|m|million|thousand)?\b"),
}
#: acts whose terms the learner offers, proposes or commits to
OFFERS = frozenset({"tradeoff_offer", "concession", "quantified_value"})
PROPOSALS = frozenset({"next_step_proposal", "next_step_accept", "commitment_ask", "tradeoff_offer"})


def terms(text: str) -> dict[str, list[str]]:
    """The terms a line names, by kind, in order ("the 28th", "thursday", "two-year term", "5%", "$80k")."""
    low = text.lower().replace("\u2019", "'")
    out: dict[str, list[str]] = {}
    for kind, pattern in TERM_PATTERNS.items():
        found = [m.group().strip() for m in pattern.finditer(low)]
        if found:
            out[kind] = list(dict.fromkeys(found))
    return out


def memory(extra: dict[str, Any]) -> dict[str, Any]:
    """The memory part of a state's ``extra`` (created empty when missing)."""
    mem: dict[str, Any] = extra.setdefault("memory", {})
    for key in ("offered", "proposed", "committed", "answered"):
        mem.setdefault(key, [])
    mem.setdefault("terms", {})
    return mem


def remember(extra: dict[str, Any], turn: Turn) -> None:
    """Note what the learner offered, proposed or committed to in ``turn`` and the terms they named."""
    mem = memory(extra)
    found = terms(turn.text)
    for kind, values in found.items():
        known: list[str] = mem["terms"].setdefault(kind, [])
        for v in values:
            if v in known:
                known.remove(v)
            known.append(v)  # the latest mention last
    entry = {"text": turn.text[:300], "terms": found}
    if turn.acts & OFFERS:
        mem["offered"].append(entry)
    if turn.acts & PROPOSALS:
        mem["proposed"].append(entry)
    if turn.subject in ("speaker", "we") and turn.acts & {"next_step_proposal", "tradeoff_offer"}:
        mem["committed"].append(entry)


def answered(extra: dict[str, Any], objection_id: str) -> None:
    mem = memory(extra)
    if objection_id not in mem["answered"]:
        mem["answered"].append(objection_id)


def restate(line: str, extra: dict[str, Any]) -> str | None:
    """``line`` with its terms made to agree with what the learner proposed: a day, date or duration the line
    names is replaced by the learner's latest one of that kind; None when the line names a term of a kind the
    learner never named (the line would invent it). Lines without terms come back unchanged."""
    named = memory(extra)["terms"]
    out = line
    for kind in ("day", "date", "duration"):
        pattern = TERM_PATTERNS[kind]
        in_line = [m.group() for m in pattern.finditer(line.lower())]
        if not in_line:
            continue
        theirs: Sequence[str] = named.get(kind, [])
        if not theirs:
            return None
        wanted = theirs[-1]
        out = _replace_terms(out, pattern, wanted)
    return out


def _replace_terms(line: str, pattern: re.Pattern[str], wanted: str) -> str:
    low = line.lower()
    pieces: list[str] = []
    last = 0
    for m in pattern.finditer(low):
        before = line[:m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?"
        # a day name is capitalised; anything else only where it starts a sentence ("for next week", not "for
        # Next week" when it replaces "Thursday")
        value = wanted.capitalize() if wanted in _DAYS or sentence_start else wanted
        value = re.sub(r"\b(" + "|".join(_MONTHS) + r")\b", lambda mm: mm.group(1).capitalize(), value)
        pieces.extend([line[last:m.start()], value])
        last = m.end()
    pieces.append(line[last:])
    return "".join(pieces)


def neutral_success(extra: dict[str, Any]) -> str:
    """A closing line that restates only what the learner proposed (no invented terms)."""
    named = memory(extra)["terms"]
    bits = [named[k][-1] for k in ("day", "date", "duration") if named.get(k)]
    if bits:
        when = " and ".join(b.capitalize() if b in _DAYS else b for b in bits)
        return f"Okay. Let's do it as you said: {when}. Send me the details."
    return "Okay. Let's do what you proposed. Send me the details."
