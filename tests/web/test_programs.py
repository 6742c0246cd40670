"""Program pages (sparring.web.routes.programs) on TestClient: a manager creates a program for their team with the
form, the progress page shows the completion chart, reps and who is behind, enrolment from the page, changing the
program and removing an enrolment (after a confirmation page) from it, the learner's "This week" card on the home
page with a Start button. Role rules: learners get 403, another manager or
organisation 404, bad input re-shows the form naming the field, forms need the CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparring.store.program_models import ProgramRow
from sparring.testing.web import SCENARIO, World, login

TODAY = datetime.now(UTC).date()
START = (TODAY - timedelta(days=10)).isoformat()
END = (TODAY + timedelta(days=17)).isoformat()


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {k: login(world.app, k) for k in ("learner_a1", "learner_a2", "learner_a3", "manager_a", "admin_a",
                                             "manager_b", "admin_b")}


def _form(**kw: str) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {"name": "Renewal sprint", "description": "Thirty days of renewals.",
                                        "start": START, "end": END, "target": "6", "target_max": "10",
                                        "pass_bar": "40", "teams": ["East"], "scenario_0": SCENARIO, "week_0": "",
                                        "difficulty_0": "easy", "scenario_1": "", "week_1": ""}
    data.update(kw)
    return data


@pytest.fixture(scope="module")
def program_id(world: World, clients: dict[str, TestClient]) -> int:
    r = clients["manager_a"].post("/programs", data=_form())
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/programs/(\d+)", r.headers["location"])
    assert m, r.headers["location"]
    return int(m.group(1))


def test_the_manager_creates_a_program_and_sees_its_progress(world: World, clients: dict[str, TestClient],
                                                             program_id: int) -> None:
    manager = clients["manager_a"]
    form = manager.get("/programs/new")
    assert form.status_code == 200 and 'action="/programs"' in form.text and 'name="csrf_token"' in form.text
    assert 'value="East"' in form.text and 'value="West"' not in form.text  # only the manager's teams
    page = manager.get(f"/programs/{program_id}")
    assert page.status_code == 200
    assert "Renewal sprint" in page.text and "6–10 reps per learner" in page.text and "pass bar 40" in page.text
    assert "<svg" in page.text and "Completion of the 6-rep target, per learner (%)" in page.text
    # the world's reps were played today, within the dates: learner_a1's public and private reps count (ended)
    row = r'{}</a></td><td class="hide-narrow">East</td>\s*<td class="num nowrap">{} / 6</td>'
    assert re.search(row.format("Learner_A1", 2), page.text) and re.search(row.format("Learner_A2", 0), page.text)
    assert "learner_a3" not in page.text.lower()  # West: not enrolled
    assert "Behind" in page.text  # 10 days of 28 over: 2 reps expected; learner_a2 has none ended
    listing = manager.get("/programs")
    assert listing.status_code == 200 and f'href="/programs/{program_id}"' in listing.text
    assert 'href="/programs"' in listing.text  # in the navigation


def test_bad_input_shows_the_form_again_naming_the_field(world: World, clients: dict[str, TestClient]) -> None:
    manager = clients["manager_a"]
    with world.database.read() as s:
        before = len(s.scalars(select(ProgramRow.id)).all())
    for kw, message in (({"end": "2020-01-01"}, "end: 2020-01-01 is before the start"),
                        ({"target": "lots"}, "target: give a whole number"),
                        ({"scenario_0": ""}, "scenario: give at least one scenario"),
                        ({"week_0": "9"}, "week: &#39;cs-renewal-discount&#39; is planned for week 9"),
                        ({"teams": ["West"]}, "team: unknown team &#39;West&#39;")):
        r = manager.post("/programs", data=_form(**kw))
        assert r.status_code == 400 and message in r.text, (kw, r.text[:300])
        assert 'value="Renewal sprint"' in r.text  # what was typed is kept
    with world.database.read() as s:
        assert len(s.scalars(select(ProgramRow.id)).all()) == before


def test_roles_and_organisations(world: World, clients: dict[str, TestClient], program_id: int) -> None:
    for path in ("/programs", "/programs/new", f"/programs/{program_id}"):
        assert clients["learner_a1"].get(path).status_code == 403
    assert clients["learner_a1"].post("/programs", data=_form()).status_code == 403
    assert clients["admin_a"].get(f"/programs/{program_id}").status_code == 200
    for other in ("manager_b", "admin_b"):
        assert clients[other].get(f"/programs/{program_id}").status_code == 404
        assert f"/programs/{program_id}" not in clients[other].get("/programs").text
        assert clients[other].post(f"/programs/{program_id}/enrol",
                                   data={"target": "team:North"}).status_code == 404
    no_csrf = TestClient(world.app, follow_redirects=False)
    no_csrf.cookies = clients["manager_a"].cookies
    assert no_csrf.post("/programs", data=_form()).status_code == 403


def test_enrol_from_the_progress_page(world: World, clients: dict[str, TestClient], program_id: int) -> None:
    r = clients["manager_a"].post(f"/programs/{program_id}/enrol", data={"target": "team:West"})
    assert r.status_code == 303 and unquote(r.cookies.get("sparring_flash", "")).startswith(
        "error|team: unknown team 'West'")
    r = clients["admin_a"].post(f"/programs/{program_id}/enrol", data={"target": "user:learner_a3@acme.test"})
    assert r.status_code == 303 and unquote(r.cookies.get("sparring_flash", "")) == "ok|Enrolled learner_a3@acme.test."
    row = re.compile(r'Learner_A3</a></td><td class="hide-narrow">West</td>')
    assert row.search(clients["admin_a"].get(f"/programs/{program_id}").text)
    assert not row.search(clients["manager_a"].get(f"/programs/{program_id}").text)  # not the manager's learner


def test_the_learner_sees_this_week_on_the_home_page(world: World, clients: dict[str, TestClient],
                                                     program_id: int) -> None:
    home = clients["learner_a2"].get("/")
    assert home.status_code == 200
    assert "This week · Renewal sprint" in home.text and "Week 2 of 4" in home.text
    assert "Next: Renewal: the new COO wants it cheaper" in home.text and "6 reps left in all" in home.text
    card = home.text.split("This week · Renewal sprint")[1].split("</section>")[0]
    assert 'name="scenario" value="cs-renewal-discount"' in card and 'name="difficulty" value="easy"' in card
    assert ">Start</button>" in card and "Behind" in card
    assert "This week" not in clients["manager_a"].get("/").text  # the team's manager is not enrolled
    assert "This week" not in clients["manager_b"].get("/").text


def test_archive_and_make_active_again(world: World, clients: dict[str, TestClient], program_id: int) -> None:
    manager = clients["manager_a"]
    r = manager.post(f"/programs/{program_id}/archive", data={})
    assert r.status_code == 303
    assert unquote(r.cookies.get("sparring_flash", "")) == "ok|Program archived: no more reminders."
    assert "Make active again" in manager.get(f"/programs/{program_id}").text
    assert "This week · Renewal sprint" not in clients["learner_a2"].get("/").text
    r = manager.post(f"/programs/{program_id}/archive", data={"undo": "1"})
    assert unquote(r.cookies.get("sparring_flash", "")) == "ok|Program active again."
    assert "This week · Renewal sprint" in clients["learner_a2"].get("/").text


def test_the_lead_changes_the_program_from_its_page(world: World, clients: dict[str, TestClient],
                                                    program_id: int) -> None:
    manager = clients["manager_a"]
    page = manager.get(f"/programs/{program_id}")
    assert f'action="/programs/{program_id}/edit"' in page.text and "Change the program" in page.text
    assert 'id="edit-name" name="name" type="text" maxlength="200" required value="Renewal sprint"' in page.text
    changed = _form(name="Renewal sprint, extended", target="8", pass_bar="", end=(TODAY + timedelta(days=24))
                    .isoformat(), scenario_1="cs-angry-escalation", week_1="4")
    r = manager.post(f"/programs/{program_id}/edit", data=changed)
    assert r.status_code == 303 and r.headers["location"] == f"/programs/{program_id}"
    assert unquote(r.cookies.get("sparring_flash", "")) == (
        "ok|Program changed. The reps done so far count by the new plan.")
    page = manager.get(f"/programs/{program_id}")
    assert "Renewal sprint, extended" in page.text and "8–10 reps per learner" in page.text
    assert "pass bar" not in page.text.split("</h1>")[1].split("</p>")[0]
    assert re.search(r'Learner_A1</a></td><td class="hide-narrow">East</td>\s*<td class="num nowrap">2 / 8</td>',
                     page.text)  # the reps done are kept and counted against the new target
    with world.database.read() as s:
        row = s.get(ProgramRow, program_id)
        assert row is not None and (row.target_min, row.pass_bar) == (8, None)
    # bad input: the page again with the form open, as typed, naming the field; nothing stored
    r = manager.post(f"/programs/{program_id}/edit", data=_form(name="Typed name", end="2020-01-01"))
    assert r.status_code == 400 and "end: 2020-01-01 is before the start" in r.text
    assert 'value="Typed name"' in r.text and "<details open><summary>Name, dates, targets" in r.text
    with world.database.read() as s:
        assert s.get(ProgramRow, program_id).name == "Renewal sprint, extended"  # type: ignore[union-attr]
    # the admin may change it too; the learner, another organisation and a form without the CSRF token may not
    assert f'action="/programs/{program_id}/edit"' in clients["admin_a"].get(f"/programs/{program_id}").text
    assert clients["learner_a1"].post(f"/programs/{program_id}/edit", data=changed).status_code == 403
    assert clients["manager_b"].post(f"/programs/{program_id}/edit", data=changed).status_code == 404
    no_csrf = TestClient(world.app, follow_redirects=False)
    no_csrf.cookies = manager.cookies
    assert no_csrf.post(f"/programs/{program_id}/edit", data=changed).status_code == 403


def test_an_archived_program_is_not_changed(world: World, clients: dict[str, TestClient], program_id: int) -> None:
    manager = clients["manager_a"]
    assert manager.post(f"/programs/{program_id}/archive", data={}).status_code == 303
    page = manager.get(f"/programs/{program_id}")
    assert "An archived program cannot be changed" in page.text and f"/programs/{program_id}/edit" not in page.text
    r = manager.post(f"/programs/{program_id}/edit", data=_form(name="Too late"))
    assert r.status_code == 400 and "is archived; make it active again before changing it" in r.text
    manager.post(f"/programs/{program_id}/archive", data={"undo": "1"})


def test_a_manager_does_not_change_a_program_an_admin_made(world: World, clients: dict[str, TestClient]) -> None:
    r = clients["admin_a"].post("/programs", data=_form(name="Admin's sprint"))
    assert r.status_code == 303
    path = r.headers["location"]
    page = clients["manager_a"].get(path)  # East is enrolled: Manager_A sees it
    assert page.status_code == 200 and "Admin&#39;s sprint" in page.text and f"{path}/edit" not in page.text
    r = clients["manager_a"].post(f"{path}/edit", data=_form(name="Mine now"))
    assert r.status_code == 400 and "only the manager who made it or an admin may change it" in r.text


def test_unenrol_from_the_page_after_confirming(world: World, clients: dict[str, TestClient],
                                                program_id: int) -> None:
    manager, admin = clients["manager_a"], clients["admin_a"]
    page = manager.get(f"/programs/{program_id}").text
    form = page.split(f'action="/programs/{program_id}/unenrol"')[1].split("</form>")[0]
    assert '<option value="team:East">Team East</option>' in form
    assert "learner_a3" not in form  # enrolled by the admin, not one of the manager's learners
    assert "user:learner_a3@acme.test" in admin.get(f"/programs/{program_id}").text
    # the first post asks to confirm; nothing changes yet
    ask = manager.post(f"/programs/{program_id}/unenrol", data={"target": "team:East"})
    assert ask.status_code == 200 and "Remove Team East from" in ask.text
    assert 'name="confirm" value="yes"' in ask.text and 'name="csrf_token"' in ask.text
    assert 'href="/programs/' + str(program_id) + '">Cancel</a>' in ask.text
    with world.database.read() as s:
        from sparring.services.programs import get_program

        assert get_program(s, None, program_id).teams == ("East",)
    r = manager.post(f"/programs/{program_id}/unenrol", data={"target": "team:East", "confirm": "yes"})
    assert r.status_code == 303
    assert unquote(r.cookies.get("sparring_flash", "")) == (
        "ok|Removed team East from the program. Their reps are kept.")
    after = admin.get(f"/programs/{program_id}").text
    assert "Learner_A1</a>" not in after and "Learner_A3</a>" in after
    # what the manager may not remove, or what is not enrolled, is said on the page
    r = manager.post(f"/programs/{program_id}/unenrol", data={"target": "user:learner_a3@acme.test",
                                                              "confirm": "yes"})
    assert unquote(r.cookies.get("sparring_flash", "")).startswith("error|user: unknown user learner_a3@acme.test")
    r = manager.post(f"/programs/{program_id}/unenrol", data={"target": "team:East", "confirm": "yes"})
    assert unquote(r.cookies.get("sparring_flash", "")) == "error|team: not enrolled in this program"
    r = manager.post(f"/programs/{program_id}/unenrol", data={"target": "team:East"})  # no longer enrolled
    assert r.status_code == 303 and unquote(r.cookies.get("sparring_flash", "")).startswith("error|unenrol: ")
    # roles, organisations, CSRF
    assert clients["learner_a1"].post(f"/programs/{program_id}/unenrol",
                                      data={"target": "user:learner_a3@acme.test"}).status_code == 403
    for confirm in ("", "yes"):
        assert clients["manager_b"].post(f"/programs/{program_id}/unenrol", data={
            "target": "user:learner_a3@acme.test", "confirm": confirm}).status_code == 404
    no_csrf = TestClient(world.app, follow_redirects=False)
    no_csrf.cookies = admin.cookies
    assert no_csrf.post(f"/programs/{program_id}/unenrol", data={
        "target": "user:learner_a3@acme.test", "confirm": "yes"}).status_code == 403
    r = admin.post(f"/programs/{program_id}/unenrol", data={"target": "user:learner_a3@acme.test", "confirm": "yes"})
    assert unquote(r.cookies.get("sparring_flash", "")) == (
        "ok|Removed learner_a3@acme.test from the program. Their reps are kept.")
    assert manager.post(f"/programs/{program_id}/enrol", data={"target": "team:East"}).status_code == 303
