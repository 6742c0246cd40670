"""Assignments and programs in the read API (sparring.web.routes.api_work): managers see their teams' (an admin
the organisation's), learners their own; a program's progress is for its leads; filters and pages; never another
organisation's, with a session or an API token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.assignments import assign
from sparring.services.content import ContentService
from sparring.services.programs import ScenarioChoice, create_program
from sparring.testing.web import SCENARIO, World, api_token, bearer, email, login

KEYS = ["admin_a", "manager_a", "learner_a1", "learner_a2", "learner_a3", "admin_b", "manager_b", "learner_b1"]


@pytest.fixture(scope="module")
def work(world: World) -> dict[str, int]:
    """Assignments to East (by manager_a), to learner_a3 (by admin_a) and in Globex; a program for East and one in
    Globex."""
    def lookup(org: int, sid: str) -> object:
        return ContentService(world.database, org).get_scenario(sid)

    def viewer(key: str) -> Viewer:
        return Viewer.of(Accounts(world.database).get_user(world.users[key]))

    due = datetime.now(UTC).date() + timedelta(days=10)
    today = datetime.now(UTC).date()
    with world.database.session() as s:
        out = {
            "east": assign(s, viewer("manager_a"), lookup, SCENARIO, "team:East", reps=2, due_on=due).id,  # type: ignore[arg-type]
            "a3": assign(s, viewer("admin_a"), lookup, SCENARIO, email("learner_a3"), reps=1, due_on=due,  # type: ignore[arg-type]
                         difficulty="hard").id,
            "b": assign(s, viewer("manager_b"), lookup, SCENARIO, "team:North", reps=1, due_on=due).id,  # type: ignore[arg-type]
        }
        for key, org_key, team in (("p_east", "manager_a", "East"), ("p_b", "manager_b", "North")):
            out[key] = create_program(s, viewer(org_key), lookup, org_id=None, name=f"Sprint {team}",  # type: ignore[arg-type]
                                      start_on=today - timedelta(days=1), end_on=today + timedelta(days=13),
                                      target_min=2, scenarios=[ScenarioChoice(SCENARIO)], teams=[team]).id
    return out


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {key: login(world.app, key) for key in KEYS}


#: which assignments and programs each caller sees
ASSIGNMENTS = {"admin_a": {"east", "a3"}, "manager_a": {"east"}, "learner_a1": {"east"}, "learner_a2": {"east"},
               "learner_a3": {"a3"}, "admin_b": {"b"}, "manager_b": {"b"}, "learner_b1": {"b"}}
PROGRAMS = {"admin_a": {"p_east"}, "manager_a": {"p_east"}, "learner_a1": {"p_east"}, "learner_a2": {"p_east"},
            "learner_a3": set(), "admin_b": {"p_b"}, "manager_b": {"p_b"}, "learner_b1": {"p_b"}}


def test_without_a_caller_every_route_is_401(world: World, work: dict[str, int]) -> None:
    anon = TestClient(world.app)
    for path in ("/api/assignments", f"/api/assignments/{work['east']}", "/api/programs",
                 f"/api/programs/{work['p_east']}", f"/api/programs/{work['p_east']}/progress"):
        assert anon.get(path).status_code == 401, path


@pytest.mark.parametrize("key", KEYS)
def test_assignments_follow_the_page_rules(work: dict[str, int], clients: dict[str, TestClient], key: str) -> None:
    c = clients[key]
    listed = c.get("/api/assignments").json()["items"]
    assert all(a["created_at"].endswith(("Z", "+00:00")) for a in listed), "times carry their offset"
    assert {a["assignment_id"] for a in listed} == {work[k] for k in ASSIGNMENTS[key]}, key
    for name in ("east", "a3", "b"):
        r = c.get(f"/api/assignments/{work[name]}")
        assert r.status_code == (200 if name in ASSIGNMENTS[key] else 404), (key, name)
    if key.startswith("learner"):  # a learner sees only their own row
        for a in listed:
            assert [x["email"] for x in a["learners"]] == [email(key)]
    if key == "manager_a":
        east = c.get(f"/api/assignments/{work['east']}").json()
        assert {email("learner_a1"), email("learner_a2")} <= {x["email"] for x in east["learners"]}


def test_assignment_filters_and_pages(work: dict[str, int], clients: dict[str, TestClient]) -> None:
    c = clients["admin_a"]
    assert c.get("/api/assignments", params={"scenario": "no-such"}).json()["items"] == []
    assert len(c.get("/api/assignments", params={"scenario": SCENARIO}).json()["items"]) == 2
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert c.get("/api/assignments", params={"since": future}).json()["items"] == []
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert len(c.get("/api/assignments", params={"since": past}).json()["items"]) == 2
    first = c.get("/api/assignments", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next"] == "/api/assignments?limit=1&offset=1"
    second = c.get(first["next"]).json()
    assert second["next"] is None and second["items"][0]["assignment_id"] != first["items"][0]["assignment_id"]
    assert c.get("/api/assignments", params={"since": "yesterday"}).status_code == 422


@pytest.mark.parametrize("key", KEYS)
def test_programs_follow_the_page_rules(work: dict[str, int], clients: dict[str, TestClient], key: str) -> None:
    c = clients[key]
    listed = c.get("/api/programs").json()["items"]
    assert {p["program_id"] for p in listed} == {work[k] for k in PROGRAMS[key]}, key
    lead = not key.startswith("learner")
    for name in ("p_east", "p_b"):
        visible = name in PROGRAMS[key]
        assert c.get(f"/api/programs/{work[name]}").status_code == (200 if visible else 404), (key, name)
        progress = c.get(f"/api/programs/{work[name]}/progress")
        assert progress.status_code == (200 if visible and lead else 404), (key, name)
        if progress.status_code == 200:
            body = progress.json()
            assert body["program_id"] == work[name] and body["expected_by_now"] >= 0
            emails = {x["email"] for x in body["learners"]}
            assert emails and all(e.endswith("acme.test" if name == "p_east" else "globex.test") for e in emails)


def test_program_filters(work: dict[str, int], clients: dict[str, TestClient]) -> None:
    c = clients["manager_a"]
    assert [p["program_id"] for p in c.get("/api/programs", params={"status": "active"}).json()["items"]] == [
        work["p_east"]]
    assert c.get("/api/programs", params={"status": "archived"}).json()["items"] == []
    assert c.get("/api/programs", params={"scenario": "no-such"}).json()["items"] == []
    assert c.get("/api/programs", params={"status": "paused"}).status_code == 422


def test_tokens_see_what_their_account_sees(world: World, work: dict[str, int],
                                            clients: dict[str, TestClient]) -> None:
    token = bearer(world.app, api_token(world, "manager_b"))
    assert token.get("/api/assignments").json() == clients["manager_b"].get("/api/assignments").json()
    assert token.get(f"/api/assignments/{work['east']}").status_code == 404
    assert token.get(f"/api/programs/{work['p_east']}/progress").status_code == 404
    narrowed = bearer(world.app, api_token(world, "manager_a", role="learner"))
    assert narrowed.get(f"/api/programs/{work['p_east']}/progress").status_code == 404
