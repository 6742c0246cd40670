"""Values typed into forms and command-line options, parsed once for every service: a day and a number.

Each error names the field and what to give instead (``due: give a date as YYYY-MM-DD (got 'soon')``), so the
page or the command can show it as it is.
"""

from __future__ import annotations

from datetime import date
from typing import overload

from sparring.services.errors import InvalidInput


@overload
def parse_day(text: str, field: str) -> date: ...
@overload
def parse_day(text: str, field: str, *, optional: bool) -> date | None: ...
def parse_day(text: str, field: str, *, optional: bool = False) -> date | None:
    """An ISO day (YYYY-MM-DD); empty text is ``None`` when ``optional``, else an error."""
    raw = text.strip()
    if not raw and optional:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{field}: give a date as YYYY-MM-DD (got {raw[:20]!r})") from None


def parse_number(text: str, field: str, *, optional: bool = False, whole: bool = True) -> float | None:
    """A number (a whole one unless ``whole=False``); empty text is ``None`` when ``optional``, else an error."""
    raw = text.strip()
    if not raw:
        if optional:
            return None
        raise InvalidInput(f"{field}: give a number")
    try:
        return int(raw) if whole else float(raw)
    except ValueError:
        raise InvalidInput(f"{field}: give a {'whole ' if whole else ''}number (got {raw[:20]!r})") from None
