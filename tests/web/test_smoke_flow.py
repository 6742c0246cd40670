"""The learner's main path through the pages, over HTTP."""

from __future__ import annotations

from sparring.testing.web import LINES, SCENARIO, World, csrf_of, login, sse_events


def test_practise_a_rep_end_early_and_open_the_scorecard(world: World) -> None:
    c = login(world.app, "learner_a2")
    home = c.get("/")
    assert home.status_code == 200 and "Practice" in home.text
    token = csrf_of(home.text)
    r = c.post("/reps", data={"csrf_token": token, "scenario": SCENARIO, "difficulty": "medium"})
    assert r.status_code == 303
    rep_url = r.headers["location"]
    page = c.get(rep_url)
    assert page.status_code == 200 and 'id="practice"' in page.text
    rep_id = int(rep_url.rsplit("/", 1)[1])
    r = c.post(f"/reps/{rep_id}/turns", json={"text": LINES[0]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    names = [e[0] for e in events]
    assert names[0] == "saved" and names[-1] == "done" and "delta" in names
    saved, done = events[0][1], events[-1][1]
    assert saved["text"] == LINES[0] and saved["role"] == "learner"
    assert "".join(str(e[1]["text"]) for e in events if e[0] == "delta") == done["text"]
    stored = world.practice.get_rep(rep_id)
    assert [t.text for t in stored.turns[-2:]] == [LINES[0], done["text"]]
    r = c.post(f"/reps/{rep_id}/end", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == f"/reps/{rep_id}/scorecard"
    card = c.get(f"/reps/{rep_id}/scorecard")
    assert card.status_code == 200
    assert 'class="criterion"' in card.text and "data-evidence=" in card.text
    # outcome and score side by side, in plain words: no engine or metric keys, no similarity numbers
    assert "what the rubric says" in card.text and "Outcome" in card.text
    assert "engine embedded" not in card.text and "similarity" not in card.text and "talk_share" not in card.text
    assert world.practice.get_rep(rep_id).scorecard is not None
