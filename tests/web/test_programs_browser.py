"""The program progress page and the learner's "This week" card in Debian's Chromium, on a desktop and a 390 px
phone: a seeded cohort (six learners, reps spread over the first weeks of a 28-day program), the lead's page with
its completion chart, the behind list and the per-learner table, and a learner's home page with the Start button.
Then the lead changes the program from its page and removes the team after the confirmation page. Each page must
fit the phone's width (no sideways scrolling of the page). Screenshots go to the test's temporary
folder, or to ``SPARRING_SHOTS_DIR`` when set (how the ones in docs/screenshots were made)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.practice import PracticeService
from sparring.services.programs import ScenarioChoice, create_program
from sparring.store.db import Database
from sparring.store.models import Rep
from sparring.testing.fakes import FakePersona, FakeScorer
from sparring.testing.processes import served_web_app
from sparring.testing.web import PASSWORD, sign_in

CHROMIUM = "/usr/bin/chromium"
TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=12)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

#: learner -> reps done so far (5 expected by day 13 of 28 with a target of 12)
COHORT = {"Ava Lindqvist": 9, "Ben Okafor": 6, "Chloé Martin": 5, "Dev Patel": 3, "Eli Novak": 1,
          "Farah Haddad": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    data = tmp_path_factory.mktemp("programs-e2e")
    database = Database(f"sqlite:///{data / 'sparring.db'}")
    accounts = Accounts(database)
    max_ = accounts.create_user("Harbour", "max@harbour.test", PASSWORD, role="manager", team="Renewals",
                                name="Max Berg")
    practice = PracticeService(database, persona=FakePersona(), scorer=FakeScorer(),
                               content=ContentService.installation(database))
    for n, (name, reps) in enumerate(COHORT.items()):
        email = name.split()[0].lower().replace("é", "e") + "@harbour.test"
        user = accounts.create_user("Harbour", email, PASSWORD, role="learner", team="Renewals", name=name)
        for i in range(reps):
            rep = practice.start_rep(user, "cs-renewal-discount" if i % 2 == 0 else "cs-angry-escalation")
            practice.submit_turn(rep.id, "What would change for you?" if (i + n) % 3 else "We can't.")
            practice.end_rep(rep.id)
            practice.score_rep(rep.id)
            when = datetime.combine(START + timedelta(days=i), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            with database.session() as s:
                s.execute(update(Rep).where(Rep.id == rep.id).values(created_at=when))
    with database.session() as s:
        program_id = create_program(  # Max's program: he may change it
            s, Viewer(max_.id, max_.org_id, "manager", max_.name or "", max_.email),
            lambda org, sid: ContentService(database, org).get_scenario(sid), org_id=1,
            name="Renewal sprint, Q1", description="Four weeks of renewal conversations before the pricing change.",
            start_on=START, end_on=START + timedelta(days=27), target_min=12, target_max=20, pass_bar=50,
            scenarios=[ScenarioChoice("cs-renewal-discount", 1), ScenarioChoice("cs-angry-escalation", 2),
                       ScenarioChoice("consulting-scope-pushback", 3)],
            teams=["Renewals"]).id
    database.dispose()
    with served_web_app(data) as base:
        yield base, program_id


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("SPARRING_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow} px"


@pytest.mark.parametrize(("device", "width"), [("desktop", 1280), ("phone", 390)])
def test_progress_page_and_this_week_card(browser: Any, server: tuple[str, int], tmp_path: Path, device: str,
                                          width: int) -> None:
    base, program_id = server
    out = _shots(tmp_path)
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    try:
        sign_in(page, base, "max@harbour.test")
        page.goto(f"{base}/programs/{program_id}")
        assert page.locator("h1").inner_text() == "Renewal sprint, Q1"
        shown, hidden = (".only-wide", ".only-narrow") if device == "desktop" else (".only-narrow", ".only-wide")
        chart = page.locator(f"{shown} .chart svg")
        assert chart.is_visible() and not page.locator(f"{hidden} .chart svg").is_visible()
        assert chart.bounding_box()["width"] <= width  # type: ignore[index]
        if device == "phone":  # the labels stay readable: at least 11 px tall on the phone
            label = page.locator(f"{shown} .chart svg text").first.bounding_box()
            assert label is not None and label["height"] >= 11, label
        behind = page.locator(".behind-card li").all_inner_texts()
        assert [b.split(":")[0] for b in behind] == ["Dev Patel", "Eli Novak", "Farah Haddad"]
        rows = page.locator("section:has(h2:text('Learners')) tbody tr")
        assert rows.count() == 6
        assert "9 / 12" in rows.nth(0).inner_text()
        _fits(page)
        page.screenshot(path=str(out / f"program-progress{'-phone' if device == 'phone' else ''}.png"),
                        full_page=True)
        page.goto(f"{base}/programs")
        _fits(page)
        if device == "desktop":
            page.screenshot(path=str(out / "programs.png"), full_page=False)
            page.goto(f"{base}/programs/new")
            page.screenshot(path=str(out / "program-new.png"), full_page=True)
        sign_in(page, base, "dev@harbour.test")
        card = page.locator(".week-card")
        assert "This week · Renewal sprint, Q1" in card.inner_text() and "Week 2 of 4" in card.inner_text()
        assert card.get_by_role("button", name="Start").is_visible()
        _fits(page)
        page.screenshot(path=str(out / f"program-this-week{'-phone' if device == 'phone' else ''}.png"),
                        full_page=False)
        card.get_by_role("button", name="Start").click()
        page.wait_for_url(f"{base}/reps/*")
    finally:
        context.close()


def test_change_the_program_and_remove_an_enrolment(browser: Any, server: tuple[str, int], tmp_path: Path) -> None:
    base, program_id = server
    out = _shots(tmp_path)
    summary = "summary:has-text('Name, dates, targets')"
    phone = browser.new_context(viewport={"width": 390, "height": 900}, device_scale_factor=1)
    try:  # on a phone the open form fits the width
        page = phone.new_page()
        sign_in(page, base, "max@harbour.test")
        page.goto(f"{base}/programs/{program_id}")
        page.locator(summary).click()
        assert page.locator("#edit-program").is_visible()
        _fits(page)
        page.locator("section[aria-labelledby=change-program]").screenshot(path=str(out / "program-edit-phone.png"))
    finally:
        phone.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    try:
        page = context.new_page()
        sign_in(page, base, "max@harbour.test")
        page.goto(f"{base}/programs/{program_id}")
        page.locator(summary).click()
        assert page.locator("#edit-name").input_value() == "Renewal sprint, Q1"
        assert page.locator("#edit-scenario_2").input_value() == "consulting-scope-pushback"
        page.fill("#edit-name", "Renewal sprint, Q1 (extended)")
        page.fill("#edit-end", (START + timedelta(days=34)).isoformat())
        page.fill("#edit-target", "10")
        page.select_option("#edit-scenario_3", "cs-renewal-discount")  # listed twice: refused, nothing saved
        page.click("#edit-program button[type=submit]")
        assert page.locator(".flash.error").inner_text().startswith("scenario: 'cs-renewal-discount' is listed twice")
        assert page.locator("#edit-program").is_visible() and page.locator("#edit-target").input_value() == "10"
        page.select_option("#edit-scenario_3", "mgmt-coaching-1on1")
        page.fill("#edit-week_3", "5")
        page.click("#edit-program button[type=submit]")
        page.wait_for_url(f"{base}/programs/{program_id}")
        assert page.locator("h1").inner_text() == "Renewal sprint, Q1 (extended)"
        assert "10–20 reps per learner" in page.locator(".page-head p").first.inner_text()
        assert "9 / 10" in page.locator("section:has(h2:text('Learners')) tbody tr").nth(0).inner_text()
        assert page.locator("section:has(h2:text('Plan')) li").count() == 4
        page.locator(summary).click()
        _fits(page)
        page.locator("section[aria-labelledby=change-program]").screenshot(path=str(out / "program-edit.png"))
        page.select_option("#unenrol-target", "team:Renewals")
        page.get_by_role("button", name="Remove…").click()
        assert page.locator("h1").inner_text().startswith("Remove Team Renewals from Renewal sprint, Q1")
        _fits(page)
        page.screenshot(path=str(out / "program-unenrol.png"), full_page=False)
        page.get_by_role("button", name="Yes, remove Team Renewals").click()
        page.wait_for_url(f"{base}/programs/{program_id}")
        assert "Removed team Renewals from the program" in page.locator(".flash").first.inner_text()
        assert "No learners yet." in page.locator("section:has(h2:text('Learners'))").inner_text()
    finally:
        context.close()
