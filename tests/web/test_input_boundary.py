"""The web app's input boundary on SQLite and PostgreSQL: ids no row can have are 404/422 on every route (path,
query and form), learner lines with NUL or lone surrogates are refused with nothing stored (bidi overrides are
removed), search texts are capped and cleaned, and no error repeats long input."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import sparring_test_support as support
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.routing import BaseRoute

from sparring.inputs import MAX_DB_ID
from sparring.settings import Settings
from sparring.store.db import Database, forget_databases, get_database
from sparring.store.models import Rep, TurnRow
from sparring.testing.web import SCENARIO, World, build_world, login, sse_events
from sparring.web.app import create_app

#: above the id columns, above SQLite's 64 bits, the issue's example, not positive, and too long to parse
OUT_OF_RANGE = [str(MAX_DB_ID + 1), str(2**63), "1180591620717411303424", "0", "-1", "9" * 5000]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp(f"boundary-{request.param}")
    if request.param == "sqlite":
        settings = Settings(data_dir=data)
        yield build_world(create_app(settings, warm_up=False), get_database(settings.resolved_database_url))
        forget_databases()
        return
    support.require_pg()
    schema, url = support.make_pg_schema()
    database = Database(url)
    try:
        yield build_world(create_app(Settings(data_dir=data, database_url=url), warm_up=False), database)
    finally:
        database.dispose()
        support.drop_pg_schema(schema)


def _id_routes(w: World) -> list[tuple[str, str, str]]:
    """(method, path template, parameter name) of every route with an id in its path."""
    found = []

    def walk(routes: list[BaseRoute]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI versions that wrap included routers
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute) and "{" in route.path:
                name = route.path.split("{", 1)[1].split("}", 1)[0]
                found.extend((method, route.path, name) for method in sorted(route.methods - {"HEAD"}))

    walk(list(w.app.routes))
    return found


def _stored_turns(w: World, rep_id: int) -> list[str]:
    with w.database.read() as s:
        turns = select(TurnRow.text).join(Rep, Rep.conversation_id == TurnRow.conversation_id)
        return list(s.scalars(turns.where(Rep.id == rep_id).order_by(TurnRow.turn_index)))


def _fill(template: str, name: str, value: str) -> str:
    """``template`` with ``value`` for the path parameter ``name`` and the largest id for any other one."""
    return re.sub(r"\{[a-z_]+\}", str(MAX_DB_ID), template.replace("{" + name + "}", value))


def test_every_id_in_a_path_is_404_or_422_when_no_row_can_have_it(world: World) -> None:
    routes = _id_routes(world)
    paths = {p for _, p, _ in routes}
    assert len(routes) >= 15 and {"/api/reps/{rep_id}", "/reps/{rep_id}/reply", "/lines/{line_id}/delete",
                                  "/team/learners/{user_id}", "/admin/users/{user_id}/teams"} <= paths
    admin = login(world.app, "admin_a")  # may use every page
    for method, template, name in routes:
        if template.startswith("/scim/"):  # a SCIM token's routes, not a session's: tests/web/test_scim.py
            continue
        for value in OUT_OF_RANGE:
            r = admin.request(method, _fill(template, name, value), json={"text": "hi"})
            assert r.status_code in (404, 422), (method, template, value[:30], r.status_code, r.text[:200])
            assert len(r.text) < 2000  # the error names the parameter, it does not repeat it
        # the largest id a row can have goes to the database and is simply not there
        r = admin.request(method, _fill(template, name, str(MAX_DB_ID)), json={"text": "hi"})
        assert r.status_code < 500, (method, template, r.status_code)
        if method == "GET":
            assert r.status_code == 404, (template, r.status_code)


def test_ids_and_paging_in_the_query_string(world: World) -> None:
    manager = login(world.app, "manager_a")
    for value in OUT_OF_RANGE:
        queries = [f"user_id={value}", f"limit={value}"] + ([f"offset={value}"] if value != "0" else [])
        for query in queries:
            r = manager.get(f"/api/reps?{query}")
            assert r.status_code == 422 and query.split("=")[0] in r.json()["detail"], (query[:40], r.text[:200])
        assert manager.get(f"/team?team={value}").status_code == 422
    assert manager.get("/api/reps?limit=501").status_code == 422
    assert manager.get(f"/api/reps?user_id={MAX_DB_ID}").json() == []
    assert manager.get(f"/api/reps?offset={MAX_DB_ID}").json() == []
    assert len(manager.get("/api/reps?limit=1&offset=1").json()) == 1
    assert manager.get(f"/team?team={MAX_DB_ID}").status_code == 404


def test_ids_typed_into_forms_are_bounded(world: World) -> None:
    learner = login(world.app, "learner_a1")
    rep = world.reps["a1_public"]
    for value in OUT_OF_RANGE:
        r = learner.post("/lines", data={"rep": value, "turn": "1", "situation": "price"})
        assert r.status_code == 400 and r.json()["detail"].startswith("rep: "), r.text[:200]
        assert len(r.text) < 300
        r = learner.post(f"/reps/{rep}/branch", data={"turn": value})
        assert r.status_code in (400, 404) and len(r.text) < 300, r.text[:200]
    r = learner.post("/lines", data={"rep": str(rep), "turn": "9" * 5000, "situation": "price"})
    assert r.status_code == 400 and r.json()["detail"].startswith("turn: ") and len(r.text) < 300
    assert learner.post("/lines", data={"rep": str(MAX_DB_ID), "turn": "1", "situation": "x"}).status_code == 404
    admin = login(world.app, "admin_a")
    for value in OUT_OF_RANGE:
        r = admin.post(f"/admin/users/{world.users['learner_a1']}/teams", data={"team": value, "member": "on"})
        assert r.status_code == 303 and "team" in r.cookies.get("sparring_flash", ""), r.status_code


@pytest.mark.parametrize(("text", "problem"), [
    ("price?\x00", "NUL"),
    ("half a pair \ud83d", "surrogate"),
])
def test_a_bad_learner_line_is_refused_on_the_page_and_the_api(world: World, text: str, problem: str) -> None:
    client = login(world.app, "learner_a3")
    rep_id = client.post("/api/reps", json={"scenario": SCENARIO, "difficulty": "easy"}).json()["id"]
    body = json.dumps({"text": text})  # a lone surrogate travels as the JSON escape \\ud83d
    headers = {"Content-Type": "application/json"}
    for url in (f"/reps/{rep_id}/turns", f"/api/reps/{rep_id}/turns"):
        r = client.post(url, content=body, headers=headers)
        assert r.status_code == 400 and problem in r.json()["detail"], (url, r.status_code, r.text[:200])
        assert r.json()["detail"].startswith("text: ")
    assert len(_stored_turns(world, rep_id)) == 1  # the opening line only: nothing was stored
    ok = client.post(f"/api/reps/{rep_id}/turns", json={"text": "What matters most to you this year?"})
    assert ok.status_code == 200


def test_bidi_overrides_are_removed_from_learner_lines(world: World) -> None:
    client = login(world.app, "learner_a3")
    rep_id = client.post("/api/reps", json={"scenario": SCENARIO, "difficulty": "easy"}).json()["id"]
    page = sse_events(client.post(f"/reps/{rep_id}/turns", json={"text": "Budget \u202eesir\u202c ok?"}).text)
    assert page[0] == ("saved", {**page[0][1], "text": "Budget esir ok?"})
    api = client.post(f"/api/reps/{rep_id}/turns", json={"text": "What \u2066matters\u2069 most?"})
    assert api.status_code == 200 and api.json()["learner_turn"]["text"] == "What matters most?"
    stored = _stored_turns(world, rep_id)
    assert stored[1] == "Budget esir ok?" and stored[3] == "What matters most?"
    assert not any(ch in "".join(stored) for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x00")


@pytest.mark.parametrize("bad", ["a%00b", "x" * 201])
def test_searches_and_filters_are_capped_and_refuse_nul(world: World, bad: str) -> None:
    admin = login(world.app, "admin_a")
    for url in (f"/?q={bad}", f"/?skill={bad}", f"/lines?q={bad}", f"/lines?situation={bad}",
                f"/api/reps?scenario={bad}", f"/admin/content/edit?kind=rubric&id={bad}"):
        r = admin.get(url)
        assert r.status_code == 422, (url[:40], r.status_code, r.text[:200])
        assert len(r.json()["detail"]) < 300 and "x" * 60 not in r.text


def test_searches_with_odd_but_harmless_text_still_work(world: World) -> None:
    learner = login(world.app, "learner_a1")
    assert learner.get("/lines?q=%E2%80%AEprice%20%20objection").status_code == 200
    assert learner.get("/?q=%E2%80%AErenewal").status_code == 200
    assert learner.get("/api/reps?scenario=%20" + SCENARIO).json()  # cleaned: the surrounding space goes


def test_an_unknown_scenario_is_not_echoed_back(world: World) -> None:
    client = login(world.app, "learner_a3")
    r = client.post("/api/reps", json={"scenario": "z" * 10_000})
    assert r.status_code == 422 and len(r.text) < 300 and "z" * 61 not in r.text
    r = client.post("/api/reps", json={"scenario": "z" * 150})
    assert r.status_code == 404 and r.json()["detail"] == "unknown scenario '" + "z" * 60 + "'…"
    r = client.post("/reps", data={"scenario": "z" * 10_000})
    assert r.status_code == 400 and len(r.text) < 300 and "z" * 61 not in r.text
    r = client.post("/reps", data={"scenario": "z" * 150, "difficulty": "easy"})
    assert r.status_code == 404 and len(r.text) < 300 and "z" * 61 not in r.text
    r = client.post("/reps", data={"scenario": SCENARIO, "difficulty": "d" * 10_000})
    assert r.status_code == 400 and len(r.text) < 300
