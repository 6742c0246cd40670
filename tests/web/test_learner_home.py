"""The learner's home above the library (docs/web.md): Recommended next with a one-click start, Continue for an
unfinished rep, Recent scores, and per-scenario attempts / best / last played on the library cards."""

from __future__ import annotations

import re

from sparring.testing.web import World, csrf_of, login


def test_the_home_says_what_to_do_next(world: World) -> None:
    c = login(world.app, "learner_a1")
    page = c.get("/").text
    assert "Recommended next" in page and "Continue" in page and "Recent scores" in page
    assert "Practise this" in page
    assert re.search(r"\d+ attempts? · best \d+", page), "a practised scenario shows its attempts and best score"
    assert "Not tried yet" in page
    # one click starts the recommended scenario
    form = re.search(r'<form method="post" action="/reps">\s*<input type="hidden" name="csrf_token" value="[^"]+">\s*'
                     r'<input type="hidden" name="scenario" value="([^"]+)">\s*'
                     r'<input type="hidden" name="difficulty" value="([^"]+)">\s*'
                     r'<button class="btn" type="submit" aria-label="Practise', page)
    assert form, "no Practise this form"
    r = c.post("/reps", data={"csrf_token": csrf_of(page), "scenario": form.group(1), "difficulty": form.group(2)})
    assert r.status_code == 303 and r.headers["location"].startswith("/reps/")
    rep_url = r.headers["location"]
    assert f'href="{rep_url}"' in c.get("/").text  # now listed under Continue


def test_searching_the_library_shows_only_the_results(world: World) -> None:
    c = login(world.app, "learner_a1")
    found = c.get("/", params={"q": "zzzz-nothing"}).text
    assert "Recommended next" not in found and "No scenario matches" in found
    assert "Recommended next" in c.get("/", params={"difficulty": "hard"}).text  # a start level is not a search

