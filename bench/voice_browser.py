"""Benchmark: a spoken practice turn in a real browser, from the end of the learner's speech to the counterpart's
reply being ready to speak (issue 15 target: p95 <= 1.5 s to the first audio of the reply, embedded persona, 2 cores).

    .venv/bin/python bench/voice_browser.py [--turns 12] [--json]

``bench/voice.py`` times the server's stages and adds the page's waits; this one runs the page itself: Debian's
Chromium with its fake microphone playing one learner turn (espeak-ng, the lines of ``bench/voice.py``), the served
app over SQLite, one new rep per turn. The page's own User Timing marks give the numbers: ``sparring-heard``
carries when the microphone last heard voice (``speechEnded``, the recorder's 50 ms check) and whether the take
heard early was used; ``sparring-reply`` is set when the reply is complete and handed to ``speechSynthesis``. What
the learner waits for is the difference: the end-of-turn wait, the upload, hearing, the turn and its streamed
answer, all as the page does them. Not included: ``speechSynthesis`` starting to speak (local; tens of ms).
The end of speech is the last 50 ms check that heard voice, so each number may be up to ~50 ms short (or ~20 ms
long: the level is read over a 21 ms window). Needs Chromium, Playwright, the ``[voice]`` extra and espeak-ng.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from voice import LINES, show, spread

from sparring.testing.speech import missing, synthesize_take
from sparring.testing.web import loopback_only, served_org, sign_in

CHROMIUM = "/usr/bin/chromium"


def one_turn(base: str, take: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={take}%noloop", "--autoplay-policy=no-user-gesture-required"])
        try:
            context = browser.new_context(permissions=["microphone"])
            loopback_only(context, base)
            page = context.new_page()
            sign_in(page, base, "ana@harbour.test")
            card = page.locator("article.scenario", has=page.locator("input[value='cs-renewal-discount']"))
            card.locator("select").select_option("medium")
            card.get_by_role("button", name="Start").click()
            page.wait_for_selector("#practice")
            page.locator("#mic").wait_for(state="visible", timeout=15_000)
            page.locator("#mic").click()
            page.locator(".turn.counterpart:not(.pending)").nth(1).wait_for(timeout=60_000)
            found: dict[str, Any] = page.evaluate("""(() => {
                const heard = performance.getEntriesByName('sparring-heard')[0];
                const reply = performance.getEntriesByName('sparring-reply').slice(-1)[0];
                const posts = performance.getEntriesByType('resource').filter(e => e.name.endsWith('/speech'));
                const post = posts.slice(-1)[0];
                return {early: heard.detail.early, speechEnded: heard.detail.speechEnded,
                        heardAt: heard.startTime, replyAt: reply.startTime,
                        postStart: post ? post.startTime : null, postEnd: post ? post.responseEnd : null};
            })()""")
            context.close()
        finally:
            browser.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if missing() or not Path(CHROMIUM).exists():
        print(f"needs {missing() or CHROMIUM} (apt-get install espeak-ng sox chromium)", file=sys.stderr)
        return 2
    totals: list[float] = []
    to_heard: list[float] = []
    early: list[bool] = []
    sent: list[float] = []  # end of speech -> the take used goes out
    uploads: list[float] = []  # its request: upload, hearing, answer
    with tempfile.TemporaryDirectory(prefix="sparring-voice-browser-") as tmp, \
            served_org(Path(tmp) / "data", "Harbour", [("ana@harbour.test", "learner", "Ana Silva")]) as base:
        one_turn(base, synthesize_take(["Hello there."], Path(tmp) / "warm.wav", lead=1.0))  # model load
        for i in range(args.turns):
            take = synthesize_take([LINES[i % len(LINES)]], Path(tmp) / f"t{i}.wav", lead=1.2)
            found = one_turn(base, take)
            totals.append((found["replyAt"] - found["speechEnded"]) / 1000)
            if found["postStart"] is not None:
                sent.append((found["postStart"] - found["speechEnded"]) / 1000)
                uploads.append((found["postEnd"] - found["postStart"]) / 1000)
            to_heard.append((found["heardAt"] - found["speechEnded"]) / 1000)
            early.append(bool(found["early"]))
    out: dict[str, Any] = {
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "turns": len(totals),
        "heard_early": sum(early),
        "speech_end_to_take_sent_s": spread(sent) if sent else None,
        "hearing_request_s": spread(uploads) if uploads else None,
        "speech_end_to_heard_s": spread(to_heard),
        "speech_end_to_reply_s": {**spread(totals), "max": round(max(totals), 3)},
        "target_p95_s": 1.5,
    }
    show(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
