"""Sessions (signed cookies backed by server-side rows, flags, logout, sign out everywhere, expiry by password
reset, role change and deactivation) and CSRF on every state change."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparring.testing.web import PASSWORD, SCENARIO, World, csrf_of, email, login
from sparring.web.security import SESSION_COOKIE, SessionCodec


def test_login_sets_a_hardened_cookie_and_401_on_bad_credentials(world: World) -> None:
    c = TestClient(world.app, follow_redirects=False)
    bad = c.post("/api/auth/login", json={"email": email("learner_a1"), "password": "wrong password"})
    assert bad.status_code == 401 and SESSION_COOKIE not in bad.headers.get("set-cookie", "")
    unknown = c.post("/api/auth/login", json={"email": "nobody@acme.test", "password": PASSWORD})
    assert unknown.status_code == 401
    ok = c.post("/api/auth/login", json={"email": email("learner_a1").upper(), "password": PASSWORD})
    assert ok.status_code == 200
    cookie = ok.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE) and "httponly" in cookie and "samesite=lax" in cookie
    assert c.get("/api/me").json()["email"] == email("learner_a1")


def test_secure_flag_when_served_over_https(world: World) -> None:
    from sparring.settings import Settings
    from sparring.web.app import create_app

    assert world.database.engine.url.database
    app = create_app(Settings(data_dir=Path(world.database.engine.url.database).parent), secure_cookies=True)
    app.state.practice = world.practice
    r = TestClient(app).post("/api/auth/login", json={"email": email("learner_a1"), "password": PASSWORD})
    assert r.status_code == 200 and "secure" in r.headers["set-cookie"].lower()


def test_login_api_requires_json(world: World) -> None:
    c = TestClient(world.app)
    r = c.post("/api/auth/login", data={"email": email("learner_a1"), "password": PASSWORD})
    assert r.status_code in (415, 422)
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_tampered_or_foreign_cookie_is_not_a_session(world: World) -> None:
    c = login(world.app, "learner_a1")
    value = c.cookies.get(SESSION_COOKIE)
    assert value
    c.cookies.clear()
    c.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert c.get("/api/reps").status_code == 401
    # a live session's token, signed with a key the app does not know: still no session
    live = world.app.state.web.codec.read(value)
    assert live is not None
    forged = SessionCodec("another-secret").issue(live.token)
    c.cookies.clear()
    c.cookies.set(SESSION_COOKIE, forged)
    assert c.get("/api/reps").status_code == 401
    c.cookies.set(SESSION_COOKIE, value)
    assert c.get("/api/reps").status_code == 200


def test_logout_ends_the_session(world: World) -> None:
    c = login(world.app, "learner_a2")
    page = c.get("/history")
    r = c.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/api/reps").status_code == 401
    assert c.get("/history").status_code == 303


def test_password_reset_ends_existing_sessions(world: World) -> None:
    from sparring.services.accounts import Accounts

    accounts = Accounts(world.database)
    user = accounts.create_user("Acme", "temp@acme.test", PASSWORD, role="learner", team="East", name="Temp")
    victim = TestClient(world.app)
    assert victim.post("/api/auth/login", json={"email": "temp@acme.test", "password": PASSWORD}).status_code == 200
    assert victim.get("/api/reps").status_code == 200
    admin = login(world.app, "admin_a")
    r = admin.post(f"/admin/users/{user.id}/password",
                   data={"csrf_token": admin.headers["X-CSRF-Token"], "password": "a brand new password"})
    assert r.status_code == 303 and "ok" in r.headers["set-cookie"]
    assert victim.get("/api/reps").status_code == 401
    fresh = TestClient(world.app)
    assert fresh.post("/api/auth/login", json={"email": "temp@acme.test", "password": PASSWORD}).status_code == 401
    ok = fresh.post("/api/auth/login", json={"email": "temp@acme.test", "password": "a brand new password"})
    assert ok.status_code == 200
    # deactivation ends the session too
    admin.post(f"/admin/users/{user.id}/active", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert fresh.get("/api/reps").status_code == 401


def test_forms_without_a_valid_csrf_token_are_refused(world: World) -> None:
    c = login(world.app, "learner_a1")
    other = login(world.app, "learner_a2")
    del c.headers["X-CSRF-Token"]
    before = len(world.practice.list_reps(user_id=world.users["learner_a1"], limit=500))
    for token in (None, "", "forged", other.headers["X-CSRF-Token"]):
        data = {"scenario": SCENARIO, "difficulty": "easy"}
        if token is not None:
            data["csrf_token"] = token
        r = c.post("/reps", data=data)
        assert r.status_code == 403
    assert len(world.practice.list_reps(user_id=world.users["learner_a1"], limit=500)) == before
    rep = world.reps["a1_public"]
    assert c.post(f"/reps/{rep}/turns", json={"text": "hi"}).status_code == 403
    assert c.post(f"/reps/{rep}/privacy", data={"private": "on"}).status_code == 403
    assert c.post("/logout").status_code == 403
    assert c.get("/api/reps").status_code == 200  # still signed in


def test_login_form_needs_its_pre_session_token(world: World) -> None:
    c = TestClient(world.app, follow_redirects=False)
    page = c.get("/login")
    assert page.status_code == 200
    token = csrf_of(page.text)
    r = c.post("/login", data={"email": email("learner_a1"), "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    stranger = TestClient(world.app, follow_redirects=False)
    r = stranger.post("/login", data={"email": email("learner_a1"), "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 403


def test_login_redirect_is_local_only(world: World) -> None:
    c = TestClient(world.app, follow_redirects=False)
    token = csrf_of(c.get("/login").text)
    for target, expected in [("/history", "/history"), ("https://evil.example/", "/"), ("//evil.example", "/")]:
        c.cookies.pop(SESSION_COOKIE, None)
        r = c.post("/login", data={"email": email("learner_a1"), "password": PASSWORD, "csrf_token": token,
                                   "next": target})
        assert r.headers["location"] == expected
    bad = TestClient(world.app)
    token = csrf_of(bad.get("/login").text)
    r = bad.post("/login", data={"email": email("learner_a1"), "password": "nope", "csrf_token": token})
    assert r.status_code == 401 and "Wrong e-mail or password" in r.text


def test_security_headers(world: World) -> None:
    r = TestClient(world.app).get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_repeated_failed_logins_are_throttled(world: World) -> None:
    c = TestClient(world.app)
    target = "throttled@acme.test"
    from sparring.services.accounts import Accounts

    Accounts(world.database).create_user("Acme", target, PASSWORD, role="learner", name="Throttled")
    for _ in range(5):
        assert c.post("/api/auth/login", json={"email": target, "password": "guess"}).status_code == 401
    blocked = c.post("/api/auth/login", json={"email": target, "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    token = csrf_of(c.get("/login").text)
    page = c.post("/login", data={"email": target, "password": PASSWORD, "csrf_token": token})
    assert page.status_code == 429 and "Too many failed attempts" in page.text
    # other addresses are unaffected
    assert c.post("/api/auth/login", json={"email": email("learner_a2"), "password": PASSWORD}).status_code == 200


def test_guard_backoff_ends_after_its_wait(world: World) -> None:
    from sparring.services.login_guard import LoginGuard

    now = [1000.0]
    guard = LoginGuard(clock=lambda: now[0])
    for _ in range(5):
        assert guard.login(world.database, "Window@x.test", "wrong guess here", "10.0.0.1").outcome == "wrong"
    assert guard.wait_for(world.database, "window@x.test", "10.0.0.1") == (1, "pair")
    now[0] += 0.5
    assert 0 < guard.wait_for(world.database, "window@x.test", "10.0.0.1")[0] <= 0.5
    now[0] += 0.5
    assert guard.wait_for(world.database, "window@x.test", "10.0.0.1") == (0, None)


def test_the_turn_route_checks_the_user_on_every_turn(world: World) -> None:
    """POST /reps/{id}/turns checks the session's user in its worker thread (not in a dependency): a password
    reset or a deactivation still ends the session before the next line is saved."""
    from sparring.services.accounts import Accounts

    accounts = Accounts(world.database)
    user = accounts.create_user("Acme", "turns@acme.test", PASSWORD, role="learner", team="East", name="Tess")
    c = TestClient(world.app, follow_redirects=False)
    r = c.post("/api/auth/login", json={"email": "turns@acme.test", "password": PASSWORD})
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    rep = c.post("/api/reps", json={"scenario": SCENARIO}).json()["id"]
    assert c.post(f"/reps/{rep}/turns", json={"text": "What matters most to you here?"}).status_code == 200
    admin = login(world.app, "admin_a")
    admin.post(f"/admin/users/{user.id}/password",
               data={"csrf_token": admin.headers["X-CSRF-Token"], "password": "another new password"})
    refused = c.post(f"/reps/{rep}/turns", json={"text": "And what about the timing?"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    r = c.post("/api/auth/login", json={"email": "turns@acme.test", "password": "another new password"})
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    admin.post(f"/admin/users/{user.id}/active", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert c.post(f"/reps/{rep}/turns", json={"text": "And what about the timing?"}).status_code == 303
    assert [t.role for t in world.practice.get_rep(rep).turns] == ["counterpart", "learner", "counterpart"]
    # another learner's rep is "not found", whatever its owner's state
    other = login(world.app, "learner_a2")
    assert other.post(f"/reps/{rep}/turns", json={"text": "Hello?"}).status_code == 404


# --- server-side sessions: ending a session ends every copy of its cookie ---------------------------------


def _new_user(world: World, key: str, role: str = "learner") -> int:
    from sparring.services.accounts import Accounts

    return Accounts(world.database).create_user("Acme", f"{key}@acme.test", PASSWORD, role=role, team="East",
                                                name=key.title()).id


def _sign_in(world: World, key: str) -> TestClient:
    c = TestClient(world.app, follow_redirects=False)
    r = c.post("/api/auth/login", json={"email": f"{key}@acme.test", "password": PASSWORD})
    assert r.status_code == 200
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def _with_cookie(world: World, cookie: str) -> TestClient:
    """Another client (an attacker who copied the cookie, say) presenting a saved session cookie."""
    c = TestClient(world.app, follow_redirects=False)
    c.cookies.set(SESSION_COOKIE, cookie)
    return c


def _is_signed_out(c: TestClient, rep: int, csrf: str) -> bool:
    """Pages send to the login page and the API answers 401, and a turn is refused even with the CSRF token
    that went with the cookie (copied along with it)."""
    api, page = c.get("/api/reps"), c.get("/history")
    turn = c.post(f"/reps/{rep}/turns", json={"text": "Still there?"}, headers={"X-CSRF-Token": csrf})
    return (api.status_code == 401 and page.status_code == 303 and page.headers["location"].startswith("/login")
            and turn.status_code == 303 and turn.headers["location"].startswith("/login"))


@pytest.mark.parametrize("route", ["/logout", "/api/auth/logout"])
def test_a_cookie_saved_before_logout_is_refused_after(world: World, route: str) -> None:
    _new_user(world, f"saver{route.count('/')}")
    c = _sign_in(world, f"saver{route.count('/')}")
    saved = c.cookies.get(SESSION_COOKIE)
    assert saved and _with_cookie(world, saved).get("/api/me").status_code == 200
    rep = c.post("/api/reps", json={"scenario": SCENARIO}).json()["id"]
    csrf = c.headers["X-CSRF-Token"]
    if route == "/logout":
        r = c.post("/logout", data={"csrf_token": csrf_of(c.get("/history").text)})
        assert r.status_code == 303 and r.headers["location"] == "/login"
    else:
        assert c.post("/api/auth/logout").status_code == 204
    assert SESSION_COOKIE not in c.cookies
    copy = _with_cookie(world, saved)
    assert _is_signed_out(copy, rep, csrf)
    assert copy.get("/login").status_code == 200  # the login page no longer takes it for a session
    assert [t.role for t in world.practice.get_rep(rep).turns] == ["counterpart"]  # no line was saved


def test_logout_needs_the_sessions_csrf_token(world: World) -> None:
    _new_user(world, "nudged")
    c = _sign_in(world, "nudged")
    token = c.headers.pop("X-CSRF-Token")
    assert c.post("/api/auth/logout").status_code == 403  # another site cannot sign people out
    assert c.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert c.get("/api/me").status_code == 200
    assert c.post("/api/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    assert c.post("/api/auth/logout").status_code == 204  # no session left: nothing to protect


def test_sign_out_everywhere_from_the_sessions_page(world: World) -> None:
    _new_user(world, "roamer")
    laptop, phone, script = _sign_in(world, "roamer"), _sign_in(world, "roamer"), _sign_in(world, "roamer")
    bystander = login(world.app, "learner_a1")
    saved = laptop.cookies.get(SESSION_COOKIE)
    assert saved
    page = laptop.get("/account/sessions", headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"})
    assert page.status_code == 200 and "Your sessions" in page.text and "Sign out everywhere" in page.text
    assert page.text.count("<tr>") == 1 + 3 and page.text.count("this browser") == 1
    assert "60 minutes" in page.text and "12 hours" in page.text
    assert 'href="/account/sessions"' in laptop.get("/history").text  # linked from the account menu
    assert laptop.post("/logout-all", data={"csrf_token": "forged"}).status_code == 403
    assert phone.get("/api/me").status_code == 200
    r = laptop.post("/logout-all", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    for c in (laptop, phone, script, _with_cookie(world, saved)):
        assert c.get("/api/me").status_code == 401 and c.get("/account/sessions").status_code == 303
    assert bystander.get("/api/me").status_code == 200  # nobody else is signed out
    assert "signed out on every device" in laptop.get("/login").text


def test_sign_out_everywhere_through_the_api(world: World) -> None:
    _new_user(world, "scripted")
    first, second = _sign_in(world, "scripted"), _sign_in(world, "scripted")
    assert first.post("/api/auth/logout-all", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert second.get("/api/me").status_code == 200
    assert first.post("/api/auth/logout-all").status_code == 204
    assert first.get("/api/me").status_code == 401 and second.get("/api/me").status_code == 401
    assert TestClient(world.app).post("/api/auth/logout-all").status_code == 401


def test_a_role_change_ends_the_users_sessions(world: World) -> None:
    uid = _new_user(world, "promoted")
    c = _sign_in(world, "promoted")
    saved = c.cookies.get(SESSION_COOKIE)
    assert saved
    assert c.get("/team").status_code == 403
    admin = login(world.app, "admin_a")
    token = admin.headers["X-CSRF-Token"]
    assert admin.post(f"/admin/users/{uid}/role", data={"csrf_token": token, "role": "learner"}).status_code == 303
    assert c.get("/api/me").status_code == 200  # the same role: no change, the session stays
    assert admin.post(f"/admin/users/{uid}/role", data={"csrf_token": token, "role": "manager"}).status_code == 303
    assert c.get("/api/me").status_code == 401 and _with_cookie(world, saved).get("/api/me").status_code == 401
    again = _sign_in(world, "promoted")
    assert again.get("/api/me").json()["role"] == "manager" and again.get("/team").status_code == 200
    assert admin.get("/api/me").status_code == 200  # the acting admin stays signed in


def test_signing_in_again_ends_the_browsers_previous_session(world: World) -> None:
    _new_user(world, "switcher")
    c = _sign_in(world, "switcher")
    before = c.cookies.get(SESSION_COOKIE)
    assert before
    r = c.post("/api/auth/login", json={"email": email("learner_a2"), "password": PASSWORD})
    assert r.status_code == 200 and c.get("/api/me").json()["email"] == email("learner_a2")
    assert _with_cookie(world, before).get("/api/me").status_code == 401
