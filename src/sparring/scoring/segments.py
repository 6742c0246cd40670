"""Cutting learner turns into segments and quoting them verbatim; reading percentages out of text.

Every quote the scorer shows comes from ``quote_of`` / a ``Segment``, so it is always an exact substring of the
turn's text (a quote that is not in the transcript is a bug, never shown).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sparring.content.rubric import Criterion
from sparring.conversation.model import Turn
from sparring.limits import count_words

MAX_SEGMENT_WORDS = 40
MAX_QUOTE_CHARS = 220

#: a sentence runs to . ! ? or ; — but a point between digits ("1.4 million", "$2.50") is part of a number
_SENTENCE = re.compile(r"(?:[^.!?;]|(?<=\d)\.(?=\d))+(?:[.!?;]+[\"'”’)\]]*|$)")
# ---------------------------------------------------------------------------------------------- segments
@dataclass(frozen=True)
class Segment:
    """A span of one learner turn: ``text == turn.text[start:end]`` always holds."""

    turn: int
    start: int
    end: int
    text: str
    #: the sentence this span belongs to is a question (a clause of a question counts as asking)
    question: bool = False
    #: a clause cut out of a longer sentence (blockers are judged on whole sentences only)
    clause: bool = False


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace trimmed, never empty)."""
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s and any(ch.isalnum() for ch in text[s:e]):
            spans.append((s, e))
    return spans


_CLAUSE_BREAK = re.compile(r",\s+|;\s*|\s[—–-]+\s|—")
#: a sentence this long is also matched clause by clause ("That's fair, and I see why the gap stands out")
CLAUSE_MIN_SENTENCE_WORDS = 12
CLAUSE_MIN_WORDS = 3


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s].isspace() or text[s] in ",;—–-"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;—–-"):
        e -= 1
    return s, e


_WORD = re.compile(r"\S+")


def _windows(text: str, s: int, e: int, max_words: int) -> list[tuple[int, int]]:
    """Cut an over-long span (an unpunctuated ASR run-on) into windows of at most ``max_words`` words, reading
    the words one by one (a run-on of millions of words needs no list of them)."""
    out: list[tuple[int, int]] = []
    first = last = count = 0
    for m in _WORD.finditer(text, s, e):
        if count == 0:
            first = m.start()
        last = m.end()
        count += 1
        if count == max_words:
            out.append((first, last))
            count = 0
    if count:
        out.append((first, last))
    return out


def segment_turn(turn: Turn, max_words: int = MAX_SEGMENT_WORDS) -> list[Segment]:
    """The units a learner turn is matched by: every sentence (long run-ons in windows of ``max_words``) and,
    for long sentences, each clause of at least three words as well. ``text[start:end]`` is always verbatim."""
    text = turn.text
    spans: list[tuple[int, int, bool, bool]] = []
    for s, e in split_sentences(text):
        n = count_words(text[s:e])
        asks = text[s:e].rstrip("\"'”’) ").endswith("?")
        whole = _windows(text, s, e, max_words) if n > max_words else [(s, e)]
        spans.extend((a, b, asks, False) for a, b in whole)
        if n < CLAUSE_MIN_SENTENCE_WORDS:
            continue
        clauses: list[tuple[int, int]] = []
        cur = s
        for m in _CLAUSE_BREAK.finditer(text, s, e):
            clauses.append(_trim(text, cur, m.start()))
            cur = m.end()
        clauses.append(_trim(text, cur, e))
        clauses = [(a, b) for a, b in clauses if len(text[a:b].split()) >= CLAUSE_MIN_WORDS]
        if len(clauses) >= 2:
            spans.extend((a, b, asks, True) for a, b in clauses if len(text[a:b].split()) <= max_words)
    seen: set[tuple[int, int]] = set()
    out: list[Segment] = []
    for s, e, asks, clause in spans:
        if (s, e) not in seen and e > s:
            seen.add((s, e))
            out.append(Segment(turn.index, s, e, text[s:e], asks, clause))
    return out


def quote_of(turn: Turn, start: int = 0, end: int | None = None) -> str:
    """A verbatim quote from ``turn.text[start:end]``, cut at a word boundary when it is long."""
    text = turn.text
    end = len(text) if end is None else end
    span = text[start:end].strip()
    if len(span) <= MAX_QUOTE_CHARS:
        return span or text.strip()
    cut = span[:MAX_QUOTE_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_QUOTE_CHARS // 2 else cut


# ---------------------------------------------------------------------------------------------- numbers
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD_NUM = r"(?:(?:" + "|".join(_TENS) + r")(?:[- ](?:" + "|".join(list(_UNITS)[:9]) + r"))?|" + "|".join(_UNITS) + ")"
_PERCENT = re.compile(r"(\d+(?:\.\d+)?|" + _WORD_NUM + r")\s*(?:%|percent\b|per cent\b)", re.I)
_THRESHOLD = re.compile(
    r"(?:above|over|more than|beyond|exceeding|greater than|higher than)\s+(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)",
    re.I,
)


def _number(token: str) -> float:
    token = token.lower()
    try:
        return float(token)
    except ValueError:
        pass
    total = 0
    for part in re.split(r"[- ]", token):
        total += _TENS.get(part, 0) + _UNITS.get(part, 0)
    return float(total)


def percentages(text: str) -> list[float]:
    """Percentages named in ``text``, digits or words ("30%", "thirty percent", "twenty-five per cent")."""
    return [_number(m.group(1)) for m in _PERCENT.finditer(text)]


def percent_threshold(criterion: Criterion) -> float | None:
    """The "above N%" a rule states in its name, description or met_when, if it states one."""
    for text in (criterion.name, criterion.description, criterion.met_when or ""):
        m = _THRESHOLD.search(text)
        if m:
            return float(m.group(1))
    return None


#: clauses are matched on their own only while the learner says at most this many words in the conversation. A clause
#: is extra evidence for a behaviour tucked inside a long sentence ("That's fair, and I see why the gap stands
#: out"): in a practice rep one such clause can decide a verdict, while a long conversation offers many whole
#: sentences. Clause segments cost about 40% more embedding in talkative conversations (AnnoMI: 28% of all
#: embedded tokens), which is what keeps a long transcript from scoring fast.
CLAUSE_WORD_BUDGET = 400
#: learner words embedded per conversation at most; beyond it (long calls) clauses are not matched separately and
#: each sentence is matched by its opening words (where the speech act usually is). Quotes show whole sentences.
EMBED_WORD_BUDGET = 2500
MIN_EMBED_WORDS = 10


def embedding_texts(segments: Sequence[Segment], budget: int = EMBED_WORD_BUDGET) -> list[str]:
    """The text embedded for each segment: the whole segment, or its first words when the call is long."""
    lengths = [len(s.text.split()) for s in segments]
    if sum(lengths) <= budget:
        return [s.text for s in segments]
    cap = max(lengths)
    while cap > MIN_EMBED_WORDS and sum(min(n, cap) for n in lengths) > budget:
        cap -= 1
    return [s.text if n <= cap else " ".join(s.text.split()[:cap]) for s, n in zip(segments, lengths, strict=True)]
