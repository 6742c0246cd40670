"""What a new user of ``sparring demo`` sees (docs/demo.md): the manager's calls list has the four demo calls, Ben's
first call shows its coaching loop closed by his next call, Chloe's shows the loop waiting, and Chloe's inbox has
the drill; the practice sprint's page shows each learner's reps and who is behind, Team → Insights its trends, and
the learners have it on their home page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparring.services.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.web.app import create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    data: Path = tmp_path_factory.mktemp("demo-web")
    settings = Settings(data_dir=data)
    database = get_database(settings.resolved_database_url)
    # the accounts of the calls, without the scripted practice reps (quicker), and six sprint reps each (the fewest
    # that put a learner in the trends), with Dev who has done none
    seed_demo(database, users=(DEMO_USERS[0], DEMO_USERS[1],
                               *(replace(u, reps=0, program_reps=6) for u in DEMO_USERS[2:5]), DEMO_USERS[5]))
    yield create_app(settings, warm_up=False)
    forget_databases()


def _login(app: object, email: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    r = c.post("/api/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return c


def test_the_manager_sees_the_demo_calls_and_both_loops(app: object) -> None:
    c = _login(app, "manager@northwind.example")
    calls = {row["title"]: row for row in c.get("/api/calls").json()}
    assert set(calls) == {"brightwave-follow-up", "lumen-health-discovery", "northgate-renewal",
                          "castello-foods-follow-up"}
    assert c.get("/api/calls").json()[0]["title"] == "castello-foods-follow-up"  # newest first
    first = c.get(f"/calls/{calls['brightwave-follow-up']['id']}")
    assert first.status_code == 200
    assert 'id="loops"' in first.text and "Closed by" in first.text
    nxt = c.get(f"/calls/{calls['castello-foods-follow-up']['id']}").text
    assert "Closed by this call." in nxt and "Next step:" in nxt
    chloe = c.get(f"/calls/{calls['northgate-renewal']['id']}").text
    assert "Waiting for Chloe Martin's next imported call." in chloe  # the loop is open
    review = c.get(f"/api/calls/{calls['lumen-health-discovery']['id']}").json()
    assert review["pivotal"]["kind"] == "commitment_won" and review["conversation"]["timed"]


def test_the_learners_see_their_drills(app: object) -> None:
    chloe = _login(app, "chloe@northwind.example").get("/assignments").text
    assert "A drill from a moment of your call" in chloe
    ben = _login(app, "ben@northwind.example").get("/assignments").text
    assert "submitted" in ben


def test_the_manager_sees_the_sprint_and_its_insights(app: object) -> None:
    from sparring.services import demo_program

    c = _login(app, "manager@northwind.example")
    listing = c.get("/programs").text
    m = re.search(r'href="/programs/(\d+)"[^>]*>' + re.escape(demo_program.NAME), listing)
    assert m, listing[:2000]
    page = c.get(f"/programs/{m.group(1)}").text
    assert f"{demo_program.TARGET}–{demo_program.TARGET_MAX} reps per learner" in page
    assert "<svg" in page and "Behind" in page and "Dev Sharma" in page
    for name in ("Ava Patel", "Ben Okafor", "Chloe Martin"):
        assert re.search(re.escape(name) + r'</a></td><td class="hide-narrow">[^<]+</td>\s*<td class="num nowrap">6 / '
                         + str(demo_program.TARGET), page), name
    assert "Pricing objection" in page and "week 1" in page
    insights = c.get("/team/insights").text
    assert "(3 learners with at least 6 reps;" in insights, re.findall(r"\(\d+ learners with at least[^)]*\)", insights)


def test_a_learner_has_the_sprint_this_week(app: object) -> None:
    from sparring.services import demo_program

    home = _login(app, "dev@northwind.example").get("/").text
    assert f"This week · {demo_program.NAME}" in home and "Week 3 of 5" in home
