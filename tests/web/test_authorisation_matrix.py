"""Every route × every role × the other organisation: allowed or denied, and nothing leaks when denied.

The route list is read from the app itself: a new route that this matrix does not classify fails the test,
so no page can ship without an access decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from sparring.settings import Settings
from sparring.store.db import get_database
from sparring.testing.web import LINES, World, build_world, login
from sparring.web.app import create_app

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
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/login/code"), ("GET", "/setup"), ("POST", "/setup"),
          ("POST", "/logout"), ("POST", "/api/auth/login"), ("POST", "/api/auth/logout"), ("GET", "/healthz"),
          ("GET", "/.well-known/security.txt"), ("GET", "/api/docs"), ("GET", "/favicon.ico"),
          # the LTI 1.3 tool (docs/lti.md): the platform's login initiation and launch (protected by the signed
          # id_token, the single-use state and the nonce, not a session) and the tool's public keys
          ("GET", "/lti/login"), ("POST", "/lti/login"), ("POST", "/lti/launch"), ("GET", "/lti/jwks"),
          # single sign-on (docs/sso.md): finding the IdP, going there, its answer (checked against the pending
          # sign-in and this browser's state cookie)
          ("POST", "/login/sso"), ("GET", "/login/sso/{org_slug}"), ("GET", "/sso/{provider_id}/start"),
          ("GET", "/sso/oidc/{provider_id}/callback"), ("GET", "/sso/saml/{provider_id}/metadata"),
          ("POST", "/sso/saml/{provider_id}/acs")}
SIGNED_IN = {("GET", "/"), ("GET", "/history"), ("GET", "/progress"), ("GET", "/lines"), ("POST", "/lines"),
             ("POST", "/lines/{line_id}/delete"), ("POST", "/reps"), ("GET", "/api/me"), ("GET", "/api/reps"),
             ("POST", "/api/reps"), ("POST", "/logout-all"), ("POST", "/api/auth/logout-all"),
             ("GET", "/account/sessions"), ("GET", "/account"), ("POST", "/account/totp/begin"),
             ("POST", "/account/totp/confirm"), ("POST", "/account/totp/disable"),
             ("POST", "/account/totp/recovery-codes"), ("GET", "/assignments"),
             ("POST", "/assignments/{assignee_id}/submit"), ("POST", "/conversations/{conversation_id}/comments"),
             ("GET", "/notifications"), ("POST", "/notifications/{notification_id}/open"),
             ("POST", "/notifications/read"), ("GET", "/calls"), ("GET", "/calls/upload"), ("POST", "/calls/upload"),
             ("GET", "/api/calls"), ("POST", "/api/calls"), ("GET", "/lines/review"),
             ("POST", "/lines/{line_id}/review"), ("POST", "/lines/team/{line_id}/keep"),
             ("POST", "/programs/{program_id}/certification/attempt"),
             # the read API (docs/api.md): content for everyone; assignments and programs as the caller sees them
             ("GET", "/api/scenarios"), ("GET", "/api/scenarios/{scenario_id}"), ("GET", "/api/rubrics"),
             ("GET", "/api/rubrics/{rubric_id}"), ("GET", "/api/progress"), ("GET", "/api/assignments"),
             ("GET", "/api/assignments/{assignment_id}"), ("GET", "/api/programs"),
             ("GET", "/api/programs/{program_id}"),
             # a SCORM package's launch (docs/integrations.md, "SCORM"): the page, then its Start button starts a
             # rep for the signed-in caller
             ("GET", "/scorm/start"), ("POST", "/scorm/start"),
             # an LTI deep-linking request: only the person whose launch it was (404 for anyone else)
             ("GET", "/lti/deep-link/{launch_id}"), ("POST", "/lti/deep-link/{launch_id}")}
#: a person (or team) of the caller's organisation whom the team pages would show them: 404 otherwise
PERSON_VISIBLE = {("GET", "/api/users/{user_id}"), ("GET", "/api/users/{user_id}/progress"),
                  ("GET", "/api/teams/{team_id}")}
#: a stored call: whoever may see its owner's conversations; an upload: whoever may see the rep it is for
CALL_VISIBLE = {("GET", "/calls/{conversation_id}"), ("GET", "/api/calls/{conversation_id}"),
                ("GET", "/calls/uploads"), ("GET", "/api/calls/uploads/{job_id}")}
REP_VISIBLE = {("GET", "/reps/{rep_id}"), ("GET", "/reps/{rep_id}/scorecard"), ("GET", "/api/reps/{rep_id}")}
REP_OWNER = {("POST", "/reps/{rep_id}/turns"), ("POST", "/reps/{rep_id}/reply"), ("POST", "/reps/{rep_id}/end"),
             ("POST", "/reps/{rep_id}/score"), ("POST", "/reps/{rep_id}/branch"), ("POST", "/reps/{rep_id}/privacy"),
             ("POST", "/api/reps/{rep_id}/turns"), ("POST", "/api/reps/{rep_id}/end"),
             ("POST", "/api/reps/{rep_id}/speech"), ("GET", "/api/reps/{rep_id}/delivery"),
             ("DELETE", "/api/reps/{rep_id}/speech/{speech_id}"), ("GET", "/api/reps/{rep_id}/turns/{index}/audio")}
MANAGER = {("GET", "/team"), ("GET", "/team/learners/{user_id}"), ("GET", "/team/assignments"),
           ("GET", "/team/insights"), ("POST", "/team/assignments"), ("GET", "/team/assignments/{assignment_id}"),
           ("POST", "/team/assignments/{assignment_id}/review"),
           ("POST", "/calls/{conversation_id}/moments/{start_turn}/drill"),
           ("GET", "/programs"), ("GET", "/programs/new"), ("POST", "/programs"), ("GET", "/programs/{program_id}"),
           ("POST", "/programs/{program_id}/enrol"), ("POST", "/programs/{program_id}/archive"), ("GET", "/exports"),
           ("POST", "/programs/{program_id}/report"), ("GET", "/programs/{program_id}/report/{job_id}"),
           ("GET", "/exports/{kind}.csv"), ("GET", "/team/lines"), ("POST", "/team/lines"),
           ("POST", "/team/lines/{line_id}/delete"), ("POST", "/programs/{program_id}/certification"),
           ("POST", "/programs/{program_id}/certification/sign-off"),
           ("POST", "/programs/{program_id}/certification/revoke"), ("POST", "/programs/{program_id}/edit"),
           ("POST", "/programs/{program_id}/unenrol"), ("GET", "/api/users"), ("GET", "/api/teams"),
           ("GET", "/api/programs/{program_id}/progress")}
ADMIN = {("GET", "/admin/content"), ("GET", "/admin/content/edit"), ("POST", "/admin/content/validate"),
         ("POST", "/admin/content/form"), ("POST", "/admin/content/preview"),
         ("POST", "/admin/content/publish"), ("GET", "/admin/users"), ("POST", "/admin/users"),
         ("POST", "/admin/teams"), ("POST", "/admin/users/{user_id}/password"), ("POST", "/admin/users/{user_id}/role"),
         ("POST", "/admin/users/{user_id}/active"), ("POST", "/admin/users/{user_id}/teams"), ("GET", "/admin/jobs"),
         ("POST", "/admin/jobs/retry"), ("POST", "/admin/jobs/rescore"), ("GET", "/admin/users/{user_id}/erase"),
         ("POST", "/admin/users/{user_id}/erase"),
         ("GET", "/admin/webhooks"),
         ("POST", "/admin/webhooks"), ("GET", "/admin/webhooks/{endpoint_id}"),
         ("POST", "/admin/webhooks/{endpoint_id}"),
         ("POST", "/admin/webhooks/{endpoint_id}/delete"), ("POST", "/admin/webhooks/{endpoint_id}/secret"),
         ("POST", "/admin/webhooks/{endpoint_id}/test"),
         ("POST", "/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"),
         # single sign-on (docs/sso.md): the organisation's identity providers and password switch
         ("GET", "/admin/sso"), ("POST", "/admin/sso"), ("POST", "/admin/sso/password-login"),
         ("GET", "/admin/sso/{provider_id}"), ("POST", "/admin/sso/{provider_id}"),
         ("POST", "/admin/sso/{provider_id}/delete"),
         ("GET", "/admin/tokens"), ("POST", "/admin/tokens"), ("POST", "/admin/tokens/{token_id}/revoke"),
         ("GET", "/admin/xapi"), ("POST", "/admin/xapi/retry"), ("GET", "/admin/integrations"),
         ("GET", "/admin/integrations/scorm"), ("GET", "/admin/audit"), ("GET", "/admin/audit.csv"),
         ("POST", "/admin/integrations/org-export"), ("GET", "/admin/integrations/org-export/{job_id}"),
         # the Data tab (docs/data-ownership.md, "Retention"): the organisation's own retention
         ("GET", "/admin/data"), ("POST", "/admin/data/retention"),
         ("GET", "/admin/scim"), ("POST", "/admin/scim/tokens"), ("POST", "/admin/scim/tokens/{token_id}/revoke"),
         ("GET", "/admin/lti"), ("POST", "/admin/lti"), ("POST", "/admin/lti/keys/rotate"),
         ("GET", "/admin/lti/{registration_id}"), ("POST", "/admin/lti/{registration_id}"),
         ("POST", "/admin/lti/{registration_id}/delete"), ("POST", "/admin/lti/{registration_id}/roster")}
#: SCIM 2.0 (docs/scim.md): a SCIM token of the organisation only — never a session cookie, never an API token
SCIM_TOKEN = {("GET", "/scim/v2/ServiceProviderConfig"), ("GET", "/scim/v2/ResourceTypes"),
              ("GET", "/scim/v2/ResourceTypes/{name}"), ("GET", "/scim/v2/Schemas"),
              ("GET", "/scim/v2/Schemas/{schema_id}"), ("GET", "/scim/v2/Users"), ("POST", "/scim/v2/Users"),
              ("POST", "/scim/v2/Users/.search"), ("GET", "/scim/v2/Users/{user_id}"),
              ("PUT", "/scim/v2/Users/{user_id}"), ("PATCH", "/scim/v2/Users/{user_id}"),
              ("DELETE", "/scim/v2/Users/{user_id}"), ("GET", "/scim/v2/Groups"), ("POST", "/scim/v2/Groups"),
              ("POST", "/scim/v2/Groups/.search"), ("GET", "/scim/v2/Groups/{group_id}"),
              ("PUT", "/scim/v2/Groups/{group_id}"), ("PATCH", "/scim/v2/Groups/{group_id}"),
              ("DELETE", "/scim/v2/Groups/{group_id}"),
              *((method, "/scim/v2/{rest:path}") for method in ("GET", "POST", "PUT", "PATCH", "DELETE"))}


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
    classified = (PUBLIC | SIGNED_IN | REP_VISIBLE | REP_OWNER | MANAGER | ADMIN | CALL_VISIBLE | PERSON_VISIBLE
                  | SCIM_TOKEN)
    routes = _app_routes(world)
    assert routes, "no routes found"
    assert routes - classified == set(), "routes without an access rule in this matrix"


def test_anonymous_is_sent_to_login_or_gets_401(world: World) -> None:
    anon = TestClient(world.app, follow_redirects=False)
    rep = world.reps["a1_public"]
    for method, path in sorted(SIGNED_IN | REP_VISIBLE | REP_OWNER | MANAGER | ADMIN | CALL_VISIBLE | PERSON_VISIBLE):
        url = re.sub(r"\{[a-z_]+_id\}", "1", path.replace("{rep_id}", str(rep)))
        r = anon.request(method, url)
        if path.startswith("/api"):
            assert r.status_code == 401, (method, url, r.status_code)
        elif method == "GET":
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, url)
        else:
            assert r.status_code in (303, 403), (method, url, r.status_code)
            assert "Turn" not in r.text


def test_scim_opens_to_no_session_and_no_api_token(world: World, clients: dict[str, TestClient]) -> None:
    """Every SCIM route answers 401 (a SCIM error) to a signed-in session of any role and to an API token."""
    from sparring.testing.web import api_token, bearer

    callers = [TestClient(world.app), clients["admin_a"], clients["learner_a1"],
               bearer(world.app, api_token(world, "admin_a", name="not for SCIM"))]
    for method, path in sorted(SCIM_TOKEN):
        url = re.sub(r"\{[a-z_]+(:path)?\}", "1", path)
        for c in callers:
            r = c.request(method, url, json={})
            assert r.status_code == 401, (method, url, r.status_code)
            assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


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
            assert "learner_turns" not in body
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
            c.post(f"/reps/{rep_id}/reply"),
            c.post(f"/reps/{rep_id}/end", data={"csrf_token": token}),
            c.post(f"/reps/{rep_id}/score", data={"csrf_token": token}),
            c.post(f"/reps/{rep_id}/branch", data={"csrf_token": token, "turn": "1"}),
            c.post(f"/reps/{rep_id}/privacy", data={"csrf_token": token, "private": "on"}),
            c.post("/lines", data={"csrf_token": token, "rep": str(rep_id), "turn": "1", "situation": "x"}),
            c.post(f"/api/reps/{rep_id}/turns", json={"text": "hello there"}),
            c.post(f"/api/reps/{rep_id}/end", json={}),
            c.post(f"/api/reps/{rep_id}/speech", files={"audio": ("t.webm", b"not heard", "audio/webm")}),
            c.get(f"/api/reps/{rep_id}/delivery"),
            c.delete(f"/api/reps/{rep_id}/speech/1"),
            c.get(f"/api/reps/{rep_id}/turns/1/audio"),
        ]
        assert [r.status_code for r in calls] == [404] * len(calls), (role, key)
        after = world.practice.get_rep(rep_id)
        assert after.model_dump() == before.model_dump(), f"{role} changed {key}"


@pytest.mark.parametrize("role", ROLES)
def test_role_pages(world: World, clients: dict[str, TestClient], role: str) -> None:
    c = clients[role]
    is_manager = role.startswith(("manager", "admin"))
    assert c.get("/team").status_code == (200 if is_manager else 403)
    assert c.get("/team/insights").status_code == (200 if is_manager else 403)
    for learner in ["learner_a1", "learner_a2", "learner_a3", "learner_b1"]:
        r = c.get(f"/team/learners/{world.users[learner]}")
        if not is_manager:
            assert r.status_code == 403
        else:
            assert r.status_code == (200 if learner in DRILL[role] else 404), (role, learner)
    for method, path in sorted(ADMIN):
        if any(f"{{{p}}}" in path for p in ("user_id", "endpoint_id", "token_id", "job_id", "registration_id",
                                            "provider_id")):
            continue  # their own tests (e.g. tests/web/test_admin_sso.py for the SSO providers)
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


@pytest.mark.parametrize("role", ROLES)
def test_program_pages_are_for_leads_of_the_programs_organisation(world: World, clients: dict[str, TestClient],
                                                                  role: str) -> None:
    """A program of Acme's East team (made by the operator): leads of Acme open it, learners get 403, Globex 404."""
    from datetime import UTC, datetime, timedelta

    from sparring.services.content import ContentService
    from sparring.services.programs import ScenarioChoice, create_program, list_programs

    with world.database.session() as s:
        existing = [v for v in list_programs(s, None) if v.name == "Matrix sprint"]
        if existing:
            program_id = existing[0].id
        else:
            today = datetime.now(UTC).date()
            program_id = create_program(
                s, None, lambda org, sid: ContentService(world.database, org).get_scenario(sid),
                org_id=world_org(world, "learner_a1"), name="Matrix sprint", start_on=today,
                end_on=today + timedelta(days=13), target_min=4, scenarios=[ScenarioChoice(SCENARIO_ID)],
                teams=["East"]).id
    c = clients[role]
    lead = role.startswith(("manager", "admin"))
    same_org = ORG[role] == "a"
    for path in ("/programs", "/programs/new"):
        assert c.get(path).status_code == (200 if lead else 403), (role, path)
    page = c.get(f"/programs/{program_id}")
    assert page.status_code == (403 if not lead else 200 if same_org else 404), (role, page.status_code)
    enrol = c.post(f"/programs/{program_id}/enrol", data={"target": "team:East"})
    assert enrol.status_code == (403 if not lead else 303 if same_org else 404), (role, enrol.status_code)
    archive = c.post(f"/programs/{program_id}/archive", data={"undo": "1"})  # active stays active
    assert archive.status_code == (403 if not lead else 303 if same_org else 404), (role, archive.status_code)
    report = c.post(f"/programs/{program_id}/report", data={"format": "html"}, follow_redirects=False)
    assert report.status_code == (403 if not lead else 303 if same_org else 404), (role, report.status_code)
    if lead and same_org:  # queued, not yet written (no worker runs here): the page says so
        status = c.get(report.headers["location"])
        assert status.status_code == 200 and "being written" in status.text, (role, status.status_code)
    assert c.get(f"/programs/{program_id}/report/999999").status_code == (403 if not lead else 404), role
    certify = c.post(f"/programs/{program_id}/certification", data={
        "scenario": SCENARIO_ID, "difficulty": "hard", "attempts": "2", "bars": "next-step=met"})
    assert certify.status_code == (403 if not lead else 303 if same_org else 404), (role, certify.status_code)
    sign_off = c.post(f"/programs/{program_id}/certification/sign-off",  # nobody passed: said on the page
                      data={"user_id": str(world.users["learner_a1"])})
    assert sign_off.status_code == (403 if not lead else 303 if same_org else 404), (role, sign_off.status_code)
    revoke = c.post(f"/programs/{program_id}/certification/revoke",  # no certificate to revoke: said on the page
                    data={"user_id": str(world.users["learner_a1"]), "reason": "audit", "confirm": "yes"})
    assert revoke.status_code == (403 if not lead else 303 if same_org else 404), (role, revoke.status_code)
    created = c.post("/programs", data={"name": "x"})
    assert created.status_code == (400 if lead else 403), (role, created.status_code)
    if not same_org or not lead:
        assert "Matrix sprint" not in c.get("/programs").text


def world_org(world: World, key: str) -> int:
    from sparring.services.accounts import Accounts

    return Accounts(world.database).get_user(world.users[key]).org_id


SCENARIO_ID = "cs-renewal-discount"


@pytest.fixture(scope="module")
def stored_calls(world: World) -> dict[str, int]:
    """A call stored for the owner of each rep of the matrix (the private one private), so calls follow the same
    rules as reps: key -> conversation id."""
    from sparring.conversation.model import Conversation
    from sparring.services.conversation_store import store_call

    out = {}
    for key, owner in OWNER.items():
        call = Conversation(source="call", title=f"call {key}")
        call.add("Rep Person", "learner", f"Call line of {key}: what matters most to you?", 0.0, 4.0)
        call.add("Buyer", "counterpart", "Mostly the price, honestly.", 4.5, 7.0)
        out[key] = store_call(world.database, world.users[owner], call, private=key == "a1_private")
    return out


@pytest.mark.parametrize("role", ROLES)
def test_call_visibility_follows_the_rep_rules(world: World, clients: dict[str, TestClient], role: str,
                                               stored_calls: dict[str, int]) -> None:
    c = clients[role]
    listed = {item["id"]: item for item in c.get("/api/calls").json()}
    assert set(listed) == {stored_calls[k] for k, v in EXPECTED[role].items() if v}
    for key, access in EXPECTED[role].items():
        cid = stored_calls[key]
        api, page = c.get(f"/api/calls/{cid}"), c.get(f"/calls/{cid}")
        line = f"Call line of {key}"
        if access == "full":
            assert api.status_code == 200 and page.status_code == 200 and line in api.text and line in page.text
        elif access == "summary":  # someone else's private call: that it happened, no transcript
            assert api.status_code == 404 and page.status_code == 200 and "marked this call private" in page.text
            assert listed[cid]["summary_only"] is True and line not in page.text + api.text
        else:
            assert api.status_code == 404 and page.status_code == 404 and line not in api.text + page.text


def test_team_dashboard_shows_only_own_teams(world: World, clients: dict[str, TestClient]) -> None:
    page = clients["manager_a"].get("/team").text
    assert "Learner_A1" in page and "Learner_A2" in page
    assert "Learner_A3" not in page and "Learner_B1" not in page
    admin_b = clients["admin_b"].get("/team").text
    assert "Learner_A1" not in admin_b and "Learner_B1" in admin_b


def test_team_insights_only_for_own_teams(world: World, clients: dict[str, TestClient]) -> None:
    from sqlalchemy import select

    from sparring.store.models import TeamMember

    with world.database.read() as s:
        teams = {key: set(s.scalars(select(TeamMember.team_id).where(TeamMember.user_id == world.users[key])))
                 for key in ("manager_a", "manager_b")}
    assert teams["manager_a"] and teams["manager_b"]
    for team in teams["manager_a"]:
        assert clients["manager_a"].get("/team/insights", params={"team": team}).status_code == 200
        assert clients["admin_a"].get("/team/insights", params={"team": team}).status_code == 200
        for other in ("manager_b", "admin_b"):
            assert clients[other].get("/team/insights", params={"team": team}).status_code == 404
    for team in teams["manager_b"]:
        assert clients["manager_a"].get("/team/insights", params={"team": team}).status_code == 404
    assert clients["manager_a"].get("/team/insights", params={"days": 7}).status_code == 400
    assert clients["manager_a"].get("/team/insights", params={"days": 0}).status_code == 200


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


# --- content tenancy ---------------------------------------------------------------------------------------
# Two organisations each publish, through the editor, their own rubric, their own scenario scored with it and their
# own edit of the same built-in scenario (different titles). Every page of either organisation must then show its
# own content and nothing of the other's. The content world is separate from ``world`` above, so reps started here
# never change the rep matrix.

EDITED_BUILTIN = "mgmt-coaching-1on1"
SCENARIO_BASE = "sales-guarded-discovery"


@dataclass(frozen=True)
class Tenant:
    org: str
    admin: str
    learner: str
    manager: str
    scenario_id: str
    scenario_title: str
    persona: str
    summary_word: str
    edit_title: str
    rubric_id: str
    rubric_title: str
    criterion: str

    def marks(self) -> list[str]:
        """Strings only this organisation's content contains: none may reach the other organisation."""
        return [self.scenario_id, self.scenario_title, self.persona, self.summary_word, self.edit_title,
                self.rubric_id, self.rubric_title, self.criterion]


TENANTS = {
    "a": Tenant("a", "admin_a", "learner_a1", "manager_a", "acme-zircon-review", "Zircon account review",
                "Ambergris Quill", "Quillwort", "Coaching one to one, Marmalade edition", "acme-lantern",
                "Lantern listening rubric", "Asks lantern questions"),
    "b": Tenant("b", "admin_b", "learner_b1", "manager_b", "globex-basalt-review", "Basalt account review",
                "Obsidian Fern", "Tamarind", "Coaching one to one, Tangerine edition", "globex-pylon",
                "Pylon listening rubric", "Asks pylon questions"),
}
TWIN_ID, TWIN_TITLE = "globex-walrus-twin", "Walrus twin scenario"


def _other(org: str) -> Tenant:
    return TENANTS["b" if org == "a" else "a"]


def _library_file(name: str) -> str:
    from sparring.content.library import LIBRARY_DIR

    return (LIBRARY_DIR / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")


def _rubric_yaml(t: Tenant) -> str:
    from sparring.web.routes.admin import NEW_RUBRIC

    return (NEW_RUBRIC.replace("id: my-rubric", f"id: {t.rubric_id}")
            .replace("title: My rubric", f"title: {t.rubric_title}")
            .replace("name: Asks open questions", f"name: {t.criterion}"))


def _scenario_yaml(t: Tenant, rubric: str | None = None) -> str:
    text = _library_file(SCENARIO_BASE)
    text = re.sub(r"^id: .*$", f"id: {t.scenario_id}", text, count=1, flags=re.M)
    text = re.sub(r"^title: .*$", f"title: {t.scenario_title}", text, count=1, flags=re.M)
    text = re.sub(r"^summary: ", f"summary: {t.summary_word} ", text, count=1, flags=re.M)
    text = re.sub(r"^rubric: .*$", f"rubric: {rubric or t.rubric_id}", text, count=1, flags=re.M)
    return re.sub(r"^  name: .*$", f"  name: {t.persona}", text, count=1, flags=re.M)


def _edit_yaml(t: Tenant) -> str:
    return re.sub(r"^title: .*$", f"title: {t.edit_title}", _library_file(EDITED_BUILTIN), count=1, flags=re.M)


def _twin_yaml() -> str:
    text = re.sub(r"^id: .*$", f"id: {TWIN_ID}", _library_file(SCENARIO_BASE), count=1, flags=re.M)
    return re.sub(r"^title: .*$", f"title: {TWIN_TITLE}", text, count=1, flags=re.M)


def _publish(c: TestClient, text: str) -> Response:
    return c.post("/admin/content/publish", data={"csrf_token": c.headers["X-CSRF-Token"], "yaml": text})


@dataclass
class ContentWorld:
    world: World
    clients: dict[str, TestClient]


@pytest.fixture(scope="module")
def tenancy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContentWorld]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("tenancy-data"))
    w = build_world(create_app(settings), get_database(settings.resolved_database_url))
    clients = {role: login(w.app, role) for role in [*ROLES, "learner_a3"]}
    for t in TENANTS.values():
        admin = clients[t.admin]
        for text in (_rubric_yaml(t), _scenario_yaml(t), _edit_yaml(t)):
            r = _publish(admin, text)
            assert r.status_code == 303, r.text[-1500:]
    assert _publish(clients["admin_b"], _twin_yaml()).status_code == 303
    yield ContentWorld(w, clients)


def _absent(text: str, marks: list[str], where: str) -> None:
    leaked = [m for m in marks if m in text]
    assert not leaked, f"{where} shows another organisation's content: {leaked}"


@pytest.mark.parametrize("role", ROLES)
def test_library_and_search_show_only_the_viewers_organisation(tenancy: ContentWorld, role: str) -> None:
    c, mine, theirs = tenancy.clients[role], TENANTS[ORG[role]], _other(ORG[role])
    page = c.get("/").text
    assert mine.scenario_title in page and mine.edit_title in page
    _absent(page, [*theirs.marks(), TWIN_TITLE if ORG[role] == "a" else "\0"], f"{role} /")
    for word in (theirs.summary_word, theirs.persona.split()[0], theirs.scenario_title.split()[0], "Tangerine",
                 "Marmalade"):
        found = c.get("/", params={"q": word})
        assert found.status_code == 200
        if word in mine.edit_title:
            assert mine.edit_title in found.text
            continue
        assert "No scenario matches" in found.text, (role, word)
        _absent(found.text, [m for m in theirs.marks() if m != word], f"{role} /?q={word}")
    own = c.get("/", params={"q": mine.summary_word}).text
    assert mine.scenario_title in own and "No scenario matches" not in own


@pytest.mark.parametrize("org", ["a", "b"])
def test_admin_content_pages_see_only_their_organisation(tenancy: ContentWorld, org: str) -> None:
    mine, theirs = TENANTS[org], _other(org)
    c = tenancy.clients[mine.admin]
    index = c.get("/admin/content").text
    for mark in (mine.scenario_title, mine.scenario_id, mine.edit_title, mine.rubric_title, mine.rubric_id):
        assert mark in index
    _absent(index, theirs.marks(), f"{mine.admin} /admin/content")
    for kind, cid in (("scenario", theirs.scenario_id), ("rubric", theirs.rubric_id)):
        r = c.get("/admin/content/edit", params={"kind": kind, "id": cid})
        assert r.status_code == 404, (kind, cid)
        _absent(r.text, [m for m in theirs.marks() if m != cid], f"edit {cid}")
    # the built-in both organisations edited opens as this organisation's edit, with only its own history
    edit = c.get("/admin/content/edit", params={"kind": "scenario", "id": EDITED_BUILTIN}).text
    assert mine.edit_title in edit
    _absent(edit, theirs.marks(), f"{mine.admin} edit {EDITED_BUILTIN}")
    history = re.search(r"Published versions</h2>\s*<ul[^>]*>(.*?)</ul>", edit, re.S)
    assert history and history.group(1).count("<li>") == 1  # one version: its own
    assert mine.rubric_title in c.get("/admin/content/edit", params={"kind": "rubric", "id": mine.rubric_id}).text
    # a scenario may name its own organisation's rubric, not the other's (not even a byte copy of its scenario)
    for text in (_scenario_yaml(mine, rubric=theirs.rubric_id), _scenario_yaml(theirs)):
        body = c.post("/admin/content/validate", json={"text": text}).json()
        assert body["ok"] is False
        assert [p["message"] for p in body["problems"]] == [f"unknown rubric '{theirs.rubric_id}'"]
    assert c.post("/admin/content/validate", json={"text": _scenario_yaml(mine)}).json()["ok"] is True
    refused = _publish(c, _scenario_yaml(mine, rubric=theirs.rubric_id))
    assert refused.status_code == 400 and f"unknown rubric &#39;{theirs.rubric_id}&#39;" in refused.text
    _absent(refused.text, [theirs.rubric_title, theirs.scenario_title, theirs.edit_title], "refused publish")


def test_publishing_another_organisations_exact_yaml_stores_the_publishers_own_version(
    tenancy: ContentWorld,
) -> None:
    from sqlalchemy import select

    from sparring.store.models import ContentVersion

    acme = tenancy.clients["admin_a"]
    assert acme.get("/admin/content/edit", params={"kind": "scenario", "id": TWIN_ID}).status_code == 404
    r = _publish(acme, _twin_yaml())  # byte-identical to Globex's published version
    assert r.status_code == 303 and r.headers["location"] == f"/admin/content/edit?kind=scenario&id={TWIN_ID}"
    _absent(r.text + r.headers.get("set-cookie", ""), ["Globex", "globex.test", "already"], "publish response")
    with tenancy.world.database.read() as s:
        rows = s.execute(select(ContentVersion.org_id, ContentVersion.version)
                         .where(ContentVersion.content_id == TWIN_ID)).all()
    orgs = {u: tenancy.world.practice.get_rep(rep).org_id for u, rep in (("a", tenancy.world.reps["a1_public"]),
                                                                         ("b", tenancy.world.reps["b1"]))}
    assert sorted(o for o, _ in rows) == sorted([orgs["a"], orgs["b"]]) and len({v for _, v in rows}) == 1
    assert TWIN_TITLE in tenancy.clients["learner_a1"].get("/").text  # Acme's own version now
    page = acme.get("/admin/content/edit", params={"kind": "scenario", "id": TWIN_ID}).text
    assert page.count(rows[0].version[:10]) >= 1
    assert _publish(acme, _twin_yaml()).status_code == 303  # publishing it again stores nothing new
    with tenancy.world.database.read() as s:
        assert len(s.scalars(select(ContentVersion.id).where(ContentVersion.content_id == TWIN_ID)).all()) == 2


@pytest.mark.parametrize("role", ROLES)
def test_nobody_starts_a_rep_on_another_organisations_scenario(tenancy: ContentWorld, role: str) -> None:
    c, theirs = tenancy.clients[role], _other(ORG[role])
    token = c.headers["X-CSRF-Token"]
    before = len(tenancy.world.practice.list_reps(limit=500))
    page = c.post("/reps", data={"csrf_token": token, "scenario": theirs.scenario_id, "difficulty": "easy"})
    api = c.post("/api/reps", json={"scenario": theirs.scenario_id, "difficulty": "easy"})
    assert page.status_code == 404 and api.status_code == 404
    _absent(page.text + api.text, [m for m in theirs.marks() if m != theirs.scenario_id], f"{role} start")
    assert len(tenancy.world.practice.list_reps(limit=500)) == before


@pytest.mark.parametrize("org", ["a", "b"])
def test_reps_use_score_and_title_the_organisations_own_content(tenancy: ContentWorld, org: str) -> None:
    mine, theirs = TENANTS[org], _other(org)
    c = tenancy.clients[mine.learner]
    reps = {}
    for scenario in (mine.scenario_id, EDITED_BUILTIN):
        started = c.post("/api/reps", json={"scenario": scenario, "difficulty": "easy"})
        assert started.status_code == 201, started.text
        rep_id = started.json()["id"]
        said = c.post(f"/api/reps/{rep_id}/turns", json={"text": "What would a good outcome look like for you?"})
        assert said.status_code == 200
        ended = c.post(f"/api/reps/{rep_id}/end", json={})
        assert ended.status_code == 200, ended.text
        reps[scenario] = ended.json()
    own = reps[mine.scenario_id]
    # scored against the organisation's own rubric, at the version the rep pinned
    assert own["rubric"] == mine.rubric_id and own["scorecard"]["rubric"]["id"] == mine.rubric_id
    assert own["scorecard"]["rubric"]["version"] == own["rubric_version"]
    card = c.get(f"/reps/{own['id']}/scorecard").text
    assert mine.scenario_title in card and mine.criterion in card
    edited = c.get(f"/reps/{reps[EDITED_BUILTIN]['id']}/scorecard").text
    assert mine.edit_title in edited
    history = c.get("/history").text
    assert mine.edit_title in history and mine.scenario_title in history
    for page in (card, edited, history):
        _absent(page, theirs.marks(), f"{mine.learner} rep pages")
    for viewer in (mine.manager, mine.admin):
        team = tenancy.clients[viewer].get("/team").text
        assert mine.edit_title in team and mine.scenario_title in team, viewer
        _absent(team, theirs.marks(), f"{viewer} /team")
        manager_card = tenancy.clients[viewer].get(f"/reps/{own['id']}/scorecard").text
        assert mine.scenario_title in manager_card and mine.criterion in manager_card
    # the other organisation cannot open these reps, nor see their titles anywhere
    assert tenancy.clients[theirs.admin].get(f"/reps/{own['id']}/scorecard").status_code == 404
    _absent(tenancy.clients[theirs.admin].get("/team").text, mine.marks(), f"{theirs.admin} /team")


def test_web_code_reaches_content_only_through_the_viewers_scope() -> None:
    """Pages get content from ``web.content_scope.viewer_content`` (the viewer's organisation); building a
    ContentService, or using the practice service's installation-wide one, is how the cross-organisation leak of
    issue 10 happened."""
    import sparring.web

    root = Path(sparring.web.__file__).parent
    forbidden = re.compile(r"ContentService\s*[.(]|\.content\.(get_|list_|ids\(|versions\(|for_org\()|\.content_for\(")
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "content_scope.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if forbidden.search(line):
                offenders.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert offenders == []


#: whose reps each role's CSV export holds (a manager: their teams' learners; an admin: their organisation)
EXPORTED: dict[str, set[str] | None] = {
    "learner_a1": None, "learner_a2": None, "learner_b1": None,
    "manager_a": {"learner_a1", "learner_a2"},
    "admin_a": {"learner_a1", "learner_a2", "learner_a3"},
    "manager_b": {"learner_b1"}, "admin_b": {"learner_b1"},
}


@pytest.mark.parametrize("role", ROLES)
def test_exports_follow_the_rep_rules(world: World, clients: dict[str, TestClient], role: str) -> None:
    import csv
    import io

    c = clients[role]
    for kind in ("reps", "scorecards", "criterion_results"):
        r = c.get(f"/exports/{kind}.csv")
        if EXPORTED[role] is None:
            assert r.status_code == 403 and c.get("/exports").status_code == 403
            continue
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        owners = {row["user_email"].split("@")[0] for row in rows}
        # learner_a2's rep never ended, so it has no scorecard
        assert owners == EXPORTED[role] - (set() if kind == "reps" else {"learner_a2"}), (role, kind)
        private = str(world.reps["a1_private"])
        if kind == "criterion_results":  # someone else's private rep: no criterion detail
            assert private not in {row["rep_id"] for row in rows}
        elif role.endswith("_a"):
            assert private in {row["rep_id"] for row in rows}
    # a team or learner outside the viewer's reach is unknown, as if it did not exist
    if EXPORTED[role] is not None:
        assert c.get("/exports/reps.csv", params={"user": "learner_b1@globex.test"}).status_code == (
            200 if role.endswith("_b") else 404)
        assert c.get("/exports/reps.csv", params={"team": "West"}).status_code == (
            200 if role == "admin_a" else 404)


@pytest.mark.parametrize("role", ROLES)
def test_webhook_endpoints_are_for_the_admins_of_their_organisation(world: World, clients: dict[str, TestClient],
                                                                   role: str) -> None:
    """An endpoint of Acme (a URL nothing listens on; no job runs here): Acme's admin opens and acts on it, Globex's
    admin gets 404 or "no such webhook endpoint", everyone else 403 — and the endpoint is unchanged."""
    from sparring.services import webhooks as hooks
    from sparring.services.access import Viewer
    from sparring.store.integration_models import WebhookEndpointRow

    admin_a = Viewer(world.users["admin_a"], world_org(world, "admin_a"), "admin", "admin", "admin_a")
    with world.database.session() as s:
        mine = [e for e in hooks.list_endpoints(s, admin_a) if e.description == "Matrix hook"]
        endpoint_id = mine[0].id if mine else hooks.create_endpoint(
            s, admin_a, hooks.WebhookConfig().policy, "https://hooks.example.com/matrix", ["rep.scored"],
            "Matrix hook")
    c = clients[role]
    token = c.headers["X-CSRF-Token"]
    page = c.get(f"/admin/webhooks/{endpoint_id}")
    own_admin, other_admin = role == "admin_a", role == "admin_b"
    assert page.status_code == (200 if own_admin else 404 if other_admin else 403), (role, page.status_code)
    assert ("hooks.example.com/matrix" in page.text) == own_admin
    url = "https://hooks.example.com/matrix" if own_admin else "https://evil.example/"  # the own admin: a save
    for action in ("", "/test", "/secret"):
        r = c.post(f"/admin/webhooks/{endpoint_id}{action}",
                   data={"csrf_token": token, "url": url, "description": "Matrix hook", "event:rep.scored": "on"})
        assert r.status_code == (303 if role.startswith("admin") else 403), (role, action, r.status_code)
        if other_admin:
            assert "no such webhook endpoint" in unquote(r.headers.get("set-cookie", "")), action
    with world.database.read() as s:
        row = s.get(WebhookEndpointRow, endpoint_id)
        assert row is not None and row.url == "https://hooks.example.com/matrix" and row.org_id == admin_a.org_id


# --- the read API with sessions and API tokens --------------------------------------------------------------

READ_LISTS = ["/api/reps", "/api/calls", "/api/scenarios", "/api/rubrics", "/api/progress", "/api/assignments",
              "/api/programs", "/api/users", "/api/teams"]


@pytest.mark.parametrize("via", ["cookie", "token"])
@pytest.mark.parametrize("role", ROLES)
def test_read_api_never_shows_another_organisation(world: World, clients: dict[str, TestClient], role: str,
                                                   via: str) -> None:
    """Every list of the read API, with the caller's session or an API token of their account: nothing of the
    other organisation's people in any answer, and every one of their people, teams and reps is a 404."""
    from sparring.testing.web import api_token, bearer, email

    c = clients[role] if via == "cookie" else bearer(world.app, api_token(world, role, name=f"matrix {role}"))
    theirs = [k for k in [*ROLES, "learner_a3"] if ORG[k] != ORG[role]]
    lead = role.startswith(("manager", "admin"))
    for path in READ_LISTS:
        r = c.get(path)
        expected = 403 if path in ("/api/users", "/api/teams") and not lead else 200
        assert r.status_code == expected, (role, via, path, r.status_code)
        for key in theirs:
            assert email(key) not in r.text, (role, via, path, key)
    for key in theirs:
        uid = world.users[key]
        for path in (f"/api/users/{uid}", f"/api/users/{uid}/progress"):
            assert c.get(path).status_code == 404, (role, via, path)
    for rep_key, owner in OWNER.items():
        if ORG[owner] != ORG[role]:
            assert c.get(f"/api/reps/{world.reps[rep_key]}").status_code == 404, (role, via, rep_key)
    from sqlalchemy import select

    from sparring.store.models import Team

    with world.database.read() as s:
        team_ids = list(s.scalars(select(Team.id).where(Team.org_id == world_org(world, theirs[0]))))
    assert team_ids
    for team_id in team_ids:
        assert c.get(f"/api/teams/{team_id}").status_code == 404, (role, via, team_id)
