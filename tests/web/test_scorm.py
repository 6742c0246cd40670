"""The SCORM launch (docs/integrations.md, "SCORM"): ``/scorm/start`` signs in first, refuses an origin outside
``SPARRING_SCORM_ORIGINS``, starts a rep and scopes the origin cookie to it; the rep's scorecard page then carries
the score for ``static/scorm-report.js``, and says so when the origin is no longer allowed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.testing.web import LINES, SCENARIO, World, build_world, csrf_of, login
from sparring.web.app import create_app

LMS = "https://lms.example.com"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data: Path = tmp_path_factory.mktemp("scorm-web")
    settings = Settings(data_dir=data, scorm_origins=f"{LMS}, http://127.0.0.1:9")
    app = create_app(settings, warm_up=False)
    yield build_world(app, get_database(settings.resolved_database_url))
    forget_databases()


def _start(client, origin: str = LMS, scenario: str = SCENARIO, difficulty: str = "easy"):  # type: ignore[no-untyped-def]
    """The launch as the package's window does it: the page (a GET starts nothing), then its Start button."""
    page = client.get("/scorm/start", params={"scenario": scenario, "difficulty": difficulty, "origin": origin})
    if page.status_code != 200:
        return page
    return client.post("/scorm/start", data={"scenario": scenario, "difficulty": difficulty, "origin": origin,
                                             "csrf_token": csrf_of(page.text)}, follow_redirects=False)


def _play_to_the_end(world: World, rep_id: int) -> None:
    for line in LINES:
        if world.practice.submit_turn(rep_id, line).ended:
            break
    world.practice.end_rep(rep_id)
    world.practice.score_rep(rep_id)


def test_signs_in_first_and_comes_back(world: World) -> None:
    from fastapi.testclient import TestClient

    r = _start(TestClient(world.app, follow_redirects=False))
    assert r.status_code == 303
    target = unquote(r.headers["location"].removeprefix("/login?next="))
    assert target.startswith("/scorm/start?") and f"scenario={SCENARIO}" in target and "origin=" in target


def test_the_page_starts_nothing_and_the_start_needs_the_csrf_token(world: World) -> None:
    c = login(world.app, "learner_a2")
    before = len(c.get("/api/reps").json())
    page = c.get("/scorm/start", params={"scenario": SCENARIO, "difficulty": "easy", "origin": LMS})
    assert page.status_code == 200 and 'id="scorm-start"' in page.text and LMS in page.text
    header = c.headers.pop("X-CSRF-Token")  # another site's form: the session cookie, no token
    forged = c.post("/scorm/start", data={"scenario": SCENARIO, "difficulty": "easy", "origin": LMS},
                    follow_redirects=False)
    c.headers["X-CSRF-Token"] = header
    assert forged.status_code == 403
    assert len(c.get("/api/reps").json()) == before  # neither the page nor the forged post started a rep
    r = c.post("/scorm/start", data={"scenario": SCENARIO, "difficulty": "easy", "origin": "https://evil.example.net",
                                     "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 403 and "SPARRING_SCORM_ORIGINS" in r.text  # the post checks the origin again
    assert len(c.get("/api/reps").json()) == before


def test_refuses_an_origin_outside_the_allow_list(world: World) -> None:
    c = login(world.app, "learner_a2")
    before = len(c.get("/api/reps").json())
    r = _start(c, origin="https://evil.example.net")
    assert r.status_code == 403
    assert "https://evil.example.net" in r.text and "SPARRING_SCORM_ORIGINS" in r.text
    for bad in ("", "javascript:alert(1)"):
        r = _start(c, origin=bad)
        assert r.status_code == 400 and "origin" in r.text
    assert _start(c, difficulty="extreme").status_code == 400
    r = _start(c, scenario="no-such-scenario")
    assert r.status_code == 404 and "no-such-scenario" in r.text
    assert len(c.get("/api/reps").json()) == before  # nothing was started


def test_start_scorecard_and_the_score_for_the_opener(world: World) -> None:
    c = login(world.app, "learner_a1")
    r = _start(c, origin=LMS + "/")  # a trailing slash is the same origin
    assert r.status_code == 303
    rep_id = int(re.fullmatch(r"/reps/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    cookie = r.headers["set-cookie"]
    assert f"sparring_scorm={LMS}" in cookie or f'sparring_scorm="{LMS}"' in cookie
    assert f"Path=/reps/{rep_id}" in cookie and "HttpOnly" in cookie
    assert c.get(f"/reps/{rep_id}").status_code == 200  # the practice page of the new rep
    _play_to_the_end(world, rep_id)
    page = c.get(f"/reps/{rep_id}/scorecard")
    assert page.status_code == 200
    card = c.get(f"/api/reps/{rep_id}").json()["scorecard"]
    overall, passed = card["overall"], card["passed"]
    assert "/static/scorm-report.js" in page.text
    assert f'data-origin="{LMS}"' in page.text and f'data-rep="{rep_id}"' in page.text
    assert f'data-score="{overall}"' in page.text
    assert f'data-passed="{"true" if passed else "false"}"' in page.text
    assert f'data-scenario="{SCENARIO}"' in page.text
    # the cookie is scoped to that rep: another rep's scorecard does not report anything
    other = world.reps["a1_public"]
    assert "scorm-report" not in c.get(f"/reps/{other}/scorecard").text
    # a manager opening the same scorecard with such a cookie sends nothing (only the learner's own rep reports)
    m = login(world.app, "manager_a")
    m.cookies.set("sparring_scorm", LMS, path=f"/reps/{rep_id}")
    assert "scorm-report" not in m.get(f"/reps/{rep_id}/scorecard").text


def test_an_origin_no_longer_allowed_is_refused_on_the_scorecard(world: World) -> None:
    c = login(world.app, "learner_a1")
    rep_id = world.reps["a1_public"]
    c.cookies.set("sparring_scorm", "https://removed.example.org", path=f"/reps/{rep_id}")
    page = c.get(f"/reps/{rep_id}/scorecard").text
    assert "scorm-report.js" not in page and 'id="scorm-report"' not in page
    assert "https://removed.example.org" in page and "SPARRING_SCORM_ORIGINS" in page
