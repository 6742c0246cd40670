"""Every main page on a 390 px phone and a 1366 px desktop, in Debian's Chromium over the seeded demo organisation
(learner, manager and admin views): no sideways scrolling of the page, the navigation reachable (a "Menu"
disclosure on the phone, every link inside the viewport on the desktop), the practice page's brief above the chat
and collapsible with a reply box of usable width, and axe-core (from the ``axe-playwright-python`` package of the
``test`` extra, evaluated in the page with the CSP left on) finding no serious or critical accessibility
violation. Screenshots go to the test's temporary
folder, or to ``SPARRING_SHOTS_DIR`` when set."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.services.demo import DEMO_PASSWORD, seed_demo
from sparring.store.db import Database
from sparring.testing.processes import served_web_app
from sparring.testing.web import sign_in

CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"phone": 390, "desktop": 1366}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

#: role -> (demo login, the pages to visit); "{rep}", "{learner}" are filled in from the seeded data
PAGES = {
    "learner": ("ava@northwind.example",
                ["/", "/history", "/progress", "/lines", "/lines/review", "/assignments", "/calls", "/notifications",
                 "/account", "/account/sessions", "/reps/{rep}/scorecard", "/reps/{open_rep}"]),
    "manager": ("manager@northwind.example",
                ["/team", "/team/learners/{learner}", "/team/insights", "/team/assignments", "/team/lines",
                 "/programs", "/exports", "/calls", "/calls/upload"]),
    "admin": ("admin@northwind.example",
              ["/admin/content", "/admin/content/edit?kind=rubric&id=renewal-value", "/admin/users", "/admin/jobs",
               "/admin/tokens", "/admin/xapi", "/admin/integrations", "/admin/audit", "/admin/data", "/team"]),
}


def _axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        if os.environ.get("CI"):
            raise AssertionError("axe-playwright-python is missing: pip install -e '.[test]'")
        pytest.skip("axe-playwright-python is missing (the test extra: pip install -e '.[test]')")
    return Path(spec.origin).parent / "axe.min.js"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("responsive-e2e")
    database = Database(f"sqlite:///{data / 'sparring.db'}")
    seed_demo(database)
    database.dispose()
    with served_web_app(data) as base:
        yield base


def _sign_in(page: Any, base: str, email: str) -> None:
    sign_in(page, base, email, DEMO_PASSWORD)


def _too_wide(page: Any, path: str) -> str | None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("innerWidth")
    if width <= inner:
        return None
    # the outermost elements that stick out, to say what to fix
    culprits = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1
                     && !(e.parentElement && e.parentElement.getBoundingClientRect().right > innerWidth + 1))
        .slice(0, 4).map(e => e.tagName.toLowerCase()
                              + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                              + ' in ' + e.parentElement.tagName.toLowerCase()
                              + (e.parentElement.className ? '.' + String(e.parentElement.className) : ''))""")
    return f"{path} is {width} px wide in a {inner} px window (the page scrolls sideways): {culprits}"


def _fits(page: Any, path: str) -> None:
    problem = _too_wide(page, path)
    assert problem is None, problem


def _axe_problems(page: Any, script: Path, path: str) -> str | None:
    # evaluated through the DevTools protocol: a <script> tag (page.add_script_tag) is an inline script that the
    # app's own CSP (script-src 'self') blocks, and the test keeps the CSP on
    page.evaluate(script.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    detail = "; ".join(f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in bad)
    return f"{path}: {detail}" if bad else None


def _fill(path: str, ids: dict[str, str]) -> str:
    for key, value in ids.items():
        path = path.replace("{" + key + "}", value)
    return path


def _ids(page: Any, base: str) -> dict[str, str]:
    """A scored rep and an open one of the learner's (starting one), and a learner of the manager's team."""
    page.goto(f"{base}/history")
    scored = page.locator("table a", has_text="Open").first.get_attribute("href")
    page.goto(f"{base}/")
    page.locator("article.scenario").first.get_by_role("button", name="Start").click()
    page.wait_for_url(f"{base}/reps/*")
    return {"rep": scored.split("/")[2], "open_rep": page.url.rstrip("/").split("/")[-1]}


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_every_main_page_fits_and_passes_axe(browser: Any, server: str, tmp_path: Path, device: str) -> None:
    script = _axe_script()
    width = WIDTHS[device]
    out = Path(os.environ.get("SPARRING_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 844 if device == "phone" else 820},
                                  device_scale_factor=1)
    page = context.new_page()
    try:
        ids: dict[str, str] = {}
        problems: list[str] = []  # every page is checked, then every problem reported at once
        for role, (email, paths) in PAGES.items():
            _sign_in(page, server, email)
            if role == "learner":
                ids.update(_ids(page, server))
            if role == "manager":
                page.goto(f"{server}/team")
                href = page.locator("section:has(h2:text('Learners')) tbody a").first.get_attribute("href")
                ids["learner"] = href.rstrip("/").split("/")[-1]
            for raw in paths:
                path = _fill(raw, ids)
                response = page.goto(f"{server}{path}")
                assert response is not None and response.status == 200, path
                page.wait_for_load_state("networkidle")
                assert page.title().endswith("· Sparring") and len(page.title()) > len("· Sparring"), path
                problems += [p for p in (_too_wide(page, path), _axe_problems(page, script, path)) if p]
                if device == "phone" or path in ("/progress", "/team", "/team/insights", "/admin/jobs",
                                                     "/admin/xapi"):
                    name = path.strip("/").replace("/", "-").split("?")[0] or "library"
                    page.screenshot(path=str(out / f"check-{role}-{name}-{device}.png"), full_page=True)
            if role == "learner":
                _check_nav(page, server, device)
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def _check_nav(page: Any, base: str, device: str) -> None:
    """On the phone the links are in the "Menu" disclosure, inside the screen when open; on the desktop every link
    of the bar is visible and inside the window."""
    page.goto(f"{base}/progress")
    width = page.evaluate("innerWidth")
    wide = page.locator("nav.wide-nav a")
    menu = page.locator("details.menu")
    if device == "phone":
        assert not wide.first.is_visible() and menu.is_visible()
        menu.locator("summary").click()
        links = menu.locator("nav a")
        assert links.count() >= 7
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, links.nth(i).inner_text()
        assert menu.get_by_role("link", name="Progress").get_attribute("aria-current") == "page"
        menu.get_by_role("link", name="History").click()
        page.wait_for_url(f"{base}/history")
    else:
        assert not menu.is_visible() and wide.count() >= 6
        for i in range(wide.count()):
            box = wide.nth(i).bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, wide.nth(i).inner_text()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_practice_page_brief_first_and_a_usable_reply_box(browser: Any, server: str, tmp_path: Path,
                                                         device: str) -> None:
    width = WIDTHS[device]
    context = browser.new_context(viewport={"width": width, "height": 844 if device == "phone" else 820},
                                  device_scale_factor=1)
    page = context.new_page()
    try:
        _sign_in(page, server, "ben@northwind.example")
        page.locator("article.scenario").first.get_by_role("button", name="Start").click()
        page.wait_for_url(f"{server}/reps/*")
        chat = page.locator("#practice").bounding_box()
        brief = page.locator("details.brief").bounding_box()
        box = page.locator("#say").bounding_box()
        assert chat and brief and box
        if device == "phone":  # the brief above the chat, the reply box nearly as wide as the chat
            assert brief["y"] + brief["height"] <= chat["y"]
            assert box["width"] >= 0.85 * (chat["width"] - 40), box
        else:  # side by side: the chat on the left, the brief on the right
            assert brief["x"] >= chat["x"] + chat["width"] and abs(brief["y"] - chat["y"]) < 2
            assert box["width"] >= 300
        text = page.locator("details.brief > p").first
        assert text.is_visible()
        page.locator("details.brief summary").click()
        assert not text.is_visible()  # collapsed: the chat moves up on a phone
        page.locator("details.brief summary").click()
        before = page.locator(".turn.counterpart:not(.pending)").count()
        page.fill("#say", "What would a good outcome look like for you this year?")
        page.keyboard.press("Enter")
        page.locator(".turn.counterpart:not(.pending)").nth(before).wait_for()
        _fits(page, "/reps/…")
    finally:
        context.close()
