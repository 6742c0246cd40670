"""API tokens end to end (sparring.web.routes.admin_tokens and the Bearer check in sparring.web.deps): an admin
creates a token on the page and sees its secret once; the token authenticates API requests as its account (writes
without a CSRF token), never pages; revoked or expired it is a 401; a bad Authorization header is a 401 even
beside a valid cookie; other roles and other organisations cannot see or revoke tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sparring.store.api_token_models import ApiTokenRow
from sparring.testing.web import World, api_token, bearer, email, login

SECRET = re.compile(r'id="token-secret"[^>]*value="(spt_[A-Za-z0-9_-]+)"')


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {key: login(world.app, key) for key in ("admin_a", "manager_a", "learner_a1", "admin_b")}


def _create(c: TestClient, **fields: str) -> tuple[int, str]:
    r = c.post("/admin/tokens", data={"csrf_token": c.headers["X-CSRF-Token"], **fields})
    return r.status_code, r.text


def test_create_on_the_page_use_it_then_revoke_it(world: World, clients: dict[str, TestClient]) -> None:
    admin = clients["admin_a"]
    assert admin.get("/admin/tokens").status_code == 200
    status, page = _create(admin, name="LMS sync", role="learner", user=str(world.users["learner_a1"]),
                           expires=(datetime.now(UTC).date() + timedelta(days=30)).isoformat())
    assert status == 201, page[-1500:]
    found = SECRET.search(page)
    assert found, "the new token is shown on the answer"
    secret = found.group(1)
    listing = admin.get("/admin/tokens").text
    assert "LMS sync" in listing and secret not in listing and secret[:10] in listing  # shown once, then a prefix
    with world.database.read() as s:
        row = s.scalars(select(ApiTokenRow).where(ApiTokenRow.name == "LMS sync")).one()
        assert secret not in (row.token_hash, row.prefix) and row.user_id == world.users["learner_a1"]

    client = bearer(world.app, secret)
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["email"] == email("learner_a1") and me.json()["role"] == "learner"
    mine = client.get("/api/reps").json()
    assert {r["id"] for r in mine} == {world.reps["a1_public"], world.reps["a1_private"]}
    # a write needs no CSRF token with a bearer token (a cross-site page cannot add the header)
    started = client.post("/api/reps", json={"scenario": "cs-renewal-discount", "difficulty": "easy"})
    assert started.status_code == 201, started.text
    # the token opens no page: pages are for signed-in browsers
    assert client.get("/history").status_code == 303
    assert "never" not in admin.get("/admin/tokens").text.split("LMS sync")[1].split("</tr>")[0].split(
        "</td>")[6], "last use is shown"

    revoke = admin.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert revoke.status_code == 303 and revoke.headers["location"] == "/admin/tokens"
    refused = client.get("/api/me")
    assert refused.status_code == 401 and refused.json()["detail"] == "the API token is unknown, revoked or expired"
    assert "revoked" in admin.get("/admin/tokens").text


def test_expired_and_malformed_tokens_are_401_even_beside_a_cookie(world: World,
                                                                   clients: dict[str, TestClient]) -> None:
    secret = api_token(world, "learner_a1", name="short-lived")
    assert bearer(world.app, secret).get("/api/me").status_code == 200
    with world.database.session() as s:
        s.execute(update(ApiTokenRow).where(ApiTokenRow.name == "short-lived")
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert bearer(world.app, secret).get("/api/me").status_code == 401
    cookie = clients["learner_a1"]
    for header in (f"Bearer {secret}", "Bearer ", "Basic dXNlcjpwdw==", "Bearer spt_" + "x" * 300):
        r = cookie.get("/api/me", headers={"Authorization": header})
        assert r.status_code == 401, header
    assert cookie.get("/api/me").status_code == 200


def test_cookie_writes_still_need_the_csrf_token(world: World) -> None:
    c = login(world.app, "learner_a1")
    del c.headers["X-CSRF-Token"]
    assert c.post("/api/reps", json={"scenario": "cs-renewal-discount"}).status_code == 403


def test_form_errors_name_the_field(world: World, clients: dict[str, TestClient]) -> None:
    admin = clients["admin_a"]
    status, page = _create(admin, name="too much", role="admin", user=str(world.users["learner_a1"]))
    assert status == 400 and "role: admin is above the role of learner_a1@acme.test" in page
    assert not SECRET.search(page)
    status, page = _create(admin, name="", role="learner")
    assert status == 400 and "name: give the token a name" in page
    status, page = _create(admin, name="x", role="learner", expires="2001-01-01")
    assert status == 400 and "expires: the date has passed" in page
    status, page = _create(admin, name="x", role="learner", user=str(world.users["learner_b1"]))
    assert status == 400 and "user: no such account in your organisation" in page
    with world.database.read() as s:
        assert s.scalars(select(ApiTokenRow.id).where(ApiTokenRow.name.in_(["too much", "x"]))).all() == []


def test_only_admins_and_only_their_organisations_tokens(world: World, clients: dict[str, TestClient]) -> None:
    api_token(world, "manager_a", name="acme reporting")
    with world.database.read() as s:
        token_id = s.scalars(select(ApiTokenRow.id).where(ApiTokenRow.name == "acme reporting")).one()
    for key in ("manager_a", "learner_a1"):
        c = clients[key]
        assert c.get("/admin/tokens").status_code == 403
        assert _create(c, name="x", role="learner")[0] == 403
        r = c.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": c.headers["X-CSRF-Token"]})
        assert r.status_code == 403
    other = clients["admin_b"]
    assert "acme reporting" not in other.get("/admin/tokens").text
    assert email("learner_a1") not in other.get("/admin/tokens").text
    r = other.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": other.headers["X-CSRF-Token"]})
    assert r.status_code == 404
    with world.database.read() as s:
        assert s.scalars(select(ApiTokenRow.revoked_at).where(ApiTokenRow.id == token_id)).one() is None
    # a revoke without the right CSRF token is refused, and a token does not open the admin page
    admin = clients["admin_a"]
    assert admin.post(f"/admin/tokens/{token_id}/revoke", data={}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert bearer(world.app, api_token(world, "admin_a")).get("/admin/tokens").status_code == 303
