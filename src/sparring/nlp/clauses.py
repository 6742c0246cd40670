"""Rule-parsed facts about a line that the act model reads beside its sentence vectors: the clauses (who each is
about, whether its verb is negated, whether it asks) and the numbers it names. No model, no data files.

``clauses(text)`` splits a line into sentences and clauses; ``numbers(text)`` finds "30%", "$4k", "1.4 million",
"thirty-five thousand", "eight grand" … as floats, in order. Both are deterministic and fast (regular
expressions over a few hundred characters), so the persona and the scorer can call them per turn.

Subject rules (who a clause is about), after skipping discourse openers ("well", "look", "honestly", "okay,"), a
leading vocative ("Leila, …") and a leading conditional ("if you sign for two years, *we can* …" is about "we"):

- "I/me/my/mine/myself", "let me" -> ``speaker``; "we/us/our/ours/let's" -> ``we``; "you/your/yours/u" and an
  imperative verb ("Sign today", "Don't worry") -> ``listener``; "he/she/they/it/this/that/there", an article,
  a name or other noun phrase -> ``third``; fragments with no verb ("Okay.", "Thirty percent over what?") ->
  ``none``.
- Questions are read through their inversion: "Do *you* …", "Can *I* …", "What are *we* …".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBJECTS = ("speaker", "we", "listener", "third", "none")


@dataclass(frozen=True)
class Clause:
    """One sentence / clause of a line, rule-parsed (no model)."""

    text: str
    subject: str  # "speaker", "we", "listener", "third" or "none"
    negated: bool  # the clause's main verb is negated ("don't", "not", "never", "no longer")
    question: bool  # ends with "?" or has interrogative form


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_WORD = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*", re.IGNORECASE)
# sentence ends; then clause breaks inside a sentence (";", " — ", ", but", ", and then", ", so")
_SENTENCE = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_CLAUSE_BREAK = re.compile(r"\s*;\s*|\s+[—–]\s+|\s+-{1,2}\s+|,\s+(?=(?:but|and then|so|yet|though)\b)", re.IGNORECASE)

_SPEAKER = _wordset("i i'm im i've ive i'd i'll me my mine myself")
_WE = _wordset("we we're we've we'd we'll us our ours ourselves let's lets")
_LISTENER = _wordset("you you're youre you've you'd you'll your yours yourself yourselves u ur ya y'all")
_THIRD = _wordset(
    "he he's she she's they they're they've they'd they'll it it's its this that that's these those there "
    "there's here here's him her his them their theirs everyone everybody someone somebody nobody anyone "
    "anybody everything something nothing anything the a an one some any each every no all both most many "
    "which whoever what's who's"
)
_THIRD_PRONOUNS = _wordset("he she they it there")
_AUX = _wordset(
    "do does did can could will would shall should may might must is are was were am have has had don't "
    "doesn't didn't can't cannot couldn't won't wouldn't shan't shouldn't mightn't mustn't isn't aren't "
    "wasn't weren't haven't hasn't hadn't ain't"
)
_WH = _wordset("what how why when where who whom whose which")
_WH_FUSED = _wordset("what's how's why's when's where's who's what're how're who're what'd how'd")
_SUBORDINATE = _wordset("if when whenever because since although though unless once while as whereas")
_OPENERS = _wordset(
    "well look listen so okay ok right now honestly frankly actually and but also then see yeah yes yep "
    "no nope oh ah um uh er hmm mm sure great fine alright also anyway basically plus hey hi hello sorry "
    "please just perhaps maybe still really thanks thank"
)
_FILLERS = _OPENERS | _wordset(
    "cheers bye goodbye morning afternoon evening night good fair enough true totally exactly absolutely "
    "indeed wow ouch huh mm-hm mm-hmm uh-huh hm got it noted understood of course cool nice lovely "
    "perfect deal agreed ta welcome thx"
)
_IMPERATIVE = _wordset(
    "sign tell take try think consider stop cut call send give go come ignore forget pretend act be "
    "imagine make keep put book check walk help show talk start quit drop remember picture bear hold wait "
    "trust listen note read write email ring say let agree confirm decide answer respond play reply "
    "continue repeat explain describe share pick choose grab buy pay accept drink eat sit ask drop relax "
    "calm get bring leave move run tick join review update fix schedule reconsider sleep"
)
_VERBISH = _AUX | _wordset(
    "said says say think thinks thought need needs needed want wants wanted know knows knew feel feels "
    "felt seem seems seemed sounds sound looks look costs cost works work worked happened happens goes "
    "went got gets makes made takes took came comes means meant matters helps helped saves saved ships "
    "ran runs"
)
_NEG = _wordset(
    "not never don't doesn't didn't can't cannot couldn't won't wouldn't shan't shouldn't mightn't "
    "mustn't isn't aren't wasn't weren't haven't hasn't hadn't ain't dont doesnt didnt cant wont isnt "
    "arent wasnt werent havent hasnt shouldnt wouldnt couldnt"
)
_NAME_OPENER = re.compile(r"^\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*,\s+")
_LEAD_JUNK = re.compile(r"^[^\w'\"]+", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text.translate(_APOSTROPHES))]


def split_clauses(text: str) -> list[str]:
    """The sentences of ``text``, each split further at clause breaks (";", a dash, ", but …")."""
    parts: list[str] = []
    for sentence in _SENTENCE.split(text.translate(_APOSTROPHES).strip()):
        for piece in _CLAUSE_BREAK.split(sentence):
            if piece and _WORD.search(piece):
                parts.append(piece.strip())
    return parts


def _strip_openers(words: list[str], text: str) -> list[str]:
    """Drop a vocative name and discourse openers at the start ("Well, look, Dev, …")."""
    if _NAME_OPENER.match(_LEAD_JUNK.sub("", text)):
        head = _words(_NAME_OPENER.match(_LEAD_JUNK.sub("", text)).group(0))  # type: ignore[union-attr]
        if head and head[0] not in _SPEAKER | _WE | _LISTENER | _WH | _AUX:
            words = words[len(head):]
    i = 0
    while i < len(words) - 1 and words[i] in _OPENERS:
        i += 1
    return words[i:]


def _main_part(words: list[str], text: str) -> list[str]:
    """For "if you X, we Y" the main clause ("we Y"); otherwise the words unchanged."""
    if words and words[0] in _SUBORDINATE and "," in text:
        after = text.split(",", 1)[1]
        rest = _words(after)
        if rest:
            return _strip_openers(rest, after)
    return words


def _person(word: str) -> str | None:
    if word in _SPEAKER:
        return "speaker"
    if word in _WE:
        return "we"
    if word in _LISTENER:
        return "listener"
    return None


def _subject(words: list[str], raw: str) -> str:
    if not words:
        return "none"
    first = words[0]
    if first in ("let's", "lets") or (first == "let" and len(words) > 1 and words[1] == "us"):
        return "we"
    if first == "let" and len(words) > 1 and words[1] == "me":
        return "speaker"
    person = _person(first)
    if person:
        return person
    if first in _AUX and len(words) > 1:  # "Do you …", "Can I …", "Don't worry" (negated imperative)
        nxt = words[1]
        if _person(nxt):
            return _person(nxt)  # type: ignore[return-value]
        if first in ("do", "don't", "dont") and nxt not in _THIRD_PRONOUNS:
            return "listener"  # "Don't worry.", "Do the maths." (imperatives)
        return "third"
    if first in _WH or first in _WH_FUSED:
        rest = words[1:]
        if first in _WH_FUSED and rest:
            return _person(rest[0]) or "third"
        if rest and rest[0] in _AUX and len(rest) > 1:
            return _person(rest[1]) or "third"
        for w in rest[:6]:
            if _person(w):
                return _person(w)  # type: ignore[return-value]
        return "third" if len(rest) >= 1 else "none"
    if first in _IMPERATIVE and len(words) > 1 and words[1] not in _AUX:
        return "listener"  # "Tell me …", "Sign today" (but "Deal." / "Help is on the way" are not imperatives)
    if first in _THIRD:
        return "third"
    if all(w in _FILLERS for w in words):
        return "none"
    if any(w in _VERBISH or w.endswith("n't") for w in words[:8]):
        return "third"  # a noun phrase or a name before the verb: "The budget got set", "Marta said"
    for w in words[:8]:  # a fragment that still names a person ("Thursday, with you?")
        if _person(w):
            return _person(w)  # type: ignore[return-value]
    return "none"


def _negated(words: list[str]) -> bool:
    for i, w in enumerate(words):
        if w in _NEG or w.endswith("n't"):
            before = words[i - 1] if i else ""
            after = words[i + 1] if i + 1 < len(words) else ""
            if w == "not" and (before in ("or", "if", "whether", "why") or after in ("only", "just")):
                continue
            return True
        if w == "no" and i + 1 < len(words) and words[i + 1] in ("longer", "more"):
            return True
    return False


def _question(words: list[str], raw: str) -> bool:
    if raw.rstrip().rstrip("\"')]").endswith("?"):
        return True
    if not words:
        return False
    first, nxt = words[0], (words[1] if len(words) > 1 else "")
    if first in _WH_FUSED:
        return True
    if first in _WH:
        if nxt in ("a", "an") and first in ("what", "how"):  # "What a week." / exclamatives
            return False
        if not nxt:
            return True  # a bare "Why" / "How"
        return (nxt in _AUX or _person(nxt) is not None or first in ("why", "how", "who", "which"))
    if first in ("do", "does", "did", "don't", "dont", "doesn't", "didn't"):
        # "Do you …?" asks; "Do the maths." / "Don't worry." tell
        return first not in ("don't", "dont") and (_person(nxt) is not None or nxt in _THIRD_PRONOUNS)
    if first in _AUX and (_person(nxt) or nxt in _THIRD):
        return True
    return first == "how" or " ".join(words[:2]) in ("how about", "what about", "tell me")


def parse_clause(text: str) -> Clause:
    """Read one clause: its subject, negation and question form."""
    raw = _LEAD_JUNK.sub("", text.translate(_APOSTROPHES))
    words = _strip_openers(_words(raw), raw)
    main = _main_part(words, raw)
    question = _question(main, raw) or _question(words, raw)
    return Clause(text=text, subject=_subject(main, raw), negated=_negated(main), question=question)


def clauses(text: str) -> tuple[Clause, ...]:
    """The clauses of ``text`` in order (an empty or wordless line has none)."""
    return tuple(parse_clause(part) for part in split_clauses(text))


# ---------------------------------------------------------------------------------------------------- numbers

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "grand": 1_000, "k": 1_000, "million": 1_000_000,
           "m": 1_000_000, "mn": 1_000_000, "mil": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000,
           "b": 1_000_000_000}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | {"hundred", "thousand", "million", "billion"}
# "one" is a pronoun after these ("the other one", "which one") and before these ("one of them")
_ONE_PRONOUN_BEFORE = _wordset(
    "the this that which each any no every some another other a quick big last first only right wrong new "
    "old good"
)
_ONE_PRONOUN_AFTER = _wordset("of another")

_DIGITS = re.compile(
    r"(?<![\w.])(?P<cur>[$€£])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:(?P<ord>st|nd|rd|th)\b|\s?(?P<suf>k|m|mn|bn|b)\b|\s?(?P<pct>%)|x\b)?(?![\w])(?!\.\d)",
    re.IGNORECASE,
)
_SCALE_WORD_AFTER = re.compile(r"\s*-?\s*(hundred|thousand|grand|million|mil|billion)\b", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z]+|[^\sa-z]", re.IGNORECASE)


def _digit_numbers(text: str) -> list[tuple[int, float]]:
    found: list[tuple[int, float]] = []
    for m in _DIGITS.finditer(text):
        value = float(m.group("num").replace(",", ""))
        if m.group("suf"):
            value *= _SCALES[m.group("suf").lower()]
        else:
            tail = _SCALE_WORD_AFTER.match(text, m.end())
            if tail and not m.group("pct") and not m.group("ord"):
                value *= _SCALES[tail.group(1).lower()]
        found.append((m.start(), value))
    return found


def _word_numbers(text: str) -> list[tuple[int, float]]:
    """English number words: "thirty", "fifty-eight", "two thousand five hundred", "a hundred", "eight grand"."""
    found: list[tuple[int, float]] = []
    tokens = [(m.start(), m.group(0).lower()) for m in re.finditer(r"[A-Za-z]+|\d[\d,.]*|[^\sA-Za-z\d]",
                                                                     text.translate(_APOSTROPHES))]
    i = 0
    while i < len(tokens):
        start, word = tokens[i]
        prev = tokens[i - 1][1] if i else ""
        if word in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1][1] in ("hundred", "thousand", "million",
                                                                               "billion"):
            value_start, i = start, i + 1
            total, current, seen = 0.0, 1.0, True
        elif word in _UNITS or word in _TENS:
            if word == "one" and (prev in _ONE_PRONOUN_BEFORE or (
                    i + 1 < len(tokens) and tokens[i + 1][1] in _ONE_PRONOUN_AFTER)):
                i += 1
                continue
            value_start = start
            total, current, seen = 0.0, 0.0, False
        else:
            i += 1
            continue
        # read a run of number words ("two thousand five hundred and twenty-one")
        while i < len(tokens):
            w = tokens[i][1]
            if w in _UNITS:
                current += _UNITS[w]
            elif w in _TENS:
                current += _TENS[w]
            elif w == "hundred":
                current = (current or 1) * 100
            elif w in ("thousand", "grand", "million", "billion"):
                total += (current or 1) * _SCALES[w]
                current = 0.0
            elif w == "-" and i + 1 < len(tokens) and tokens[i + 1][1] in _UNITS:
                pass  # "fifty-eight"
            elif w == "and" and i + 1 < len(tokens) and tokens[i + 1][1] in _UNITS | _TENS and seen:
                pass  # "one hundred and twenty"
            else:
                break
            seen = True
            i += 1
        found.append((value_start, total + current))
    return found


def numbers(text: str) -> tuple[float, ...]:
    """The numbers ``text`` names, in order: "30%" -> 30.0, "thirty" -> 30.0, "$4k" -> 4000.0,
    "1.4 million" -> 1400000.0, "eight grand" -> 8000.0, "the 30th" -> 30.0. Digits glued to letters ("Q2",
    "3PL", "P2P") are names, not numbers."""
    text = text.translate(_APOSTROPHES)
    return tuple(v for _, v in sorted(_digit_numbers(text) + _word_numbers(text)))


__all__ = ["SUBJECTS", "Clause", "clauses", "numbers", "parse_clause", "split_clauses"]
