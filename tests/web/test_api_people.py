"""People, teams and progress in the read API (sparring.web.routes.api_people): who sees whom follows the team
pages (admin: the organisation; manager: their teams; learner: themselves), never another organisation's people;
pages and filters; a token's role decides as the account's would, and a lower role narrows it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sparring.testing.web import World, api_token, bearer, email, login

ACME = ["admin_a", "manager_a", "learner_a1", "learner_a2", "learner_a3"]
GLOBEX = ["admin_b", "manager_b", "learner_b1"]
#: whose account and progress each caller may read
SEES = {
    "admin_a": set(ACME), "manager_a": {"manager_a", "learner_a1", "learner_a2"}, "learner_a1": {"learner_a1"},
    "learner_a2": {"learner_a2"}, "admin_b": set(GLOBEX), "manager_b": {"manager_b", "learner_b1"},
    "learner_b1": {"learner_b1"},
}
PROGRESS = {**SEES, "manager_a": {"manager_a", "learner_a1", "learner_a2"}}


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {key: login(world.app, key) for key in SEES}


def _all_pages(c: TestClient, url: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    next_url: str | None = url
    while next_url:
        r = c.get(next_url)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        next_url = r.json()["next"]
    return items


def test_without_a_caller_every_route_is_401(world: World) -> None:
    anon = TestClient(world.app)
    uid = world.users["learner_a1"]
    for path in ("/api/users", f"/api/users/{uid}", f"/api/users/{uid}/progress", "/api/progress", "/api/teams",
                 "/api/teams/1"):
        assert anon.get(path).status_code == 401, path


@pytest.mark.parametrize("key", list(SEES))
def test_users_follow_the_team_rules(world: World, clients: dict[str, TestClient], key: str) -> None:
    c = clients[key]
    listed = c.get("/api/users")
    if key.startswith("learner"):
        assert listed.status_code == 403
    else:
        emails = {u["email"] for u in _all_pages(c, "/api/users?limit=2")}
        assert emails == {email(k) for k in SEES[key]}
    for other in ACME + GLOBEX:
        r = c.get(f"/api/users/{world.users[other]}")
        assert r.status_code == (200 if other in SEES[key] else 404), (key, other)
        if r.status_code == 200:
            assert r.json()["email"] == email(other)
        else:
            assert email(other) not in r.text


def test_user_filters(world: World, clients: dict[str, TestClient]) -> None:
    c = clients["admin_a"]
    learners = c.get("/api/users", params={"role": "learner"}).json()["items"]
    assert {u["email"] for u in learners} == {email(k) for k in ("learner_a1", "learner_a2", "learner_a3")}
    teams = {t["name"]: t for t in c.get("/api/teams").json()["items"]}
    assert set(teams) == {"East", "West"} and teams["East"]["members"] == 3
    west = c.get("/api/users", params={"team": teams["West"]["id"]}).json()["items"]
    assert [u["email"] for u in west] == [email("learner_a3")] and west[0]["teams"][0]["name"] == "West"
    assert c.get("/api/users", params={"role": "owner"}).status_code == 422
    globex_team = clients["admin_b"].get("/api/teams").json()["items"][0]["id"]
    assert c.get("/api/users", params={"team": globex_team}).json()["items"] == []


def test_teams_follow_the_team_rules(world: World, clients: dict[str, TestClient]) -> None:
    east = {t["name"]: t["id"] for t in clients["admin_a"].get("/api/teams").json()["items"]}
    assert [t["name"] for t in clients["manager_a"].get("/api/teams").json()["items"]] == ["East"]
    assert clients["learner_a1"].get("/api/teams").status_code == 403
    one = clients["manager_a"].get(f"/api/teams/{east['East']}").json()
    assert set(one["member_ids"]) == {world.users[k] for k in ("manager_a", "learner_a1", "learner_a2")}
    assert clients["manager_a"].get(f"/api/teams/{east['West']}").status_code == 404
    assert clients["admin_b"].get(f"/api/teams/{east['East']}").status_code == 404
    assert clients["learner_a1"].get(f"/api/teams/{east['East']}").status_code == 404


def test_progress_is_the_progress_pages(world: World, clients: dict[str, TestClient]) -> None:
    own = clients["learner_a1"].get("/api/progress").json()
    assert own["user_id"] == world.users["learner_a1"]
    assert {r["rep_id"] for r in own["reps"]} == {world.reps["a1_public"], world.reps["a1_private"]}
    assert own["skills"] and all(len(v) == len(own["reps"]) for v in own["skills"].values())
    assert own["weakest_skill"] in own["skill_averages"]
    assert all(r["scored_at"].endswith(("Z", "+00:00")) for r in own["reps"]), "times carry their offset"
    assert clients["learner_a1"].get(f"/api/users/{world.users['learner_a1']}/progress").json() == own
    # the manager sees the private rep's score but none of its criterion detail
    managed = clients["manager_a"].get(f"/api/users/{world.users['learner_a1']}/progress").json()
    private = next(i for i, r in enumerate(managed["reps"]) if r["rep_id"] == world.reps["a1_private"])
    assert managed["reps"][private]["overall"] == own["reps"][private]["overall"]
    assert all(series[private] is None for series in managed["skills"].values())
    last = clients["learner_a1"].get("/api/progress", params={"last": 1}).json()
    assert len(last["reps"]) == 1 and last["reps"][0] == own["reps"][-1]
    assert clients["learner_a1"].get("/api/progress", params={"last": 0}).status_code == 422
    for key, allowed in PROGRESS.items():
        for other in ACME + GLOBEX:
            r = clients[key].get(f"/api/users/{world.users[other]}/progress")
            assert r.status_code == (200 if other in allowed else 404), (key, other)


def test_a_tokens_role_decides_like_the_accounts(world: World, clients: dict[str, TestClient]) -> None:
    as_manager = bearer(world.app, api_token(world, "manager_a"))
    assert as_manager.get("/api/users").json() == clients["manager_a"].get("/api/users").json()
    narrowed = bearer(world.app, api_token(world, "manager_a", role="learner"))
    assert narrowed.get("/api/users").status_code == 403
    assert narrowed.get(f"/api/users/{world.users['learner_a1']}").status_code == 404
    assert narrowed.get(f"/api/users/{world.users['manager_a']}").status_code == 200
    admin_b = bearer(world.app, api_token(world, "admin_b"))
    assert email("learner_a1") not in admin_b.get("/api/users", params={"limit": 200}).text
    assert admin_b.get(f"/api/users/{world.users['learner_a1']}/progress").status_code == 404
