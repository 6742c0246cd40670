"""The web layer's parameter types: every id, paging value and search text a route takes comes through here.

An id is a whole number from 1 to ``MAX_DB_ID`` (the largest a 64-bit id column holds), so a larger number is
a validation error (422) and never reaches the database, where SQLite would overflow and answer with a 500.
Search texts are capped and cleaned by ``sparring.inputs.clean_text`` (no NUL, which PostgreSQL cannot
compare; no lone surrogates; bidi overrides removed). Ids typed into forms are parsed with ``form_id`` and
``form_index``, which give the same bounds and an error that names the field without repeating the input.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from sparring.inputs import MAX_DB_ID, InputError, clean_text

#: longest search text or filter value a page or the API accepts
MAX_QUERY_CHARS = 200
#: longest page size of a list
MAX_PAGE = 500
#: digits of MAX_DB_ID: longer form values are rejected before int() parses them
_MAX_DIGITS = len(str(MAX_DB_ID))


def _clean_query(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return clean_text(value, "query", max_chars=MAX_QUERY_CHARS)
    except InputError as exc:  # the parameter's name is in the error's location already
        raise ValueError(exc.message) from None


_ID_DOC = f"a stored id: a whole number from 1 to {MAX_DB_ID}"

#: an id in the path (a rep, a user, a winning line ...)
DbId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description=_ID_DOC)]
#: an optional id in the query string (a filter)
DbIdQuery = Annotated[int | None, Query(ge=1, le=MAX_DB_ID, description=_ID_DOC)]
#: how many rows a list returns
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most this many rows (1 to {MAX_PAGE})")]
#: how many rows a list skips
Offset = Annotated[int, Query(ge=0, le=MAX_DB_ID, description="skip this many rows first")]
#: a search text or filter value: at most MAX_QUERY_CHARS characters, cleaned (whitespace collapsed)
SearchText = Annotated[
    str,
    Query(max_length=MAX_QUERY_CHARS, description=f"at most {MAX_QUERY_CHARS} characters"),
    AfterValidator(_clean_query),
]
OptionalSearchText = Annotated[
    str | None,
    Query(max_length=MAX_QUERY_CHARS, description=f"at most {MAX_QUERY_CHARS} characters"),
    AfterValidator(_clean_query),
]


def _form_int(form: dict[str, str], key: str, low: int, what: str) -> int:
    raw = form.get(key, "").strip()
    if not raw or len(raw) > _MAX_DIGITS or not raw.isascii() or not raw.isdigit():
        raise InputError(key, f"give {what} (a whole number from {low} to {MAX_DB_ID})")
    value = int(raw)
    if not low <= value <= MAX_DB_ID:
        raise InputError(key, f"give {what} (a whole number from {low} to {MAX_DB_ID})")
    return value


def form_id(form: dict[str, str], key: str) -> int:
    """The id in form field ``key`` (1 .. MAX_DB_ID), or InputError naming the field."""
    return _form_int(form, key, 1, "an id")


def form_index(form: dict[str, str], key: str) -> int:
    """The position (a turn number) in form field ``key`` (0 .. MAX_DB_ID), or InputError naming the field."""
    return _form_int(form, key, 0, "a number")
