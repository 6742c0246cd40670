"""The whole review-to-practice loop in Debian's Chromium (issue 13): a manager uploads a rep's real call, opens its
review, makes a drill from the price-objection moment and assigns it ("run it twice, submit your best"); the rep
finds it in their inbox, practises it twice and submits the better rep; the manager uploads the rep's next call, and
its review shows the coaching loop closed with a verdict and the numbers behind it (the drill reps among them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.testing.web import served_org, sign_in

CHROMIUM = "/usr/bin/chromium"
LOOPS = Path(__file__).resolve().parents[1] / "fixtures" / "loops"
#: the rep in the drill: explores the price pushback instead of defending the price, then asks for a next step
DRILL_LINES = [
    "Before I defend the number, can you tell me what makes it feel too expensive right now?",
    "Compared with what, another quote you have, or the budget you set aside for this year?",
    "So the worry is paying for parts you will not use yet. What would a price that works look like for you?",
    "Could we look together at what you would use in the first six months, say thirty minutes on Thursday?",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_org(tmp_path_factory.mktemp("loop-e2e"), "Loop Org", [
        ("max@loop.test", "manager", "Max Manager"),
        ("priya@loop.test", "learner", "Priya Shah"),
    ], settings={"jobs_poll_interval": 0.2}) as base:
        yield base


def _upload(page: Any, base: str, name: str) -> None:
    """Upload one call for Priya and open its review once it is imported."""
    page.goto(f"{base}/calls/upload")
    page.select_option("#rep", label="Priya Shah")
    page.select_option("#rubric", "sales-objection-handling")
    page.set_input_files("#files", str(LOOPS / name))
    page.click("#upload-button")
    page.locator("#upload-list .upload-item.done a", has_text="Review").first.click(timeout=120_000)
    page.wait_for_selector("h2#tr-h")


def _practise(page: Any) -> None:
    """One drill rep from the inbox, played to its end (or ended after the lines) and scored."""
    page.get_by_role("button", name="Start practising").or_(page.get_by_role("button", name="Practise again")).click()
    page.wait_for_selector("#practice")
    for line in DRILL_LINES:
        before = page.locator(".turn.counterpart").count()
        page.fill("#say", line)
        page.keyboard.press("Enter")
        page.locator(".turn.counterpart:not(.pending)").nth(before).wait_for(timeout=20_000)
        if page.locator("#ended").is_visible():
            break
    if page.locator("#ended").is_visible():
        page.locator("#ended a").click()
    else:
        page.get_by_role("button", name="End and score").click()
    page.wait_for_url("**/scorecard")


def test_call_to_moment_to_drill_to_reps_to_next_call_verdict(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # the manager imports Priya's call and makes a drill from its price-objection moment
    sign_in(page, server, "max@loop.test")
    _upload(page, server, "first-call-missed.txt")
    first_call = page.url
    moment = page.locator("li.moment", has_text="Objection").first
    moment.locator("summary", has_text="Make a drill from this moment").click()
    moment.locator("input[name=reps]").fill("2")
    moment.get_by_role("button", name="Create the drill").click()
    page.wait_for_selector("#loops")
    loops = page.locator("#loops").inner_text()
    assert "Waiting for Priya Shah's next imported call." in loops and "drill-" in loops

    # Priya practises the drill twice from her inbox and submits her best
    sign_in(page, server, "priya@loop.test")
    for _ in range(2):
        page.goto(f"{server}/assignments")
        assert "A drill from a moment of your call" in page.inner_text("main")
        _practise(page)
    page.goto(f"{server}/assignments")
    assert "2 of 2" in page.inner_text("main")
    page.get_by_role("button", name="Submit as my best").first.click()
    page.wait_for_load_state("networkidle")
    assert "submitted rep" in page.inner_text("main")

    # the next real call closes the loop: its review shows the verdict, the numbers and the next step
    sign_in(page, server, "max@loop.test")
    _upload(page, server, "next-call-improved.txt")
    panel = page.locator("#loops")
    panel.wait_for()
    text = panel.inner_text()
    assert "Closed by this call." in text and "Next step:" in text
    verdict = panel.locator(".badge.verdict").inner_text().strip()
    assert verdict in ("improved", "not improved", "not enough evidence")
    row = panel.locator("table.numbers tbody tr").first.inner_text()
    assert "2 reps" in row, row  # both drill reps count, with their mean
    page.goto(first_call)
    assert "Closed by" in page.locator("#loops").inner_text()
    page.goto(f"{server}/notifications")
    assert "next call" in page.inner_text("main")
    assert errors == []
    context.close()
