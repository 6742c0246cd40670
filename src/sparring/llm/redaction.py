"""Redaction of personal data before text leaves the machine, and its reversal on the way back.

Emails, phone numbers and payment card numbers (Luhn-checked) are always found; names are redacted when
listed (``llm_redact_names``). Each distinct value gets a numbered placeholder (``[EMAIL_1]``) that stays the
same for the whole conversation, so the model can still refer to it and :meth:`Redactor.restore` can put
the original back into replies and quotes.

Prompts are rebuilt every turn from the same texts (the instructions, the transcript so far), so two results
are remembered, both exact: which texts contain nothing to redact (that depends only on the text and the listed
names, never on a redactor's placeholders), kept as 128-bit digests rather than the text itself; and, per stable
prompt prefix, the redacted prefix with the placeholders it creates in a fresh redactor.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# 13-19 digits, optionally grouped by spaces or dashes
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
# international or national numbers with at least 7 digits, allowing spaces, dots, dashes and parentheses
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){1,4}(?!\w)")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_PLACEHOLDER = re.compile(r"\[(EMAIL|PHONE|CARD|NAME)_(\d+)\]")
#: every pattern above needs an "@" or a digit
_MAY_MATCH = re.compile(r"[@\d]")
#: how many clean-text digests and redacted prefixes are remembered per process
CLEAN_CACHE = 8192
PREFIX_CACHE = 64
_clean: OrderedDict[bytes, None] = OrderedDict()
_prefixes: OrderedDict[tuple[str, str], tuple[str, dict[tuple[str, str], str], dict[str, str], dict[str, int]]] = (
    OrderedDict()
)
_cache_lock = threading.Lock()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class Redactor:
    """Replaces personal data with placeholders; remembers them so replies can be restored."""

    def __init__(self, names: Iterable[str] = (), *, enabled: bool = True):
        self.enabled = enabled
        cleaned = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
        self._names = re.compile(r"\b(" + "|".join(re.escape(n) for n in cleaned) + r")\b", re.I) if cleaned else None
        self._names_key = "\x00".join(cleaned)
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.lower() if kind in ("EMAIL", "NAME") else _digits(value) or value)
        if key not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            ph = f"[{kind}_{self._counts[kind]}]"
            self._by_value[key] = ph
            self._by_placeholder[ph] = value
        return self._by_value[key]

    def redact(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        if _MAY_MATCH.search(text) is None and (self._names is None or self._names.search(text) is None):
            return text
        key = hashlib.blake2b(f"{self._names_key}\x01{text}".encode(), digest_size=16).digest()
        if key in _clean:
            return text
        out = self._redact(text)
        if out == text:  # nothing in it to redact, whatever placeholders a redactor holds
            with _cache_lock:
                _clean[key] = None
                if len(_clean) > CLEAN_CACHE:
                    _clean.popitem(last=False)
        return out

    def redact_prefix(self, text: str) -> str:
        """:meth:`redact` for the first text a redactor sees (a prompt's stable prefix: instructions built from
        a scenario or rubric). A fresh redactor turns the same text into the same result and placeholders every
        time, so that is computed once per process; a redactor that already holds placeholders redacts as usual."""
        if not self.enabled or self._by_value:
            return self.redact(text)
        key = (self._names_key, text)
        hit = _prefixes.get(key)
        if hit is None:
            out = self.redact(text)
            with _cache_lock:
                _prefixes[key] = (out, dict(self._by_value), dict(self._by_placeholder), dict(self._counts))
                if len(_prefixes) > PREFIX_CACHE:
                    _prefixes.popitem(last=False)
            return out
        out, by_value, by_placeholder, counts = hit
        self._by_value, self._by_placeholder, self._counts = dict(by_value), dict(by_placeholder), dict(counts)
        return out

    def _redact(self, text: str) -> str:
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)

        def card(m: re.Match[str]) -> str:
            d = _digits(m.group(0))
            return self._placeholder("CARD", m.group(0)) if 13 <= len(d) <= 19 and luhn_ok(d) else m.group(0)

        text = _CARD.sub(card, text)

        def phone(m: re.Match[str]) -> str:
            raw = m.group(0)
            d = _digits(raw)
            # plain years, amounts and short numbers are not phone numbers
            if len(d) < 7 or len(d) > 15 or _DATE.fullmatch(raw.strip()):
                return raw
            if not re.search(r"[\s.()+-]", raw) and not 10 <= len(d) <= 12:
                return raw  # an unbroken run of digits is a phone number only at phone length
            return self._placeholder("PHONE", raw)

        text = _PHONE.sub(phone, text)
        if self._names is not None:
            text = self._names.sub(lambda m: self._placeholder("NAME", m.group(0)), text)
        return text

    def restore(self, text: str) -> str:
        """Put the original values back in place of placeholders this redactor made."""
        if not self._by_placeholder or not text:
            return text
        return _PLACEHOLDER.sub(lambda m: self._by_placeholder.get(m.group(0), m.group(0)), text)

    @property
    def replaced(self) -> int:
        return len(self._by_placeholder)
