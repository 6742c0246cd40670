"""The input boundary: text and ids from outside (web forms, the JSON API, the CLI, imported files) are checked
and normalised here before anything stores or echoes them.

- ``clean_text`` rejects what no person types and a database should never hold (NUL, other control
  characters in one-line fields, lone surrogates), removes the invisible bidirectional *override and isolate*
  controls (U+202A-U+202E, U+2066-U+2069) that let a line display as something other than what it says,
  normalises to NFC and enforces a length cap. Errors name the field and never repeat the input.
- ``shown`` shortens a value for an error message, so an error never echoes unbounded input.
- ``MAX_DB_ID`` is the largest id any table can hold (a signed 32-bit integer: the id columns are INTEGER,
  which is 32 bits on PostgreSQL): a larger number is simply an id that does not exist, never a database
  error.

This module is part of the core: it imports nothing from the web layer or the services.
"""

from __future__ import annotations

import re
import unicodedata

#: the largest id a row can have: the id (and turn index) columns are INTEGER, a signed 32-bit integer on
#: PostgreSQL (SQLite would hold 64 bits). PostgreSQL refuses even to compare such a column with a larger
#: number ("integer out of range"), and SQLite overflows above 2**63 - 1: both would be a 500.
MAX_DB_ID = 2**31 - 1

#: embedding, override and isolate controls (the "Trojan Source" characters); marks such as U+200F stay
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: C0 controls and DEL except tab, line feed and carriage return; C1 controls
_CONTROL_MULTILINE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_WHITESPACE_RUN = re.compile(r"\s+")


class InputError(ValueError):
    """Input that cannot be accepted. ``field`` names where it came from; the message never quotes it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def clean_text(
    value: str,
    field: str,
    *,
    max_chars: int,
    multiline: bool = False,
    required: bool = False,
) -> str:
    """``value`` made safe to store and show, or InputError.

    One-line fields (names, e-mails, searches, ids) have every run of whitespace, line breaks included,
    collapsed to one space and are stripped; multi-line fields (turns, YAML, transcripts) keep their line
    breaks and tabs, with Windows line ends turned into ``\\n``. ``required`` rejects a value that is empty
    after cleaning. ``max_chars`` is checked after cleaning."""
    if not isinstance(value, str):
        raise InputError(field, "must be text")
    if "\x00" in value:
        raise InputError(field, "contains a NUL character (\\x00), which text never holds")
    if _SURROGATE.search(value):
        raise InputError(field, "contains an unpaired surrogate code point; send valid UTF-8 text")
    text = unicodedata.normalize("NFC", BIDI_CONTROLS.sub("", value))
    if multiline:
        text = _CONTROL_MULTILINE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    else:
        text = _WHITESPACE_RUN.sub(" ", _CONTROL_MULTILINE.sub("", text)).strip()
    if required and not text.strip():
        raise InputError(field, "is empty")
    if len(text) > max_chars:
        raise InputError(field, f"is too long ({len(text):,} characters; at most {max_chars:,})")
    return text


def shown(value: object, limit: int = 60) -> str:
    """``value`` quoted for an error message: at most ``limit`` characters, control characters escaped."""
    text = str(value)
    cut = text[:limit]
    quoted = repr(cut)
    return quoted + ("…" if len(text) > limit else "")


def is_db_id(value: int) -> bool:
    """Whether ``value`` can be the id of a stored row (1 .. MAX_DB_ID)."""
    return 1 <= value <= MAX_DB_ID
