"""Call upload and review in Debian's Chromium: a manager uploads two call transcripts (one through the file input,
one dropped on the drop zone) with the rep guessed from each transcript, watches both imports finish (the server's
in-process job runner imports them), opens a review, and clicks and keys through the moments while the transcript
beside them scrolls to and highlights each moment's turns. Screenshots (desktop and a 390 px phone) go to the
test's temporary folder (``docs/screenshots/take.py`` makes the ones in the docs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.testing.web import served_org, sign_in

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
OBJECTIONS = ROOT / "corpus/calls/dev/cw1-objections-tallyhawk.srt"  # rep Owen Castellano
DISCOVERY = ROOT / "tests/fixtures/calls/zoom-discovery.vtt"  # rep Maya Chen

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_org(tmp_path_factory.mktemp("calls-e2e"), "Call Org", [
        ("max@calls.test", "manager", "Max Manager"),
        ("owen@calls.test", "learner", "Owen Castellano"),
        ("maya@calls.test", "learner", "Maya Chen"),
    ], settings={"jobs_poll_interval": 0.2}) as base:
        yield base


def _highlighted(page: Any) -> list[int]:
    return [int(i) for i in page.eval_on_selector_all("#transcript .turn.highlight",
                                                      "els => els.map(e => e.dataset.index)")]


def _active(page: Any) -> tuple[int, list[int]]:
    """The active moment's number and the turns it spans."""
    m = page.locator("#moments .moment.active")
    assert m.count() == 1
    start, end = int(m.get_attribute("data-start")), int(m.get_attribute("data-end"))
    return int(m.get_attribute("data-moment")), list(range(start, end + 1))


def _turn_in_view(page: Any, index: int) -> bool:
    return bool(page.evaluate("""(i) => { const box = document.getElementById('transcript');
        const t = document.getElementById('turn-' + i);
        const b = box.getBoundingClientRect(), r = t.getBoundingClientRect();
        return r.top >= b.top - 1 && r.top < b.bottom; }""", index))


def test_manager_uploads_two_calls_and_clicks_through_the_moments(server: str, browser: Any,
                                                                   tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server, "max@calls.test")
    page.get_by_role("link", name="Calls").first.click()
    page.wait_for_url("**/calls")
    page.get_by_role("link", name="Upload calls").click()
    page.wait_for_url("**/calls/upload")

    # one file through the file input, one dropped on the drop zone: both are kept in the input
    page.set_input_files("#files", str(OBJECTIONS))
    drop = page.evaluate_handle("""([name, text]) => { const dt = new DataTransfer();
        dt.items.add(new File([text], name, {type: 'text/vtt'})); return dt; }""",
                                [DISCOVERY.name, DISCOVERY.read_text(encoding="utf-8")])
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": drop})
    assert "2 files" in page.inner_text("#picked")
    assert page.eval_on_selector("#files", "i => i.files.length") == 2
    assert page.input_value("#rep") == "guess"
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    page.get_by_role("button", name="Upload and import").click()

    # progress per file until both are done, each with a link to its review
    done = page.locator("#upload-list .upload-item.done a")
    done.nth(1).wait_for(timeout=90_000)
    assert page.locator("#upload-list .upload-item.failed").count() == 0
    items = page.inner_text("#upload-list")
    assert OBJECTIONS.name in items and DISCOVERY.name in items
    page.screenshot(path=str(tmp_path / "upload-progress.png"), full_page=True)

    # the list shows both, with their reps, guessed from the transcripts
    page.goto(f"{server}/calls")
    table = page.inner_text("table")
    assert "Owen Castellano" in table and "Maya Chen" in table
    page.locator("tr", has_text="Owen Castellano").get_by_role("link", name="Review").click()
    page.wait_for_selector("#timeline .marker")

    markers = page.locator("#timeline .marker")
    count = markers.count()
    assert count >= 3
    # it opens on the pivotal moment, highlighted on the timeline and in the transcript
    pivotal = page.locator("#timeline .marker.pivotal")
    assert pivotal.count() == 1 and "active" in (pivotal.get_attribute("class") or "")
    n, turns = _active(page)
    assert page.locator("#moments .moment.active").get_attribute("class").count("pivotal") == 1
    assert _highlighted(page) == turns and _turn_in_view(page, turns[0])
    page.screenshot(path=str(tmp_path / "review.png"), full_page=False)

    # the previous and next buttons, then the keyboard, move moment by moment
    page.get_by_role("button", name="Previous moment").click() if n > 0 else page.get_by_role(
        "button", name="Next moment").click()
    moved, turns = _active(page)
    assert moved == (n - 1 if n > 0 else n + 1) and _highlighted(page) == turns and _turn_in_view(page, turns[0])
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    after_key, turns = _active(page)
    assert after_key == min(moved + 1, count - 1) and _highlighted(page) == turns
    page.keyboard.press("Home")  # not a moment key: nothing moves
    assert _active(page)[0] == after_key
    page.keyboard.press("k")
    assert _active(page)[0] == max(after_key - 1, 0)
    # clicking a marker selects its moment and scrolls the transcript to it
    markers.nth(count - 1).click()
    last, turns = _active(page)
    assert last == count - 1 and _highlighted(page) == turns and _turn_in_view(page, turns[0])
    assert "Moment " + str(count) + " of " + str(count) in page.inner_text("#moment-pos")
    assert page.get_by_role("button", name="Next moment").is_disabled()
    # the marker is a link a keyboard user reaches with Tab and opens with Enter
    markers.nth(0).focus()
    page.keyboard.press("Enter")
    assert _active(page)[0] == 0
    assert page.url.endswith("#moment-0")

    # a phone: one column, the timeline still fits
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, storage_state=context.storage_state())
    mobile = phone.new_page()
    mobile.on("pageerror", lambda e: errors.append(str(e)))
    mobile.goto(page.url.split("#")[0])
    mobile.wait_for_selector("#timeline .marker.active")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the review page scrolls sideways on a phone ({width}px)"
    mobile.screenshot(path=str(tmp_path / "review-phone.png"), full_page=False)
    mobile.goto(f"{server}/calls/upload")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 392
    mobile.goto(f"{server}/calls")
    mobile.screenshot(path=str(tmp_path / "calls-phone.png"), full_page=True)
    phone.close()
    print("screenshots in", tmp_path)
    assert errors == []
    context.close()
