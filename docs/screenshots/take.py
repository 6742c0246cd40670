"""Take the screenshots in this folder: seed the demo organisation in a temporary data directory, serve it on
loopback, and photograph the main pages in Debian's Chromium.

    .venv/bin/python docs/screenshots/take.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

OUT = Path(__file__).parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PASSWORD = "demo-harbour-lantern"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _login(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _shot(page: Page, name: str, full: bool = True) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    print("wrote", OUT / f"{name}.png")


def _both(page: Page, name: str) -> None:
    """The page at 1280 px (full height) and on a 390 px phone (``NAME-phone.png``, full height)."""
    _shot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    _shot(page, f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 820})
    page.reload()


def _calls(page: Page, base: str) -> None:
    """The manager uploads two calls for Ben (the rep's speaker guessed in each transcript), waits for the imports,
    and opens the review of the objections call (docs/calls.md, "In the browser")."""
    root = Path(__file__).resolve().parents[2]
    page.goto(f"{base}/calls/upload")
    page.select_option("#rep", label="Ben Okafor")
    page.set_input_files("#files", [str(root / "corpus/calls/dev/cw1-objections-tallyhawk.srt"),
                                    str(root / "corpus/calls/dev/cw1-renewal-harborline.vtt")])
    page.click("#upload-button")
    page.locator("#upload-list .upload-item.done a").nth(1).wait_for(timeout=120_000)
    _shot(page, "call-upload", full=False)
    page.goto(f"{base}/calls")
    _shot(page, "calls", full=False)
    page.locator("tr", has_text="tallyhawk").get_by_role("link", name="Review").click()
    page.wait_for_selector("#timeline .marker.active")
    page.get_by_role("button", name="Next moment").click()
    page.evaluate("window.scrollTo(0, document.getElementById('tl-h').getBoundingClientRect().top + scrollY - 12)")
    _shot(page, "call-review", full=False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, document.getElementById('tl-h').getBoundingClientRect().top + scrollY - 12)")
    _shot(page, "call-review-phone", full=False)
    page.set_viewport_size({"width": 1280, "height": 820})
    # from the pivotal moment to a drill assigned to Ben, then his next call closes the loop (docs/loops.md)
    pivotal = page.locator("li.moment.pivotal")
    pivotal.locator("summary", has_text="Make a drill from this moment").click()
    pivotal.scroll_into_view_if_needed()
    _shot(page, "call-drill", full=False)
    pivotal.get_by_role("button", name="Create the drill").click()
    page.wait_for_selector("#loops")
    page.goto(f"{base}/calls/upload")
    page.select_option("#rep", label="Ben Okafor")
    page.set_input_files("#files", [str(root / "corpus/calls/dev/cw1-expansion-quillmetric.vtt")])
    page.click("#upload-button")
    page.locator("#upload-list .upload-item.done a").first.click()
    page.wait_for_selector("#loops")
    page.evaluate("window.scrollTo(0, document.getElementById('loops').getBoundingClientRect().top + scrollY - 12)")
    _shot(page, "call-loop", full=False)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sparring-shots-") as tmp:
        env = {**os.environ, "SPARRING_DATA_DIR": tmp}
        env.pop("SPARRING_DATABASE_URL", None)
        subprocess.run([str(Path(sys.executable).parent / "sparring"), "demo", "--no-serve"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        port = _port()
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "sparring.web.asgi:app", "--host", "127.0.0.1",
                                 "--port", str(port), "--log-level", "warning"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 820})
                page.goto(f"{base}/login")
                _shot(page, "login", full=False)
                _login(page, base, "ava@northwind.example")
                _both(page, "library")
                page.goto(f"{base}/history")
                page.locator("table a", has_text="Open").first.click()
                page.wait_for_load_state("networkidle")
                page.locator("button.criterion:not([data-evidence=''])").nth(1).click()
                page.wait_for_timeout(600)
                page.evaluate("window.scrollTo(0, 0)")
                _shot(page, "scorecard")
                page.goto(f"{base}/progress")
                _both(page, "progress")
                page.goto(f"{base}/lines")
                _shot(page, "winning-lines", full=False)
                page.goto(f"{base}/")
                card = page.locator("article.scenario").first
                card.get_by_role("button", name="Start").click()
                page.wait_for_selector("#practice")
                for line in ["Thanks for making the time. What would a good outcome look like for you this year?",
                             "That makes sense. What is driving the pressure most right now?"]:
                    before = page.locator(".turn.counterpart:not(.pending)").count()
                    page.fill("#say", line)
                    page.keyboard.press("Enter")
                    page.locator(".turn.counterpart:not(.pending)").nth(before).wait_for()
                _shot(page, "practice", full=False)
                page.set_viewport_size({"width": 390, "height": 844})
                _shot(page, "practice-phone", full=False)
                page.locator("details.menu summary").click()
                _shot(page, "menu-phone", full=False)
                page.set_viewport_size({"width": 1280, "height": 820})
                _login(page, base, "manager@northwind.example")
                page.goto(f"{base}/team")
                _both(page, "team-dashboard")
                page.locator("table a").first.click()
                page.wait_for_load_state("networkidle")
                _both(page, "learner-drill-down")
                _calls(page, base)
                _login(page, base, "admin@northwind.example")
                page.goto(f"{base}/admin/content/edit?kind=rubric&id=renewal-value")
                # the YAML is in CodeMirror (the textarea is hidden): paste the broken text as a person would
                broken = page.input_value("#yaml").replace("kind: check", "kind: chek", 1)
                page.locator(".cm-content").click()
                page.keyboard.press("Control+a")
                page.keyboard.insert_text(broken)
                page.locator(".problems .line-link").first.wait_for()  # the problem list names the line
                page.locator(".problems .line-link").first.click()
                _shot(page, "content-editor", full=False)
                page.goto(f"{base}/admin/users")
                _shot(page, "people")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
