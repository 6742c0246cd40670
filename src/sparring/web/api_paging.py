"""Pagination of the read API (docs/api.md, "Pagination"): one shape for every list added in API version 1.1.

A list answers ``{"items": [...], "next": URL-or-null, "limit": n, "offset": n}``. ``limit`` is 1 to 200 (default
50), ``offset`` the rows skipped; ``next`` is the path and query of the following page (the same filters, the
offset moved on), or null on the last page. Offsets rather than cursors: every list is ordered by a stable key
(newest first, then id; or by id for content), so a page is repeatable while nothing is added, and a client can
jump to any page.

``GET /api/reps`` and ``GET /api/calls`` keep their older shape (a plain JSON list) and say where the next page
is in a ``Link: <...>; rel="next"`` header instead (RFC 8288), so existing clients keep working.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import AfterValidator, BaseModel, Field

#: the largest page of the read API
MAX_LIMIT = 200
DEFAULT_LIMIT = 50

PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"at most this many items (1 to {MAX_LIMIT})")]
PageOffset = Annotated[int, Query(ge=0, le=10**9, description="skip this many items first")]

T = TypeVar("T")


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: a time in an answer: always with its offset (SQLite hands stored UTC times back without one)
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next: str | None = Field(description="the path and query of the next page (same filters), or null on the last")
    limit: int
    offset: int


def next_url(request: Request, offset: int, limit: int, count: int, more: bool) -> str | None:
    """The following page of ``request`` (its query kept, ``offset`` moved on), or None when there is none."""
    if not more:
        return None
    query = request.query_params.multi_items()
    kept = [(k, v) for k, v in query if k not in ("offset", "limit")]
    params = [*kept, ("limit", str(limit)), ("offset", str(offset + count))]
    from urllib.parse import urlencode

    return f"{request.url.path}?{urlencode(params)}"


def page_of(request: Request, rows: Sequence[T], limit: int, offset: int) -> Page[T]:
    """A page of a list held whole (content, people): items ``offset`` to ``offset + limit``."""
    items = list(rows[offset:offset + limit])
    return Page[T](items=items, next=next_url(request, offset, limit, len(items), offset + limit < len(rows)),
                   limit=limit, offset=offset)


def fetched_page(request: Request, rows: Sequence[T], limit: int, offset: int) -> Page[T]:
    """A page from a query that fetched ``limit + 1`` rows from ``offset`` (the extra one says there is more)."""
    items = list(rows[:limit])
    return Page[T](items=items, next=next_url(request, offset, limit, len(items), len(rows) > limit),
                   limit=limit, offset=offset)


def link_next(request: Request, response: Response, offset: int, limit: int, count: int, more: bool) -> None:
    """Say where the next page of a plain-list answer is: a ``Link: <...>; rel="next"`` header."""
    url = next_url(request, offset, limit, count, more)
    if url is not None:
        response.headers["Link"] = f'<{url}>; rel="next"'
