"""The certification part of a program page in Debian's Chromium: a manager revokes a learner's certificate through
the page's own form (the reason and the confirmation box are required by the browser too), and the page then lists
it as revoked with its date and reason beside a learner still certified. Screenshots go to the test's temporary
folder, or to ``SPARRING_SHOTS_DIR`` when set (how docs/screenshots/program-certification-revoked.png was made)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sparring.services import certification
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.practice import PracticeService
from sparring.services.programs import ScenarioChoice, create_program
from sparring.store.db import Database
from sparring.testing.fakes import FakePersona, FakeScorer
from sparring.testing.processes import served_web_app
from sparring.testing.web import PASSWORD, sign_in

CHROMIUM = "/usr/bin/chromium"
TODAY = datetime.now(UTC).date()
SCENARIO = "cs-renewal-discount"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    data = tmp_path_factory.mktemp("certification-e2e")
    database = Database(f"sqlite:///{data / 'sparring.db'}")
    accounts = Accounts(database)
    manager = accounts.create_user("Harbour", "max@harbour.test", PASSWORD, role="manager", team="Renewals",
                                   name="Max Berg")
    practice = PracticeService(database, persona=FakePersona(), scorer=FakeScorer(),
                               content=ContentService.installation(database))
    lookup = lambda o, sid: ContentService(database, o).get_scenario(sid)  # noqa: E731
    learners = [accounts.create_user("Harbour", f"{n.split()[0].lower()}@harbour.test", PASSWORD, role="learner",
                                     team="Renewals", name=n) for n in ("Ava Lindqvist", "Ben Okafor", "Chloé Martin")]
    with database.session() as s:
        program_id = create_program(s, None, lookup, org_id=manager.org_id, name="Renewal sprint, Q1",
                                    start_on=TODAY - timedelta(days=20), end_on=TODAY + timedelta(days=8),
                                    target_min=6, scenarios=[ScenarioChoice(SCENARIO)], teams=["Renewals"]).id
        certification.configure(s, None, lookup, program_id, scenario_id=SCENARIO, difficulty="hard",
                                max_attempts=2, bars={"next-step": "met"})
    max_viewer = Viewer(manager.id, manager.org_id, "manager", "Max Berg", manager.email)
    for learner in learners[:2]:  # Ava and Ben pass and are signed off; Chloé has not started
        rep = certification.start_attempt(practice, learner, program_id)
        practice.submit_turn(rep, "What would change for you?")  # a question: the fake scorer meets every criterion
        practice.end_rep(rep)
        practice.score_rep(rep)
        with database.session() as s:
            certification.sign_off(s, max_viewer, program_id, learner.id)
    database.dispose()
    with served_web_app(data) as base:
        yield base, program_id


def test_revoke_from_the_program_page_and_see_it_listed(browser: Any, server: tuple[str, int],
                                                        tmp_path: Path) -> None:
    base, program_id = server
    out = Path(os.environ.get("SPARRING_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    try:
        sign_in(page, base, "max@harbour.test")
        page.goto(f"{base}/programs/{program_id}")
        section = page.locator("section:has(h2#certification)")
        ava = section.locator("tbody tr", has_text="Ava Lindqvist")
        ava.locator("summary", has_text="Revoke").click()
        button = ava.get_by_role("button", name="Revoke Ava Lindqvist's certificate")
        button.click()  # nothing filled in: the browser refuses the form
        assert page.url.startswith(f"{base}/programs/{program_id}") and ava.locator(".revoked-note").count() == 0
        ava.locator("textarea[name=reason]").fill("Her certification rep was played from a script (audit, week 3).")
        ava.locator("input[name=confirm]").check()
        with page.expect_navigation():
            button.click()
        assert "Ava Lindqvist's certificate on Renewal sprint, Q1 is revoked." in page.locator("body").inner_text()
        section = page.locator("section:has(h2#certification)")
        ava = section.locator("tbody tr", has_text="Ava Lindqvist")
        assert "certificate revoked" in ava.inner_text() and "may try again" in ava.inner_text()
        note = ava.locator(".revoked-note").inner_text()
        # the revocation is dated when it happened, which a run that crosses midnight (UTC) puts after TODAY
        today = datetime.now(UTC).date()
        assert any(f"revoked {day:%d %b %Y} by Max Berg" in note for day in {TODAY, today}), note
        assert "played from a script" in note
        assert ava.locator("summary", has_text="Revoke").count() == 0
        ben = section.locator("tbody tr", has_text="Ben Okafor")
        assert "certified" in ben.inner_text() and ben.locator("summary", has_text="Revoke").count() == 1
        section.screenshot(path=str(out / "program-certification-revoked.png"))
    finally:
        context.close()
