"""End to end in Debian's Chromium: a learner practises a rep to the end, opens the scorecard and sees the
evidence highlight, retries from a turn; then the manager logs in and sees the rep."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.services.accounts import Accounts
from sparring.store.db import Database
from sparring.testing.web import served_org, sign_in

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

LEARNER_LINES = [
    "Thanks for making the time. What would a good outcome look like for you this year?",
    "That makes sense. It sounds like you are under real pressure to show savings to the new COO.",
    "What is driving that most right now, the budget, the unused module, or something else?",
    "Since reminders went live your no-show rate fell from 18% to 11%, roughly $90,000 a year in recovered visits.",
    "If you renew for two years, we will build in a review after year one so you are never stuck.",
    "Could we put together a one-page summary for Marcus and book thirty minutes with him next week?",
]



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_org(tmp_path_factory.mktemp("e2e-data"), "E2E Org", [
        ("lena@e2e.test", "learner", "Lena Learner"),
        ("max@e2e.test", "manager", "Max Manager"),
    ]) as base:
        yield base


def test_learner_practises_scores_retries_and_manager_sees_it(server: str, browser: Any) -> None:
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server, "lena@e2e.test")

    # start a rep from the library
    card = page.locator("article.scenario", has=page.locator("input[value='cs-renewal-discount']"))
    card.locator("select").select_option("easy")
    card.get_by_role("button", name="Start").click()
    page.wait_for_selector("#practice")
    rep_url = page.url
    assert page.locator(".turn.counterpart").count() == 1

    # practise: each line is posted, saved, and the reply streams into a new bubble
    ended = False
    for i, line in enumerate(LEARNER_LINES):
        before = page.locator(".turn.counterpart").count()
        page.fill("#say", line)
        page.keyboard.press("Enter")
        # the last reply comes after the rep is scored: on a loaded machine that can take a while
        page.locator(".turn.counterpart:not(.pending)").nth(before).wait_for(timeout=45_000)
        assert page.locator(".turn.learner").nth(i).inner_text().endswith(line)
        if page.locator("#ended").is_visible():
            ended = True
            break
    if ended:
        page.locator("#ended a").click()
    else:
        page.get_by_role("button", name="End and score").click()
    page.wait_for_url("**/scorecard")
    assert page.locator(".score-ring .big").inner_text().strip().isdigit()

    # selecting a criterion highlights its evidence turns in the transcript
    with_evidence = page.locator("button.criterion:not([data-evidence=''])").first
    with_evidence.click()
    assert with_evidence.get_attribute("aria-pressed") == "true"
    highlighted = page.locator("#transcript .turn.highlight")
    assert highlighted.count() >= 1
    wanted = set(with_evidence.get_attribute("data-evidence").split(","))
    got = {highlighted.nth(k).get_attribute("data-index") for k in range(highlighted.count())}
    assert got == wanted
    with_evidence.click()  # toggles off
    assert page.locator("#transcript .turn.highlight").count() == 0
    scorecard_url = page.url

    # retry from the second learner turn: a new rep with the turns before it
    page.locator(".turn.learner").nth(1).get_by_role("button", name="Retry from here").click()
    page.wait_for_selector("#practice")
    assert page.url != rep_url and "retry of rep" in page.inner_text("main")
    assert page.locator(".turn.learner").count() == 1
    page.fill("#say", "What would make this renewal an easy yes for Marcus?")
    page.get_by_role("button", name="Send").click()
    page.locator(".turn.counterpart:not(.pending)").nth(2).wait_for(timeout=15000)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")

    # the manager sees the rep on the team page and opens its scorecard
    sign_in(page, server, "max@e2e.test")
    page.goto(f"{server}/team")
    assert "Lena Learner" in page.inner_text("main")
    page.goto(scorecard_url)
    assert "Lena Learner" in page.inner_text("main")
    assert page.locator("#transcript .turn.learner").first.inner_text().find(LEARNER_LINES[0]) >= 0
    assert errors == []
    context.close()


class _BrokenPersona:
    """Opens like the embedded engine, then fails on every reply: the learner's line is saved unanswered."""

    name = "broken"

    def __init__(self) -> None:
        from sparring.persona.embedded import EmbeddedPersonaEngine

        self.inner = EmbeddedPersonaEngine()

    def open(self, *args: Any) -> Any:
        return self.inner.open(*args)

    def reply(self, *args: Any) -> Any:
        raise RuntimeError("provider down")


def test_a_line_left_without_a_reply_is_answered_when_the_page_opens(server: str, browser: Any,
                                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    """The page asks for the missing reply with a POST (a GET must not write) and streams it in."""
    from sparring.services.errors import EngineFailed
    from sparring.services.practice import PracticeService

    db_file = next(p for p in tmp_path_factory.getbasetemp().glob("e2e-data*/sparring.db"))
    database = Database(f"sqlite:///{db_file}")
    practice = PracticeService(database, persona=_BrokenPersona())  # type: ignore[arg-type]
    lena = Accounts(database).find_user("lena@e2e.test")
    rep = practice.start_rep(lena, "cs-renewal-discount", "easy")
    with pytest.raises(EngineFailed):
        practice.submit_turn(rep.id, "What would a good renewal look like for you?", lena.id)
    assert practice.get_rep(rep.id).awaiting_reply
    database.dispose()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server, "lena@e2e.test")
    page.goto(f"{server}/reps/{rep.id}")
    page.locator(".turn.counterpart:not(.pending)").nth(1).wait_for(timeout=15000)
    assert page.locator(".turn.counterpart").count() == 2
    assert not page.locator("#say").is_disabled()
    assert errors == []
    context.close()
