"""The counterpart speaks in its persona's voice (docs/voice.md, "The counterpart's voice"), in Debian's Chromium:
the practice page carries the scenario's ``persona.voice``; a reply read aloud goes to the browser's own
speechSynthesis with that voice's pitch and pace, spoken by the device voice that fits the persona's language and
gender hint, the same one every time. Headless Chromium has no voices of its own, so the test gives the page a
``speechSynthesis`` that lists a few (named as the big platforms name theirs) and records what it is asked to say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.testing.web import served_org, sign_in

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

#: a device's voices, and a speechSynthesis that records each utterance instead of playing it
FAKE_SPEECH = """
(() => {
  const voices = [
    {name: "Google UK English Female", lang: "en-GB", localService: true},
    {name: "Google UK English Male", lang: "en-GB", localService: true},
    {name: "Microsoft Zira - English (United States)", lang: "en-US", localService: true},
    {name: "Microsoft David - English (United States)", lang: "en-US", localService: true},
    {name: "Microsoft Mark - English (United States)", lang: "en-US", localService: true},
    {name: "Cloud Aria (United States)", lang: "en-US", localService: false},
    {name: "Google Deutsch", lang: "de-DE", localService: true},
  ];
  window.__spoken = [];
  class Utterance { constructor(text) { this.text = text; this.voice = null; this.pitch = 1; this.rate = 1; } }
  window.SpeechSynthesisUtterance = Utterance;
  const synth = {
    speaking: false,
    getVoices: () => voices,
    cancel: () => {},
    speak: (u) => {
      window.__spoken.push({text: u.text, voice: u.voice && u.voice.name, pitch: u.pitch, rate: u.rate,
                            lang: u.lang});
      if (u.onend) setTimeout(u.onend, 0);
    },
  };
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
})();
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("persona-voice")
    with served_org(data, "Harbour", [("ana@harbour.test", "learner", "Ana Silva")]) as base:
        yield base


def _practise(page: Any, base: str, scenario: str) -> None:
    sign_in(page, base, "ana@harbour.test")
    card = page.locator("article.scenario", has=page.locator(f"input[value='{scenario}']"))
    card.get_by_role("button", name="Start").click()
    page.wait_for_selector("#practice")


def _say(page: Any, line: str, replies: int) -> list[dict[str, Any]]:
    page.fill("#say", line)
    page.get_by_role("button", name="Send").click()
    page.locator(".turn.counterpart:not(.pending)").nth(replies).wait_for(timeout=30_000)
    spoken: list[dict[str, Any]] = page.evaluate("window.__spoken")
    return spoken


@pytest.mark.parametrize(("scenario", "voice", "pitch", "rate"), [
    # Daniel Okafor: {lang: en-US, gender: male, pitch: 0.9, rate: 1.05}
    ("sales-pricing-objection", {"Microsoft David - English (United States)",
                                 "Microsoft Mark - English (United States)"}, 0.9, 1.05),
    # Margaret Lindqvist: {lang: en-GB, gender: female, pitch: 0.95, rate: 0.95}
    ("sales-competitor-displacement", {"Google UK English Female"}, 0.95, 0.95),
])
def test_replies_are_read_in_the_personas_voice(browser: Any, server: str, scenario: str, voice: set[str],
                                                pitch: float, rate: float) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _practise(page, server, scenario)
        page.check("#speak")
        first = _say(page, "Thanks for making the time. What matters most to you in this decision?", 1)
        second = _say(page, "Could you say more about how you would judge that?", 2)
    finally:
        context.close()
    assert errors == [], errors
    assert len(first) == 1 and len(second) == 2, second
    for said in second:
        assert said["voice"] in voice and said["pitch"] == pytest.approx(pitch) and said["rate"] == pytest.approx(rate)
    assert second[0]["voice"] == second[1]["voice"]  # the same voice for the same persona, turn after turn
    assert second[0]["lang"] in ("en-US", "en-GB")


def test_the_voice_choice(browser: Any, server: str) -> None:
    """``SparringVoice.pick`` on its own: the language first (exact, then the same base language), then a local
    voice, then the gender hint; nothing when no voice speaks the language; stable for a persona."""
    context = browser.new_context()
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    try:
        _practise(page, server, "cs-renewal-discount")
        pick = ("([lang, gender, persona]) => { const v = SparringVoice.pick(speechSynthesis.getVoices(), "
                "{lang, gender}, persona); return v && v.name; }")
        assert page.evaluate(pick, ["en-GB", "male", "A"]) == "Google UK English Male"
        assert page.evaluate(pick, ["en-AU", "female", "A"]) == "Google UK English Female" or \
            page.evaluate(pick, ["en-AU", "female", "A"]) == "Microsoft Zira - English (United States)"
        assert page.evaluate(pick, ["en-US", "female", "A"]) == "Microsoft Zira - English (United States)"  # local
        assert page.evaluate(pick, ["fr-FR", "any", "A"]) is None
        names = {page.evaluate(pick, ["en-US", "any", p]) for p in ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay")}
        assert len(names) > 1 and "Cloud Aria (United States)" not in names
        assert page.evaluate(pick, ["en-US", "any", "Ana"]) == page.evaluate(pick, ["en-US", "any", "Ana"])
        settings = page.evaluate("SparringVoice.settings(document.getElementById('practice'))")
        assert settings == {"lang": "en-US", "gender": "female", "pitch": 1.0, "rate": 1.0}  # Nadia Brooks
    finally:
        context.close()


@pytest.fixture(scope="module")
def server_voice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server that speaks the replies itself: piper with the packaged voice when the ``[tts]`` extra is installed
    (as ``./dev test`` installs it), else the piper protocol double."""
    import sys

    from sparring.tts.piper import packaged_voice, piper_missing

    data = tmp_path_factory.mktemp("server-voice")
    settings: dict[str, object] = {"tts": "piper"}
    if piper_missing() or packaged_voice() is None:
        model = data / "voice.onnx"
        model.write_bytes(b"model")
        settings.update(tts_command=f"{sys.executable} -m sparring.testing.fake_piper",
                        tts_voices=f'{{"any": "{model}"}}')
    with served_org(data, "Harbour", [("ana@harbour.test", "learner", "Ana Silva")], settings=settings) as base:
        yield base


def test_the_server_voice_reads_the_replies(browser: Any, server_voice: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    audio: list[tuple[str, int, str]] = []
    page.on("response", lambda r: audio.append((r.url, r.status, r.headers.get("content-type", "")))
            if "/audio" in r.url else None)
    try:
        _practise(page, server_voice, "sales-pricing-objection")
        assert page.get_attribute("#practice", "data-tts") == "server"
        page.check("#speak")
        spoken = _say(page, "Thanks for making the time. What matters most to you in this decision?", 1)
        for _ in range(300):  # the page fetches the reply's audio after the reply is shown (piper starts first)
            if audio:
                break
            page.wait_for_timeout(100)
    finally:
        context.close()
    assert spoken == []  # not the browser's voice
    assert len(audio) == 1 and audio[0][1] == 200 and audio[0][2] == "audio/wav", audio
    assert audio[0][0].endswith("/turns/2/audio")  # the opening line, the learner's line, the reply
