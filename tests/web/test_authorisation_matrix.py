"""Every route × every role × the other organisation: allowed or denied, and nothing leaks when denied.

The route list is read from the app itself: a new route that this matrix does not classify fails the test,
so no page can ship without an access decision.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_support import LINES, World, login

ROLES = ["learner_a1", "learner_a2", "manager_a", "admin_a", "learner_b1", "manager_b", "admin_b"]
OWNER = {"a1_public": "learner_a1", "a1_private": "learner_a1", "a2_open": "learner_a2", "a3_west": "learner_a3",
         "b1": "learner_b1"}
ORG = {k: ("a" if k.endswith(("_a", "_a1", "_a2", "_a3")) else "b") for k in [*ROLES, "learner_a3"]}

#: what each viewer may see of each rep: "full", "summary" (private rep of someone else) or None
EXPECTED: dict[str, dict[str, str | None]] = {
    "learner_a1": {"a1_public": "full", "a1_private": "full", "a2_open": None, "a3_west": None, "b1": None},
    "learner_a2": {"a1_public": None, "a1_private": None, "a2_open": "full", "a3_west": None, "b1": None},
    "manager_a": {"a1_public": "full", "a1_private": "summary", "a2_open": "full", "a3_west": None, "b1": None},
    "admin_a": {"a1_public": "full", "a1_private": "summary", "a2_open": "full", "a3_west": "full", "b1": None},
    "learner_b1": {"a1_public": None, "a1_private": None, "a2_open": None, "a3_west": None, "b1": "full"},
    "manager_b": {"a1_public": None, "a1_private": None, "a2_open": None, "a3_west": None, "b1": "full"},
    "admin_b": {"a1_public": None, "a1_private": None, "a2_open": None, "a3_west": None, "b1": "full"},
}
#: learner drill-down pages a viewer may open
DRILL: dict[str, set[str]] = {
    "manager_a": {"learner_a1", "learner_a2"},
    "admin_a": {"learner_a1", "learner_a2", "learner_a3"},
    "manager_b": {"learner_b1"},
    "admin_b": {"learner_b1"},
}

# every route of the app, by kind of access rule
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/setup"), ("POST", "/setup"), ("POST", "/logout"),
          ("POST", "/api/auth/login"), ("POST", "/api/auth/logout"), ("GET", "/healthz")}
SIGNED_IN = {("GET", "/"), ("GET", "/history"), ("GET", "/progress"), ("GET", "/lines"), ("POST", "/lines"),
             ("POST", "/lines/{line_id}/delete"), ("POST", "/reps"), ("GET", "/api/me"), ("GET", "/api/reps"),
             ("POST", "/api/reps"), ("POST", "/logout-all"), ("POST", "/api/auth/logout-all"),
             ("GET", "/account/sessions")}
REP_VISIBLE = {("GET", "/reps/{rep_id}"), ("GET", "/reps/{rep_id}/scorecard"), ("GET", "/api/reps/{rep_id}")}
REP_OWNER = {("POST", "/reps/{rep_id}/turns"), ("GET", "/reps/{rep_id}/reply"), ("POST", "/reps/{rep_id}/end"),
             ("POST", "/reps/{rep_id}/score"), ("POST", "/reps/{rep_id}/branch"), ("POST", "/reps/{rep_id}/privacy"),
             ("POST", "/api/reps/{rep_id}/turns"), ("POST", "/api/reps/{rep_id}/end")}
MANAGER = {("GET", "/team"), ("GET", "/team/learners/{user_id}")}
ADMIN = {("GET", "/admin/content"), ("GET", "/admin/content/edit"), ("POST", "/admin/content/validate"),
         ("POST", "/admin/content/publish"), ("GET", "/admin/users"), ("POST", "/admin/users"),
         ("POST", "/admin/teams"), ("POST", "/admin/users/{user_id}/password"), ("POST", "/admin/users/{user_id}/role"),
         ("POST", "/admin/users/{user_id}/active"), ("POST", "/admin/users/{user_id}/teams")}


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {role: login(world.app, role) for role in ROLES}


def _app_routes(world: World) -> set[tuple[str, str]]:
    """Every (method, path) of the app, also inside included routers: FastAPI versions that wrap them keep
    their routes in ``original_router`` (a top-level route such as /healthz must not hide those)."""
    from starlette.routing import BaseRoute

    out: set[tuple[str, str]] = set()

    def walk(routes: list[BaseRoute]) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(r, APIRoute):
                out.update((m, r.path) for m in r.methods - {"HEAD"})

    walk(list(world.app.routes))
    return out


def test_every_route_has_an_access_rule(world: World) -> None:
    classified = PUBLIC | SIGNED_IN | REP_VISIBLE | REP_OWNER | MANAGER | ADMIN
    routes = _app_routes(world)
    assert routes, "no routes found"
    assert routes - classified == set(), "routes without an access rule in this matrix"


def test_anonymous_is_sent_to_login_or_gets_401(world: World) -> None:
    anon = TestClient(world.app, follow_redirects=False)
    rep = world.reps["a1_public"]
    for method, path in sorted(SIGNED_IN | REP_VISIBLE | REP_OWNER | MANAGER | ADMIN):
        url = path.replace("{rep_id}", str(rep)).replace("{user_id}", "1").replace("{line_id}", "1")
        r = anon.request(method, url)
        if path.startswith("/api"):
            assert r.status_code == 401, (method, url, r.status_code)
        elif method == "GET":
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, url)
        else:
            assert r.status_code in (303, 403), (method, url, r.status_code)
            assert "Turn" not in r.text


@pytest.mark.parametrize("role", ROLES)
def test_rep_visibility_in_api_and_pages(world: World, clients: dict[str, TestClient], role: str) -> None:
    c = clients[role]
    listed = {r["id"]: r for r in c.get("/api/reps").json()}
    expected = {world.reps[k] for k, v in EXPECTED[role].items() if v}
    assert set(listed) == expected
    for key, access in EXPECTED[role].items():
        rep_id = world.reps[key]
        api = c.get(f"/api/reps/{rep_id}")
        page = c.get(f"/reps/{rep_id}/scorecard")
        practice = c.get(f"/reps/{rep_id}")
        transcript = LINES[0]
        if access is None:
            assert api.status_code == 404 and page.status_code == 404 and practice.status_code == 404, key
            assert transcript not in api.text + page.text + practice.text
            assert api.json() == {"detail": "no such rep"}
        elif access == "summary":
            body = api.json()
            assert api.status_code == 200 and body["summary_only"] is True and "turns" not in body
            assert "scorecard" not in body and "turn_count" not in body and body["overall"] is not None
            assert listed[rep_id]["summary_only"] is True
            assert page.status_code == 200 and transcript not in page.text and "marked this rep private" in page.text
            assert transcript not in api.text
        else:
            body = api.json()
            assert api.status_code == 200 and body["summary_only"] is False
            assert any(t["text"] == transcript for t in body["turns"])
            if key != "a2_open":
                assert body["scorecard"]["rubric"]["id"] and isinstance(body["scorecard"]["criteria"], list)
            assert page.status_code == 200 and transcript in page.text
        if access is not None and OWNER[key] != role:
            assert practice.status_code == 303 and practice.headers["location"].endswith("/scorecard")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_may_act_on_a_rep(world: World, clients: dict[str, TestClient], role: str) -> None:
    c = clients[role]
    token = c.headers["X-CSRF-Token"]
    for key in OWNER:
        if OWNER[key] == role:
            continue
        rep_id = world.reps[key]
        before = world.practice.get_rep(rep_id)
        calls = [
            c.post(f"/reps/{rep_id}/turns", json={"text": "hello there"}),
            c.get(f"/reps/{rep_id}/reply"),
            c.post(f"/reps/{rep_id}/end", data={"csrf_token": token}),
            c.post(f"/reps/{rep_id}/score", data={"csrf_token": token}),
            c.post(f"/reps/{rep_id}/branch", data={"csrf_token": token, "turn": "1"}),
            c.post(f"/reps/{rep_id}/privacy", data={"csrf_token": token, "private": "on"}),
            c.post("/lines", data={"csrf_token": token, "rep": str(rep_id), "turn": "1", "situation": "x"}),
            c.post(f"/api/reps/{rep_id}/turns", json={"text": "hello there"}),
            c.post(f"/api/reps/{rep_id}/end", json={}),
        ]
        assert [r.status_code for r in calls] == [404] * len(calls), (role, key)
        after = world.practice.get_rep(rep_id)
        assert after.model_dump() == before.model_dump(), f"{role} changed {key}"


@pytest.mark.parametrize("role", ROLES)
def test_role_pages(world: World, clients: dict[str, TestClient], role: str) -> None:
    c = clients[role]
    is_manager = role.startswith(("manager", "admin"))
    assert c.get("/team").status_code == (200 if is_manager else 403)
    for learner in ["learner_a1", "learner_a2", "learner_a3", "learner_b1"]:
        r = c.get(f"/team/learners/{world.users[learner]}")
        if not is_manager:
            assert r.status_code == 403
        else:
            assert r.status_code == (200 if learner in DRILL[role] else 404), (role, learner)
    for method, path in sorted(ADMIN):
        if "{user_id}" in path:
            continue
        if path == "/admin/content/validate":
            r = c.post(path, json={"text": "id: x"})
        elif method == "POST":
            r = c.post(path, data={"csrf_token": c.headers["X-CSRF-Token"]})
        else:
            r = c.get(path)
        if role.startswith("admin"):
            assert r.status_code in (200, 303, 400, 422), (role, method, path, r.status_code)
        else:
            assert r.status_code == 403, (role, method, path)


def test_team_dashboard_shows_only_own_teams(world: World, clients: dict[str, TestClient]) -> None:
    page = clients["manager_a"].get("/team").text
    assert "Learner_A1" in page and "Learner_A2" in page
    assert "Learner_A3" not in page and "Learner_B1" not in page
    admin_b = clients["admin_b"].get("/team").text
    assert "Learner_A1" not in admin_b and "Learner_B1" in admin_b


def test_admin_cannot_touch_another_organisations_people(world: World, clients: dict[str, TestClient]) -> None:
    c = clients["admin_b"]
    token = c.headers["X-CSRF-Token"]
    victim = world.users["learner_a1"]
    for path, data in [
        (f"/admin/users/{victim}/password", {"password": "hijacked-password"}),
        (f"/admin/users/{victim}/role", {"role": "admin"}),
        (f"/admin/users/{victim}/active", {}),
        (f"/admin/users/{victim}/teams", {"team": "1", "member": "on"}),
    ]:
        r = c.post(path, data={"csrf_token": token, **data})
        assert r.status_code == 303
        assert "sparring_flash" in r.headers.get("set-cookie", "") and "error" in r.headers["set-cookie"]
    login(world.app, "learner_a1")  # still logs in with the old password: nothing changed
    from sparring.services.accounts import Accounts

    user = Accounts(world.database).get_user(victim)
    assert user.role == "learner" and user.is_active
    assert "learner_a1@acme.test" not in c.get("/admin/users").text
