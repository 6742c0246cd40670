"""The exports page and its streamed CSV downloads (docs/exports.md): filters as a query string, errors shown on the
page and answered 400/404 by the downloads, unknown files, formula cells escaped in what the browser gets."""

from __future__ import annotations

import csv
import io

from sparring.store.models import ConversationRow
from sparring.testing.web import World, login


def test_page_lists_the_files_with_the_filters(world: World) -> None:
    c = login(world.app, "manager_a")
    page = c.get("/exports", params={"team": "East", "source": "practice"})
    assert page.status_code == 200
    for kind in ("reps", "scorecards", "criterion_results"):
        assert f'href="/exports/{kind}.csv?team=East&amp;source=practice"' in page.text
    assert "<option selected>East</option>" in page.text and "West" not in page.text
    bad = c.get("/exports", params={"date_from": "tomorrow"})
    assert bad.status_code == 200 and "from: give a date as YYYY-MM-DD" in bad.text and "Download" not in bad.text
    assert 'href="/exports"' in c.get("/team").text or 'href="/exports?' in c.get("/team").text


def test_downloads_filter_and_refuse_bad_input(world: World) -> None:
    c = login(world.app, "admin_a")
    r = c.get("/exports/reps.csv", params={"user": "learner_a3@acme.test"})
    assert r.status_code == 200 and 'filename="reps.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["user_email"] for row in rows} == {"learner_a3@acme.test"}
    assert c.get("/exports/reps.csv", params={"source": "fax"}).status_code == 400
    assert c.get("/exports/reps.csv", params={"date_from": "2026-02-02", "date_to": "2026-01-01"}).status_code == 400
    assert c.get("/exports/users.csv").status_code == 404
    empty = c.get("/exports/scorecards.csv", params={"date_to": "2000-01-01"})
    assert empty.status_code == 200 and len(empty.text.strip().splitlines()) == 1  # the header alone


def test_formula_titles_are_escaped_in_the_download(world: World) -> None:
    with world.database.session() as s:
        s.add(ConversationRow(source="call", title="=HYPERLINK(\"http://x.test\")", user_id=world.users["learner_a3"],
                              org_id=s.get(ConversationRow, 1).org_id))  # type: ignore[union-attr]
    c = login(world.app, "admin_a")
    rows = list(csv.DictReader(io.StringIO(c.get("/exports/reps.csv", params={"source": "call"}).text)))
    assert [row["title"] for row in rows] == ["'=HYPERLINK(\"http://x.test\")"]
