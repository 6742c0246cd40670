"""A spoken turn in Debian's Chromium (docs/voice.md): the practice page records from the microphone — Chromium's
fake capture device playing a WAV made with espeak-ng — ends the turn on the pause, sends the recording to the
Sparring server, which hears it offline; the heard line is sent (or held for a check) and the counterpart answers.
Every request outside loopback is refused, so a cloud recogniser could not be used even by accident. Skipped
without Chromium, the extra or espeak-ng (a failure when CI=true for the latter two)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sparring.testing.speech import heard, need_asr, synthesize_take
from sparring.testing.web import loopback_only, served_org, sign_in

CHROMIUM = "/usr/bin/chromium"
LINE = "What would change for your team if the renewal price stayed the same?"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_asr()
    data = tmp_path_factory.mktemp("voice-e2e")
    with served_org(data, "Harbour", [("ana@harbour.test", "learner", "Ana Silva")]) as base:
        yield base


def _chromium(take: Path) -> tuple[Any, Any]:
    from playwright.sync_api import sync_playwright

    p = sync_playwright().start()
    b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={take}%noloop", "--autoplay-policy=no-user-gesture-required"])
    return p, b


def _start_rep(page: Any) -> None:
    card = page.locator("article.scenario", has=page.locator("input[value='cs-renewal-discount']"))
    card.locator("select").select_option("easy")
    card.get_by_role("button", name="Start").click()
    page.wait_for_selector("#practice")


@dataclass
class Practice:
    """A practice page in Chromium whose microphone plays one take, signed in and on a new rep; what it asked for
    outside loopback, its script errors and its requests to the speech endpoints are collected."""

    page: Any
    outside: list[str]
    errors: list[str] = field(default_factory=list)
    speech: list[str] = field(default_factory=list)


@contextmanager
def _practice(server: str, take: Path) -> Iterator[Practice]:
    p, browser = _chromium(take)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["microphone"])
        found = Practice(page=context.new_page(), outside=loopback_only(context, server))
        found.page.on("pageerror", lambda e: found.errors.append(str(e)))
        found.page.on("request", lambda r: found.speech.append(r.method) if "/speech" in r.url else None)
        sign_in(found.page, server, "ana@harbour.test")
        _start_rep(found.page)
        found.page.locator("#mic").wait_for(state="visible", timeout=15_000)  # shown by the page's deferred script
        yield found
        context.close()
    finally:
        browser.close()
        p.stop()


@pytest.mark.parametrize("check_first", [False, True])
def test_speak_a_turn_heard_on_the_server(server: str, tmp_path: Path, check_first: bool) -> None:
    take = synthesize_take([LINE], tmp_path / "take.wav", lead=1.0)
    with _practice(server, take) as practice:
        page = practice.page
        mic = page.locator("#mic")
        assert mic.is_visible(), "the Speak button is shown when the server can hear recordings"
        if check_first:
            page.check("#check-heard")
        mic.click()
        if check_first:
            said = ""
            for _ in range(400):  # the page's CSP forbids wait_for_function's eval: poll the reply box instead
                said = page.input_value("#say")
                if len(said) > 10:
                    break
                page.wait_for_timeout(100)
            assert heard(said, LINE) >= 0.7, said
            assert page.locator(".turn.learner").count() == 0  # held for the learner's check
            page.fill("#say", LINE)  # the learner corrects what was misheard
            page.get_by_role("button", name="Send").click()
        page.locator(".turn.counterpart:not(.pending)").nth(1).wait_for(timeout=40_000)
        learner = page.locator(".turn.learner .text").first.inner_text()
        assert heard(learner, LINE) >= 0.7, learner
        assert page.is_checked("#speak")  # a learner who speaks hears the answers (speechSynthesis, local)
        rep_id = page.locator("#practice").get_attribute("data-rep")
        delivery = page.evaluate(f"fetch('/api/reps/{rep_id}/delivery').then(r => r.json())")
        marks = _heard_marks(page)
        page.screenshot(path=str(tmp_path / "voice.png"))
    assert delivery["delivery"] is not None and delivery["delivery"]["spoken_turns"] == 1, delivery
    assert delivery["delivery"]["words"] >= 8
    assert practice.outside == [], f"the page asked for non-loopback URLs: {practice.outside}"
    assert practice.errors == [], practice.errors
    # heard early (docs/voice.md, "Hearing early"): the take went to the server after the first pause, before the
    # turn ended, and that take was the one used; nothing was discarded
    assert [m["early"] for m in marks] == [True], marks
    assert practice.speech == ["POST"], practice.speech


def _heard_marks(page: Any) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = page.evaluate(
        "performance.getEntriesByName('sparring-heard').map(e => e.detail)")
    return marks


def test_a_learner_who_pauses_mid_turn_is_heard_whole(server: str, tmp_path: Path) -> None:
    """A pause longer than the early cut (0.4 s) and shorter than the end of the turn (1 s): the take heard early is
    discarded when the learner goes on, and the turn sent holds both halves."""
    first, second = "Before we talk about the price,", "what would a good renewal look like for your team?"
    take = synthesize_take([first, second], tmp_path / "take.wav", pause=0.7, lead=1.0)
    with _practice(server, take) as practice:
        page = practice.page
        page.locator("#mic").click()
        page.locator(".turn.counterpart:not(.pending)").nth(1).wait_for(timeout=40_000)
        learner = page.locator(".turn.learner .text").first.inner_text()
        for _ in range(50):  # the discarded take's DELETE goes out when its answer arrives
            if "DELETE" in practice.speech:
                break
            page.wait_for_timeout(100)
        rep_id = page.locator("#practice").get_attribute("data-rep")
        delivery = page.evaluate(f"fetch('/api/reps/{rep_id}/delivery').then(r => r.json())")
        marks = _heard_marks(page)
    assert heard(learner, first + " " + second) >= 0.7, learner
    # the early take, then the whole one; the early one's DELETE goes out when its answer arrives (before or after
    # the second is sent, as the timing falls)
    assert practice.speech[0] == "POST" and sorted(practice.speech) == ["DELETE", "POST", "POST"], practice.speech
    assert [m["early"] for m in marks] == [True], marks  # the second early take, after the whole turn
    assert delivery["delivery"]["spoken_turns"] == 1
    assert practice.outside == [] and practice.errors == [], (practice.outside, practice.errors)
