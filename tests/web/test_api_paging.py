"""Pagination (sparring.web.api_paging): the older plain-list answers of /api/reps and /api/calls stay plain lists
and name their next page in a ``Link: <...>; rel="next"`` header, which leads through every item exactly once;
the read API's pages carry ``next`` with the filters kept."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from sparring.conversation.model import Conversation
from sparring.services.conversation_store import store_call
from sparring.testing.web import World, login


def _follow(c: TestClient, url: str) -> tuple[list[int], int]:
    ids: list[int] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        r = c.get(next_url)
        assert r.status_code == 200 and isinstance(r.json(), list)
        ids += [item["id"] for item in r.json()]
        pages += 1
        link = r.headers.get("link")
        found = re.fullmatch(r'<([^>]+)>; rel="next"', link) if link else None
        assert link is None or found, link
        next_url = found.group(1) if found else None
    return ids, pages


def test_reps_stay_a_list_with_a_link_to_the_next_page(world: World) -> None:
    c = login(world.app, "admin_a")
    whole = c.get("/api/reps").json()
    assert len(whole) == 4 and "link" not in c.get("/api/reps").headers  # one page: no Link
    ids, pages = _follow(c, "/api/reps?limit=3")
    assert ids == [r["id"] for r in whole] and pages == 2
    first = c.get("/api/reps", params={"limit": 1, "scenario": "cs-renewal-discount"})
    assert first.headers["link"] == '</api/reps?scenario=cs-renewal-discount&limit=1&offset=1>; rel="next"'
    last = c.get("/api/reps", params={"limit": 2, "offset": 2})
    assert len(last.json()) == 2 and "link" not in last.headers


def test_calls_stay_a_list_with_a_link_to_the_next_page(world: World) -> None:
    for n in range(3):
        call = Conversation(source="call", title=f"paging call {n}")
        call.add("Rep Person", "learner", "What matters most to you?", 0.0, 3.0)
        call.add("Buyer", "counterpart", "The price.", 3.5, 5.0)
        store_call(world.database, world.users["learner_a1"], call)
    c = login(world.app, "learner_a1")
    whole = [item["id"] for item in c.get("/api/calls").json()]
    assert len(whole) == 3
    ids, pages = _follow(c, "/api/calls?limit=2")
    assert ids == whole and pages == 2
