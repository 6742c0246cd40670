"""The product's pages and their effects: retry from a turn, privacy, winning lines, progress, dashboards,
the content editor, people admin, first-run set-up, and the API contract."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from sparring.settings import Settings
from sparring.store.db import get_database
from sparring.testing.web import LINES, PASSWORD, SCENARIO, World, csrf_of, login, sse_events
from sparring.web.app import create_app


def _new_rep(c: TestClient) -> int:
    r = c.post("/reps", data={"csrf_token": c.headers["X-CSRF-Token"], "scenario": SCENARIO, "difficulty": "easy"})
    assert r.status_code == 303
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_retry_from_a_turn_branches_a_new_rep(world: World) -> None:
    c = login(world.app, "learner_a1")
    rep = world.reps["a1_public"]
    card = c.get(f"/reps/{rep}/scorecard").text
    assert "Retry from here" in card
    r = c.post(f"/reps/{rep}/branch", data={"csrf_token": c.headers["X-CSRF-Token"], "turn": "3"})
    assert r.status_code == 303
    new_id = int(r.headers["location"].rsplit("/", 1)[1])
    branched = world.practice.get_rep(new_id)
    original = world.practice.get_rep(rep)
    assert branched.parent_rep_id == rep and branched.branched_from_turn == 3
    assert [t.text for t in branched.turns] == [t.text for t in original.turns[:3]]
    page = c.get(f"/reps/{new_id}")
    assert page.status_code == 200 and f"retry of rep {rep} from turn 3" in page.text
    events = sse_events(c.post(f"/reps/{new_id}/turns", json={"text": "What matters most to you in this?"}).text)
    assert events[-1][0] == "done"
    bad = c.post(f"/reps/{rep}/branch", data={"csrf_token": c.headers["X-CSRF-Token"], "turn": "2"})
    assert bad.status_code == 400


def test_marking_a_rep_private_hides_it_from_the_manager(world: World) -> None:
    learner, manager = login(world.app, "learner_a2"), login(world.app, "manager_a")
    rep = _new_rep(learner)
    learner.post(f"/reps/{rep}/turns", json={"text": LINES[0]})
    learner.post(f"/reps/{rep}/end", data={"csrf_token": learner.headers["X-CSRF-Token"]})
    assert LINES[0] in manager.get(f"/reps/{rep}/scorecard").text
    r = learner.post(f"/reps/{rep}/privacy", data={"csrf_token": learner.headers["X-CSRF-Token"], "private": "on"})
    assert r.status_code == 303
    body = manager.get(f"/api/reps/{rep}").json()
    assert body["summary_only"] and "turns" not in body
    assert LINES[0] not in manager.get(f"/reps/{rep}/scorecard").text
    learner.post(f"/reps/{rep}/privacy", data={"csrf_token": learner.headers["X-CSRF-Token"]})
    assert manager.get(f"/api/reps/{rep}").json()["summary_only"] is False


def test_winning_lines_save_search_delete(world: World) -> None:
    c = login(world.app, "learner_a1")
    token = c.headers["X-CSRF-Token"]
    rep = world.reps["a1_public"]
    r = c.post("/lines", data={"csrf_token": token, "rep": str(rep), "turn": "1", "situation": "opening question"})
    assert r.status_code == 303 and "ok" in r.headers["set-cookie"]
    persona_turn = c.post("/lines", data={"csrf_token": token, "rep": str(rep), "turn": "0", "situation": "x"})
    assert "error" in persona_turn.headers["set-cookie"]
    page = c.get("/lines", params={"q": "good outcome"}).text
    assert LINES[0] in page and "opening question" in page
    assert LINES[0] not in c.get("/lines", params={"q": "no such words"}).text
    assert LINES[0] not in login(world.app, "manager_a").get("/lines").text
    import re

    line_id = re.search(r'action="/lines/(\d+)/delete"', page)
    assert line_id
    assert login(world.app, "learner_a2").post(
        f"/lines/{line_id.group(1)}/delete", data={"csrf_token": login(world.app, "learner_a2").headers["X-CSRF-Token"]}
    ).status_code in (403, 404)
    assert c.post(f"/lines/{line_id.group(1)}/delete", data={"csrf_token": token}).status_code == 303
    after = c.get("/lines").text
    # gone from the saved lines (it may come back under "Suggested from your reps": the scorecard cites it)
    assert f'action="/lines/{line_id.group(1)}/delete"' not in after
    assert LINES[0] not in after.split("Suggested from your reps")[-1].split("</section>", 1)[-1]


def test_library_search_and_filters(world: World) -> None:
    c = login(world.app, "learner_a1")
    everything = c.get("/").text
    assert "cs-renewal-discount" in everything
    assert "cs-renewal-discount" not in c.get("/", params={"q": "zzzz-nothing"}).text
    assert "No scenario matches" in c.get("/", params={"q": "zzzz-nothing"}).text
    assert "cs-renewal-discount" in c.get("/", params={"domain": "customer-success"}).text
    assert 'value="cs-renewal-discount"' not in c.get("/", params={"domain": "management"}).text


def test_progress_and_history_pages(world: World) -> None:
    c = login(world.app, "learner_a1")
    progress = c.get("/progress")
    assert progress.status_code == 200 and "<svg" in progress.text and "weakest skill" in progress.text
    history = c.get("/history").text
    assert f'href="/reps/{world.reps["a1_public"]}/scorecard"' in history
    assert f'/reps/{world.reps["a3_west"]}/' not in history


def test_manager_dashboard_and_drill_down(world: World) -> None:
    m = login(world.app, "manager_a")
    page = m.get("/team").text
    assert "reps completed" in page and "Weakest skill" in page and "not practised" in page
    drill = m.get(f"/team/learners/{world.users['learner_a1']}")
    assert drill.status_code == 200 and "learner_a1@acme.test" in drill.text
    assert "Per skill over reps" in drill.text and ">#1<" not in drill.text  # reps by date (test_progress_pages.py)


def test_editor_validates_live_and_publishes_a_tested_rubric(world: World) -> None:
    admin = login(world.app, "admin_a")
    page = admin.get("/admin/content/edit", params={"kind": "rubric"})
    assert page.status_code == 200
    bad_yaml = "id: x\ntitle: Bad\ncriteria:\n  - id: a\n    name: Ab\n"
    bad = admin.post("/admin/content/validate", json={"text": bad_yaml})
    body = bad.json()
    assert body["ok"] is False
    assert any(p["field"].startswith("criteria[0]") and p["line"] >= 4 for p in body["problems"])
    unknown = admin.post("/admin/content/validate", json={"text": "just text"}).json()
    assert unknown["ok"] is False and unknown["problems"]
    rubric = admin.get("/admin/content/edit", params={"kind": "rubric", "id": "renewal-value"})
    assert rubric.status_code == 200 and "Valid rubric" in rubric.text
    no_csrf = TestClient(world.app)
    no_csrf.cookies.update(admin.cookies)
    assert no_csrf.post("/admin/content/validate", json={"text": "x"}).status_code == 403
    scenario = admin.get("/admin/content/edit", params={"kind": "scenario", "id": SCENARIO})
    assert scenario.status_code == 200 and "Valid scenario" in scenario.text
    r = admin.post("/admin/content/publish", data={"csrf_token": admin.headers["X-CSRF-Token"], "yaml": "id: x"})
    assert r.status_code == 400 and "fix the problems" in r.text
    assert admin.get("/admin/content/edit", params={"kind": "rubric", "id": "no-such"}).status_code == 404


def test_admin_creates_people_and_teams(world: World) -> None:
    admin = login(world.app, "admin_a")
    token = admin.headers["X-CSRF-Token"]
    r = admin.post("/admin/teams", data={"csrf_token": token, "name": "South"})
    assert r.status_code == 303 and "ok" in r.headers["set-cookie"]
    page = admin.get("/admin/users").text
    assert "South" in page
    r = admin.post("/admin/users", data={"csrf_token": token, "name": "New Person", "email": "new@acme.test",
                                         "role": "learner", "password": "short"})
    assert "error" in r.headers["set-cookie"]
    r = admin.post("/admin/users", data={"csrf_token": token, "name": "New Person", "email": "new@acme.test",
                                         "role": "learner", "password": PASSWORD})
    assert "ok" in r.headers["set-cookie"]
    assert TestClient(world.app).post("/api/auth/login",
                                      json={"email": "new@acme.test", "password": PASSWORD}).status_code == 200
    r = admin.post(f"/admin/users/{world.users['admin_a']}/role", data={"csrf_token": token, "role": "learner"})
    assert "error" in r.headers["set-cookie"]


def test_first_run_creates_the_admin(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    app = create_app(settings)
    c = TestClient(app, follow_redirects=False)
    assert c.get("/login").headers["location"] == "/setup"
    token = csrf_of(c.get("/setup").text)
    r = c.post("/setup", data={"csrf_token": token, "org": "Initech", "name": "Pat", "email": "pat@initech.test",
                               "password": "short"})
    assert r.status_code == 400 and "password" in r.text
    r = c.post("/setup", data={"csrf_token": token, "org": "Initech", "name": "Pat", "email": "pat@initech.test",
                               "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    assert c.get("/api/me").json()["role"] == "admin"
    other = TestClient(app, follow_redirects=False)
    token = csrf_of(other.get("/login").text)
    r = other.post("/setup", data={"csrf_token": token, "org": "Evil", "name": "X", "email": "x@evil.test",
                                   "password": PASSWORD})
    assert r.headers["location"] == "/login"
    get_database(settings.resolved_database_url).dispose()


def test_openapi_documents_the_contract(world: World) -> None:
    spec = TestClient(world.app).get("/api/openapi.json").json()
    paths = spec["paths"]
    assert "post" in paths["/api/auth/login"] and "get" in paths["/api/reps"] and "get" in paths["/api/reps/{rep_id}"]
    assert not any(p.startswith("/reps") or p.startswith("/admin") for p in paths)


def test_api_rep_has_the_scorecard_contract(world: World) -> None:
    body = login(world.app, "learner_a1").get(f"/api/reps/{world.reps['a1_public']}").json()
    card = body["scorecard"]
    for key in ("rubric", "engine", "overall", "passed", "blockers", "criteria", "metrics", "feedback"):
        assert key in card
    for crit in card["criteria"]:
        for key in ("id", "kind", "score", "max", "verdict", "evidence", "rationale"):
            assert key in crit
        for ev in crit["evidence"]:
            assert ev["quote"] in body["turns"][ev["turn"]]["text"]


def test_publishing_needs_passing_rubric_tests_and_old_reps_keep_their_version(world: World) -> None:
    admin = login(world.app, "admin_a")
    token = admin.headers["X-CSRF-Token"]
    page = admin.get("/admin/content/edit", params={"kind": "rubric", "id": "renewal-value"}).text
    import html
    import re

    m = re.search(r'<textarea id="yaml"[^>]*>(.*?)</textarea>', page, re.S)
    assert m
    source = html.unescape(m.group(1))
    old_version = world.practice.get_rep(world.reps["a1_public"]).rubric_version
    acme = world.practice.content_for(world.practice.get_rep(world.reps["a1_public"]).org_id)
    # flip every expected pass/fail: the tests must fail and nothing is published
    broken = re.sub(r"passed: (true|false)", lambda m: "passed: " + ("false" if m.group(1) == "true" else "true"),
                    source)
    assert broken != source
    r = admin.post("/admin/content/publish", data={"csrf_token": token, "yaml": broken})
    assert r.status_code == 400 and "rubric tests failed" in r.text
    assert acme.get_rubric("renewal-value").version == old_version
    renamed = source.replace("title:", "title: Edited —", 1)
    r = admin.post("/admin/content/publish", data={"csrf_token": token, "yaml": renamed})
    assert r.status_code == 303, r.text[-800:]
    current = acme.get_rubric("renewal-value")
    assert current.version != old_version and current.title.startswith("Edited")
    assert world.practice.get_rep(world.reps["a1_public"]).rubric_version == old_version
    learner = login(world.app, "learner_a1")
    new_rep = _new_rep(learner)
    assert world.practice.get_rep(new_rep).rubric_version == current.version


def test_new_scenario_starts_from_a_valid_template(world: World) -> None:
    admin = login(world.app, "admin_a")
    page = admin.get("/admin/content/edit", params={"kind": "scenario"})
    assert page.status_code == 200 and "id: new-" in page.text and "Valid scenario" in page.text
    assert admin.get("/admin/content/edit", params={"kind": "other"}).status_code == 404


def test_practise_through_the_json_api(world: World) -> None:
    c = login(world.app, "learner_a3")
    started = c.post("/api/reps", json={"scenario": SCENARIO, "difficulty": "easy"})
    assert started.status_code == 201
    rep = started.json()
    assert rep["outcome"] == "in_progress" and rep["turns"][0]["role"] == "counterpart"
    turn = c.post(f"/api/reps/{rep['id']}/turns", json={"text": LINES[0]})
    assert turn.status_code == 200
    body = turn.json()
    assert body["learner_turn"]["text"] == LINES[0] and body["reply"]["role"] == "counterpart"
    no_csrf = TestClient(world.app)
    no_csrf.cookies.update(c.cookies)
    assert no_csrf.post(f"/api/reps/{rep['id']}/turns", json={"text": "x"}).status_code == 403
    form = c.post(f"/api/reps/{rep['id']}/turns", data={"text": "x"})
    assert form.status_code in (415, 422)
    ended = c.post(f"/api/reps/{rep['id']}/end", json={})
    assert ended.status_code == 200
    card = ended.json()["scorecard"]
    assert card is not None and card["rubric"]["id"] and ended.json()["outcome"] == "incomplete"
    assert c.post(f"/api/reps/{rep['id']}/turns", json={"text": "more"}).status_code == 409
    assert c.post("/api/reps", json={"scenario": "nope"}).status_code == 404
    assert c.post("/api/reps", json={"scenario": SCENARIO, "difficulty": "extreme"}).status_code == 422
