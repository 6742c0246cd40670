"""Winning lines in the web app (docs/lines.md): suggestions saved in one click, the review page and its schedule,
the due count on the home page, and the team library managers curate and learners read."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sparring.coaching.line_suggestions import suggest_lines
from sparring.services.access import Viewer
from sparring.store.models import User, WinningLine
from sparring.testing.web import World, login


def _viewer(world: World, key: str) -> Viewer:
    with world.database.read() as s:
        user = s.get(User, world.users[key])
        assert user is not None
        return Viewer.of(user)


def test_suggestions_save_in_one_click_and_come_back_for_review(world: World) -> None:
    c = login(world.app, "learner_a1")
    with world.database.read() as s:
        suggested = suggest_lines(s, _viewer(world, "learner_a1"))
    assert suggested, "the embedded scorer cites the learner's questions for at least one met criterion"
    page = c.get("/lines")
    assert "Suggested from your reps" in page.text and "Review lines" in page.text
    first = suggested[0]
    assert first.text in page.text
    token = c.headers["X-CSRF-Token"]
    r = c.post("/lines", data={"csrf_token": token, "rep": str(first.rep_id), "turn": str(first.turn_index),
                               "situation": "good outcome", "back": "lines"})
    assert r.status_code == 303 and r.headers["location"] == "/lines"
    page = c.get("/lines").text
    assert page.count(first.text) == 1  # in the saved list, no longer suggested
    # not due yet; a day later it is: the home page counts it and the review page shows its situation
    assert "due for review" not in c.get("/").text
    assert "Nothing due" in c.get("/lines/review").text
    with world.database.session() as s:
        line = s.scalar(select(WinningLine).where(WinningLine.user_id == world.users["learner_a1"]))
        assert line is not None
        line.due_at = datetime.now(UTC) - timedelta(minutes=1)
        line_id = line.id
    assert "1 winning line due for review" in c.get("/").text
    review = c.get("/lines/review").text
    assert "good outcome" in review and f'action="/lines/{line_id}/review"' in review
    assert c.post(f"/lines/{line_id}/review", data={"csrf_token": token, "remembered": "maybe"}).status_code == 400
    r = c.post(f"/lines/{line_id}/review", data={"csrf_token": token, "remembered": "yes"})
    assert r.status_code == 303 and r.headers["location"] == "/lines/review"
    with world.database.read() as s:
        after = s.get(WinningLine, line_id)
        assert after is not None and (after.review_step, after.reviews) == (1, 1)
    assert "Nothing due" in c.get("/lines/review").text
    # someone else's line cannot be reviewed, and a missing CSRF token is refused
    other = login(world.app, "learner_a2")
    assert other.post(f"/lines/{line_id}/review", data={"csrf_token": other.headers["X-CSRF-Token"],
                                                        "remembered": "no"}).status_code == 404
    assert c.post(f"/lines/{line_id}/review", data={"remembered": "no"},
                  headers={"X-CSRF-Token": ""}).status_code == 403


def test_managers_curate_the_team_library_that_learners_read(world: World) -> None:
    learner = login(world.app, "learner_a2")
    manager = login(world.app, "manager_a")
    page = manager.get("/team/lines")
    assert page.status_code == 200 and "Team library" in page.text
    team_id = re.search(r'<select id="team" name="team"><option value="(\d+)">East</option>', page.text)
    assert team_id is not None and "West" not in page.text  # only the manager's team
    token = manager.headers["X-CSRF-Token"]
    r = manager.post("/team/lines", data={"csrf_token": token, "team": team_id.group(1), "situation": "budget",
                                          "skill": "objection-handling", "text": "What would the budget cover?"})
    assert r.status_code == 303 and r.headers["location"] == "/team/lines"
    assert "What would the budget cover?" in manager.get("/team/lines").text
    lines = learner.get("/lines").text
    assert "Team library" in lines and "What would the budget cover?" in lines
    assert "What would the budget cover?" not in login(world.app, "learner_b1").get("/lines").text
    keep = re.search(r'action="/lines/team/(\d+)/keep"', lines)
    assert keep is not None
    west = login(world.app, "learner_a3")
    assert west.post(f"/lines/team/{keep.group(1)}/keep",
                     data={"csrf_token": west.headers["X-CSRF-Token"]}).status_code == 404  # another team
    r = learner.post(f"/lines/team/{keep.group(1)}/keep", data={"csrf_token": learner.headers["X-CSRF-Token"]})
    assert r.status_code == 303 and r.headers["location"] == "/lines"
    assert 'action="/lines/' in learner.get("/lines").text.split("Team library")[0]  # now one of her lines
    bad = manager.post("/team/lines", data={"csrf_token": token, "team": team_id.group(1), "situation": " ",
                                            "text": "No situation"})
    assert bad.status_code == 303 and "situation" in bad.headers.get("set-cookie", "")
    assert manager.post("/team/lines", data={"csrf_token": token, "team": "abc"}).status_code == 400
    other = login(world.app, "manager_b")
    assert other.post("/team/lines", data={"csrf_token": other.headers["X-CSRF-Token"], "team": team_id.group(1),
                                           "situation": "x", "text": "Not yours"}).status_code == 404
    line_id = re.search(r'action="/team/lines/(\d+)/delete"', manager.get("/team/lines").text)
    assert line_id is not None
    assert other.post(f"/team/lines/{line_id.group(1)}/delete",
                      data={"csrf_token": other.headers["X-CSRF-Token"]}).status_code == 404
    assert learner.get("/team/lines").status_code == 403
    r = manager.post(f"/team/lines/{line_id.group(1)}/delete", data={"csrf_token": token})
    assert r.status_code == 303
    after = learner.get("/lines").text
    # gone from the library (now empty); the copy she kept stays hers
    assert 'id="team-library"' not in after and "What would the budget cover?" in after
