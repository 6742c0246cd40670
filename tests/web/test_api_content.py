"""Scenarios and rubrics in the read API (sparring.web.routes.api_content): every role reads its organisation's
content (built-ins and its own), never another organisation's; pages, filters, versions; 401 without a caller;
an API token reads the same as the session of its account."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sparring.testing.web import World, api_token, bearer, login
from sparring.web.routes.admin import NEW_RUBRIC

ACME_RUBRIC = "acme-lantern-rubric"


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    out = {key: login(world.app, key) for key in ("admin_a", "learner_a1", "admin_b", "learner_b1")}
    text = NEW_RUBRIC.replace("id: my-rubric", f"id: {ACME_RUBRIC}").replace("title: My rubric", "title: Lantern")
    r = out["admin_a"].post("/admin/content/publish",
                            data={"csrf_token": out["admin_a"].headers["X-CSRF-Token"], "yaml": text})
    assert r.status_code == 303, r.text[-800:]
    return out


def test_without_a_caller_every_content_route_is_401(world: World) -> None:
    anon = TestClient(world.app)
    for path in ("/api/scenarios", "/api/scenarios/cs-renewal-discount", "/api/rubrics", "/api/rubrics/discovery"):
        assert anon.get(path).status_code == 401, path
        assert bearer(world.app, "spt_not-a-real-token").get(path).status_code == 401, path


def test_scenarios_are_pages_with_filters(clients: dict[str, TestClient]) -> None:
    c = clients["learner_a1"]
    first = c.get("/api/scenarios", params={"limit": 3})
    assert first.status_code == 200
    body = first.json()
    assert len(body["items"]) == 3 and body["limit"] == 3 and body["offset"] == 0
    assert body["next"] == "/api/scenarios?limit=3&offset=3"
    everything = c.get("/api/scenarios", params={"limit": 200}).json()
    assert everything["next"] is None
    ids = [s["id"] for s in everything["items"]]
    assert ids == sorted(ids) and "cs-renewal-discount" in ids
    second = c.get(body["next"]).json()
    assert [s["id"] for s in second["items"]] == ids[3:6]
    one = everything["items"][0]
    assert set(one) >= {"id", "title", "domain", "rubric", "skills", "difficulties", "version"}
    by_rubric = c.get("/api/scenarios", params={"rubric": "renewal-value", "limit": 200}).json()["items"]
    assert by_rubric and all(s["rubric"] == "renewal-value" for s in by_rubric)
    assert len(by_rubric) < len(ids)
    by_domain = c.get("/api/scenarios", params={"domain": "sales", "limit": 200}).json()["items"]
    assert by_domain and all(s["domain"] == "sales" for s in by_domain)
    assert c.get("/api/scenarios", params={"limit": 201}).status_code == 422
    assert c.get("/api/scenarios", params={"domain": "nothing-here"}).json() == {
        "items": [], "next": None, "limit": 50, "offset": 0}


def test_one_scenario_shows_the_brief_never_the_hidden_state(clients: dict[str, TestClient]) -> None:
    r = clients["learner_a1"].get("/api/scenarios/cs-renewal-discount")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "cs-renewal-discount" and len(body["brief"]) > 20 and body["objectives"]
    assert "state" not in body and "hidden_agenda" not in r.text
    assert clients["learner_a1"].get("/api/scenarios/no-such-scenario").status_code == 404


def test_rubrics_with_versions(clients: dict[str, TestClient]) -> None:
    c = clients["learner_a1"]
    listed = c.get("/api/rubrics", params={"limit": 200}).json()["items"]
    ids = [r["id"] for r in listed]
    for builtin in ("sales-objection-handling", "discovery", "renewal-value", "motivational-interviewing"):
        assert builtin in ids
    one = c.get("/api/rubrics/discovery").json()
    assert one["criteria"] and all({"id", "name", "kind", "skill", "weight"} <= set(x) for x in one["criteria"])
    pinned = c.get("/api/rubrics/discovery", params={"version": one["version"]})
    assert pinned.status_code == 200 and pinned.json() == one
    assert c.get("/api/rubrics/discovery", params={"version": "0000000000"}).status_code == 404
    skill = one["criteria"][0]["skill"]
    by_skill = c.get("/api/rubrics", params={"skill": skill, "limit": 200}).json()["items"]
    assert "discovery" in [r["id"] for r in by_skill]
    assert all(any(x["skill"] == skill for x in r["criteria"]) for r in by_skill)


def test_an_organisations_own_rubric_stays_inside_it(world: World, clients: dict[str, TestClient]) -> None:
    for key in ("admin_a", "learner_a1"):
        c = clients[key]
        assert ACME_RUBRIC in [r["id"] for r in c.get("/api/rubrics", params={"limit": 200}).json()["items"]]
        assert c.get(f"/api/rubrics/{ACME_RUBRIC}").json()["title"] == "Lantern"
    for key in ("admin_b", "learner_b1"):
        c = clients[key]
        assert ACME_RUBRIC not in c.get("/api/rubrics", params={"limit": 200}).text
        assert c.get(f"/api/rubrics/{ACME_RUBRIC}").status_code == 404
    token = bearer(world.app, api_token(world, "learner_b1"))
    assert token.get(f"/api/rubrics/{ACME_RUBRIC}").status_code == 404
    assert bearer(world.app, api_token(world, "learner_a1")).get(f"/api/rubrics/{ACME_RUBRIC}").status_code == 200
