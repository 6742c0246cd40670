"""Anonymising the words of a real call before they become practice content (a drill, docs/drills.md).

``Anonymiser.for_call(conversation)`` learns the call's names and figures once; ``clean(text)`` then rewrites any
text from that call:

- **people and companies**: every speaker's name (whole, and each part of it), and every capitalised word or run
  of words in the middle of a sentence that is not a common word (``Fatima``, ``Mr. Haddad``, ``Emirates
  Commercial``, ``Tallyhawk``), plus camel-case words anywhere (``QuillMetric``), become neutral invented names
  (the same name for the same original throughout the drill, never a name of the call);
- **e-mail addresses, web addresses and phone numbers** become "their e-mail", "their website", "their number";
- **figures** written in digits (``$110,000``, ``1.4M``, ``9%``, ``2021``) or in words with a scale or a unit
  (``four million dirhams``, ``forty-four thousand``, ``one point one percent``, ``nine dollars``,
  ``a hundred and ten``) become a nearby round figure that is not a figure of the call (``about 100,000``); a
  percentage becomes ``X%``.

``leaks(text)`` lists what of the call's names and figures a text still holds: the drill builder uses it to reject
an LLM's output that put a real name or number back.

Not caught (said in docs/drills.md): names written in lower case or only at the start of a sentence and nowhere
else, small counts in words without a unit ("three depots", "your proposal is fourteen"), dates and ordinals in
words ("the thirty-first"), product names that are common words, and anything identifying by its content (a
rare job title, a town) rather than by a name or a number.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sparring.conversation.model import Conversation

#: invented names for people and organisations (neutral, usable for either), never taken from a call
PERSON_NAMES = ("Alex Morgan", "Sam Rivera", "Jordan Ellis", "Robin Carter", "Casey Hart", "Taylor Quinn",
                "Jamie Lane", "Morgan Reed", "Riley Shaw", "Avery Brooks", "Drew Parker", "Charlie Wells")
OTHER_NAMES = ("Harper", "Ellison", "Sterling", "Marlow", "Kestrel", "Alder", "Fairview", "Brookside", "Redwood",
               "Halden", "Northgate", "Westbury", "Ashford", "Linden", "Calder", "Thornbury")
#: capitalised words that are not names (kept as they are)
_COMMON_WORDS = """
i i'm i'll i've i'd okay ok yes yeah no hi hello hey thanks thank sorry please so and but or the a an if when
what why how who where which that this those these there here it it's its we we're our you you're your he she
they monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december christmas easter q1 q2 q3 q4 mr mrs ms dr ceo cfo cto coo cro vp hr it ai
api crm erp ap ar roi kpi saas sla mvp poc rfp faq pdf ok english german french spanish italian dutch portuguese
norwegian swedish danish finnish polish japanese chinese korean arabic european american british canadian
"""
COMMON = frozenset(_COMMON_WORDS.split())
TITLES = frozenset({"mr", "mrs", "ms", "dr", "mr.", "mrs.", "ms.", "dr."})

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|io|co|ai|de|uk)\b(?:/\S*)?", re.I)
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d\s().-]{6,}\d(?![\w.])")
#: a figure in digits: optional currency, digits with separators, optional decimals and scale, optional percent
_DIGITS = re.compile(
    r"(?<![\w.])(?P<cur>[$€£¥]|\b(?:USD|EUR|GBP|AED)\s?)?(?P<num>\d[\d,]*(?:\.\d+)?)(?P<scale>\s?(?:k|m|bn|K|M|B)\b)?"
    r"(?P<pct>\s?%|\s?percent\b)?"
)
_ONES = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "grand": 1_000}
_NUMBER_WORD = "|".join([*_ONES, *_TENS, *_SCALES, "point", "and", "a", "half"])
#: units that make a small number in words a figure ("nine dollars", "one point one percent")
_UNITS = r"(?:percent|per\s?cent|dollars?|euros?|pounds?|bucks|dirhams?|rupees?|yen|k\b)"
_WORDS = re.compile(
    rf"(?<!\d\s)(?<![\d,.])\b(?:(?:{_NUMBER_WORD})(?:[\s-]+(?:{_NUMBER_WORD}))*)\b(?![-'’])(?P<unit>\s+{_UNITS})?", re.I
)
_CAPS = re.compile(r"\b[A-Z][\w'’&-]*(?:\s+(?:of\s+|&\s+)?[A-Z][\w'’&-]*)*")
_CAMEL = re.compile(r"\b[A-Za-z]*[a-z][A-Z]\w*\b")
_SENTENCE_END = re.compile(r"[.!?…:;\"“”]\s*$")


def _words_value(phrase: str) -> float | None:
    """The value of a number in words (``a hundred and ten``, ``one point one``, ``forty-four thousand``)."""
    tokens = [t for t in re.split(r"[\s-]+", phrase.lower()) if t]
    total, current, seen = 0.0, 0.0, False
    decimals: list[int] = []
    after_point = False
    for t in tokens:
        if t in ("and",):
            continue
        if t == "a":
            current = current or 1
            continue
        if t == "half":
            current += 0.5
            seen = True
            continue
        if t == "point":
            after_point = True
            continue
        if after_point and t in _ONES:
            decimals.append(_ONES[t])
            continue
        if t in _ONES:
            current += _ONES[t]
        elif t in _TENS:
            current += _TENS[t]
        elif t in _SCALES:
            scale = _SCALES[t]
            if decimals:
                current += float("0." + "".join(str(d) for d in decimals))
                decimals = []
            current = (current or 1) * scale
            if scale >= 1000:
                total += current
                current = 0
        else:
            return None
        seen = True
    if decimals:
        current += float("0." + "".join(str(d) for d in decimals))
    return total + current if seen else None


def _round_near(value: float, avoid: set[float]) -> float:
    """A round figure near ``value`` that is neither ``value`` nor any figure in ``avoid``."""
    if value <= 0:
        return 10.0
    magnitude = 10 ** math.floor(math.log10(value))
    candidates = [round(value / magnitude) * magnitude]
    candidates += [candidates[0] + k * magnitude for k in (1, -1, 2, -2, 3)]
    candidates += [c * 10 for c in candidates]
    for c in candidates:
        if c > 0 and not math.isclose(c, value) and all(not math.isclose(c, a) for a in avoid):
            return float(c)
    return float(magnitude * 20)


def _figure_text(value: float) -> str:
    return f"{int(value):,}" if value >= 1000 else f"{value:g}"


def _split_tail(phrase: str) -> tuple[str, str]:
    """A number in words without the "and" / "a" its match may end with ("eighty and a lot")."""
    m = re.search(r"(?:[\s-]+(?:and|a))+$", phrase, re.I)
    return (phrase[:m.start()], phrase[m.start():]) if m else (phrase, "")


@dataclass
class Anonymiser:
    """What to hide from one call and how (see the module docstring)."""

    names: dict[str, str] = field(default_factory=dict)
    figures: set[float] = field(default_factory=set)
    #: surface forms of the call's figures, as written (for ``leaks``)
    figure_texts: set[str] = field(default_factory=set)
    _used: set[str] = field(default_factory=set)

    @classmethod
    def for_call(cls, conversation: Conversation, salt: str = "") -> Anonymiser:
        """Learn the names and figures of ``conversation``; ``salt`` varies the invented names deterministically."""
        anon = cls()
        texts = [t.text for t in conversation.turns]
        every = " ".join(texts + conversation.speakers())
        taken = {w.lower() for w in re.findall(r"[A-Za-z]+", every)}
        people = [n for n in PERSON_NAMES if not {p.lower() for p in n.split()} & taken]
        others = [n for n in OTHER_NAMES if n.lower() not in taken]
        start = int(hashlib.sha256(salt.encode()).hexdigest(), 16) if salt else 0
        people = people[start % max(1, len(people)):] + people[:start % max(1, len(people))]
        for speaker in conversation.speakers():
            anon._name(speaker, people, others, person=True)
        for text in texts:
            for found in anon._proper_nouns(text):
                anon._name(found, people, others, person=False)
            for m in _DIGITS.finditer(text):
                value = _digits_value(m)
                if value is not None:
                    anon.figures.add(value)
                    anon.figure_texts.add(m.group("num"))
            for m in _WORDS.finditer(text):
                core, _tail = _split_tail(m.group(0)[: len(m.group(0)) - len(m.group("unit") or "")])
                value = _words_value(core)
                if value is not None and _is_figure(core, m.group("unit"), value):
                    anon.figures.add(value)
                    anon.figure_texts.add(core.strip().lower())
        return anon

    # ---- learning ---------------------------------------------------------------------------------------------
    def _name(self, original: str, people: list[str], others: list[str], *, person: bool) -> None:
        original = original.strip()
        if not original or original in self.names or original.lower() in COMMON:
            return
        parts = [p for p in re.split(r"\s+", original) if p.lower().strip(".") not in TITLES]
        if person:
            invented = self._next(people) or self._next(others) or "Sam"
            self.names[original] = invented
            pieces = invented.split()
            for i, part in enumerate(parts):  # "Owen" alone is "Alex" when "Owen Castellano" is "Alex Morgan"
                if part.lower() not in COMMON and part not in self.names and len(part) > 1:
                    self.names[part] = pieces[0] if i == 0 else pieces[-1]
            return
        invented = self._next(others) or self._next(people) or "Alder"
        self.names[original] = invented
        for part in parts:
            if part.lower() not in COMMON and part not in self.names and len(part) > 1:
                self.names[part] = invented

    def _next(self, pool: list[str]) -> str | None:
        for name in pool:
            if name not in self._used:
                self._used.add(name)
                return name
        return None

    @staticmethod
    def _proper_nouns(text: str) -> list[str]:
        """Capitalised runs that are not at the start of a sentence (or follow a title), and camel-case words."""
        out: list[str] = []
        for m in _CAPS.finditer(text):
            words = m.group(0).split()
            before = text[:m.start()]
            at_start = not before.strip() or bool(_SENTENCE_END.search(before))
            titled = before.rstrip().split()[-1:] and before.rstrip().split()[-1].lower() in TITLES
            words = [re.sub(r"['’]s$", "", w).strip("'’-&") for w in words]
            words = [w for w in words if not re.search(r"['’]", w)]  # contractions: "Can't", "We'll"
            first = words[0] if words else ""
            while words and (words[0].lower() in COMMON or words[0].lower() == "of"):
                words = words[1:]
            while words and (words[-1].lower() in COMMON or words[-1].lower() == "of"):
                words = words[:-1]
            if at_start and not titled and words == [first]:
                continue  # one word may be capitalised only because the sentence starts (caught if seen elsewhere)
            if words and not all(w.lower() in COMMON or (w.isupper() and len(w) <= 5) for w in words):
                out.append(" ".join(words))
        out += _CAMEL.findall(text)
        return out

    # ---- rewriting --------------------------------------------------------------------------------------------
    def clean(self, text: str) -> str:
        """``text`` with the call's names, contact details and figures replaced (module docstring)."""
        text = _EMAIL.sub("their e-mail", text)
        text = _URL.sub("their website", text)
        text = _PHONE.sub(lambda m: "their number" if sum(c.isdigit() for c in m.group(0)) >= 7 else m.group(0),
                          text)
        text = _DIGITS.sub(self._digits, text)
        text = _WORDS.sub(self._words, text)
        if self.names:
            alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
            text = re.sub(rf"(?<![\w])(?:{alternatives})(?![\w])", lambda m: self.names[m.group(0)], text)
        text = re.sub(r"\b(Mr|Mrs|Ms|Dr)\.?\s+(?=[A-Z])", "", text)
        return re.sub(r"[ \t]{2,}", " ", text).strip()

    def _digits(self, m: re.Match[str]) -> str:
        if m.group("pct"):
            return "X%"
        value = _digits_value(m)
        if value is None:
            return m.group(0)
        if not (m.group("cur") or m.group("scale") or "," in m.group("num")) and 1900 <= value <= 2100 \
                and value.is_integer():
            return f"the {int(value) // 10 * 10}s"  # a year: its decade
        new = _round_near(value, self.figures)
        return f"{m.group('cur') or ''}{_figure_text(new)}"

    def _words(self, m: re.Match[str]) -> str:
        unit = m.group("unit") or ""
        core, tail = _split_tail(m.group(0)[: len(m.group(0)) - len(unit)])
        value = _words_value(core)
        known = core.strip().lower() in self.figure_texts  # "fourteen" alone, once "fourteen dollars" was seen
        if value is None or not (known or _is_figure(core, unit, value)):
            return m.group(0)
        if unit and "cent" in unit.lower():
            return "X%" + tail
        hedged = re.search(r"\b(?:about|around|roughly|approximately|some|nearly|almost)\s+$", m.string[:m.start()],
                           re.I)
        return f"{'' if hedged else 'about '}{_figure_text(_round_near(value, self.figures))}{tail}{unit}"

    def leaks(self, text: str) -> list[str]:
        """The call's names and figures that ``text`` still holds (empty when it is clean)."""
        found: list[str] = []
        for original in self.names:
            if original not in self.names.values() and re.search(rf"(?<![\w]){re.escape(original)}(?![\w])", text):
                found.append(original)
        lower = text.lower()
        for figure in self.figure_texts:
            if re.search(rf"(?<![\w.,]){re.escape(figure.lower())}(?![\w]|[.,]\d)", lower):
                found.append(figure)
        return sorted(set(found))

    def clean_all(self, texts: Iterable[str]) -> list[str]:
        return [self.clean(t) for t in texts]


def _digits_value(m: re.Match[str]) -> float | None:
    try:
        value = float(m.group("num").replace(",", ""))
    except ValueError:
        return None
    scale = (m.group("scale") or "").strip().lower()
    return value * {"k": 1e3, "m": 1e6, "bn": 1e9, "b": 1e9}.get(scale, 1)


def _is_figure(phrase: str, unit: str | None, value: float) -> bool:
    """A number in words counts as a figure when it has a unit, a scale word, a decimal point, or is 20 or more
    (small counts in words, "three depots", are left as they are)."""
    words = phrase.lower()
    if phrase.strip().lower() in ("a", "and", "a half", "half", "point"):
        return False
    return bool(unit) or value >= 20 or any(s in words for s in (*_SCALES, "point"))
