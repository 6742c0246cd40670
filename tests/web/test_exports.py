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


def test_a_program_filters_the_page_and_the_downloads(world: World) -> None:
    from datetime import UTC, datetime, timedelta

    from sparring.services import programs
    from sparring.services.content import ContentService
    from sparring.testing.web import SCENARIO

    today = datetime.now(UTC).date()
    with world.database.session() as s:
        org_id = s.get(ConversationRow, 1).org_id  # type: ignore[union-attr]
        program_id = programs.create_program(
            s, None, lambda org, sid: ContentService(world.database, org).get_scenario(sid), org_id=org_id,
            name="East sprint", start_on=today - timedelta(days=3), end_on=today + timedelta(days=10),
            target_min=3, scenarios=[programs.ScenarioChoice(SCENARIO)], teams=["East"]).id
    manager = login(world.app, "manager_a")
    page = manager.get("/exports", params={"program": str(program_id)})
    assert page.status_code == 200
    assert f'<option value="{program_id}" selected>East sprint (' in page.text
    assert f'href="/exports/reps.csv?program={program_id}"' in page.text
    # learner_a1's two ended reps count; learner_a2's rep is still open; learner_a3 (West) is not enrolled
    for who in ("manager_a", "admin_a"):
        r = login(world.app, who).get("/exports/reps.csv", params={"program": str(program_id)})
        assert r.status_code == 200
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert {int(row["rep_id"]) for row in rows} == {world.reps["a1_public"], world.reps["a1_private"]}
    everything = list(csv.DictReader(io.StringIO(manager.get("/exports/reps.csv").text)))
    assert len(everything) > 2
    unknown = manager.get("/exports", params={"program": "99999"})
    assert "program: no program 99999" in unknown.text and "Download" not in unknown.text
    assert manager.get("/exports/reps.csv", params={"program": "99999"}).status_code == 404
    assert manager.get("/exports/reps.csv", params={"program": "east"}).status_code == 400
    other = login(world.app, "admin_b")  # another organisation's program is unknown
    assert other.get("/exports/reps.csv", params={"program": str(program_id)}).status_code == 404
    assert f'value="{program_id}"' not in other.get("/exports").text
