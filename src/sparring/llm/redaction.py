"""Redaction of personal data before text leaves the machine, and its reversal on the way back.

Emails, phone numbers and payment card numbers (Luhn-checked) are always found; names are redacted when
listed (``llm_redact_names``). Each distinct value gets a numbered placeholder (``[EMAIL_1]``) that stays the
same for the whole conversation, so the model can still refer to it and :meth:`Redactor.restore` can put
the original back into replies and quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# 13-19 digits, optionally grouped by spaces or dashes
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
# international or national numbers with at least 7 digits, allowing spaces, dots, dashes and parentheses
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){1,4}(?!\w)")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_PLACEHOLDER = re.compile(r"\[(EMAIL|PHONE|CARD|NAME)_(\d+)\]")


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
