"""The content editor in Debian's Chromium, over the seeded demo organisation, with the app's CSP on and every
non-loopback request refused: CodeMirror (vendored, no CDN) shows the YAML with line numbers; a broken draft gets
an inline error at its line; the Form tab edits the title into the YAML; "Try it" plays the draft; the draft
publishes. axe-core finds no serious or critical violation at 390 px or 1366 px, and nothing scrolls sideways.
Screenshots go to the test's temporary folder, or to ``SPARRING_SHOTS_DIR`` (docs/screenshots) when set."""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from sparring.services import authoring
from sparring.testing.web import loopback_only, served_org, sign_in

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


ADMIN = "ada@harbour.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_org(tmp_path_factory.mktemp("editor-e2e"), "Harbour", [(ADMIN, "admin", "Ada Admin")]) as base:
        yield base


def _axe(page: Any) -> list[str]:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        if os.environ.get("CI"):
            raise AssertionError("axe-playwright-python is missing: pip install -e '.[test]'")
        pytest.skip("axe-playwright-python is missing (the test extra)")
    page.evaluate((Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8"))  # not a <script>: CSP
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def _set_yaml(page: Any, text: str) -> None:
    """Replace the editor's text as a person would paste it (CodeMirror's content is a contenteditable)."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_editor_line_numbers_inline_error_form_view_try_it_and_publish(browser: Any, server: str,
                                                                        tmp_path: Path) -> None:
    shots = Path(os.environ.get("SPARRING_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, device_scale_factor=1)
    refused = loopback_only(context, server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in(page, server, ADMIN)
        page.goto(f"{server}/admin/content/edit?kind=scenario&template=sales-pricing-pushback")
        page.wait_for_selector(".cm-editor")
        assert not page.locator("textarea#yaml").is_visible()  # the code editor took its place
        template = authoring.template_text("sales-pricing-pushback")
        assert template is not None
        numbers = page.locator(".cm-lineNumbers .cm-gutterElement")
        shown = [numbers.nth(i).inner_text() for i in range(numbers.count())]
        assert "1" in shown and "20" in shown, shown  # numbered, and tall enough for 20 lines
        assert page.locator(".cm-content .tok-keyword, .cm-content [class*='tok-'], .cm-content span").count() > 20

        # an unknown rubric: the problem appears inline at its line, and in the list with a link to it
        broken = template.replace("id: new-pricing-pushback", "id: browser-pricing").replace(
            "rubric: sales-objection-handling", "rubric: no-such-rubric")
        line = _line_of(broken, "rubric: no-such-rubric")
        _set_yaml(page, broken)
        page.wait_for_selector(".cm-lintRange-error")
        marked = page.locator(".cm-line:has(.cm-lintRange-error)")
        assert marked.count() == 1 and marked.inner_text() == "rubric: no-such-rubric"
        assert page.locator(".cm-lint-marker-error").count() == 1
        gutter_box = page.locator(".cm-lint-marker-error").bounding_box()
        line_box = marked.bounding_box()
        assert gutter_box and line_box and abs(gutter_box["y"] - line_box["y"]) < line_box["height"]
        assert f"line {line}" in page.locator("#validation").inner_text()
        assert "unknown rubric 'no-such-rubric'" in page.locator("#validation").inner_text()
        page.get_by_role("button", name=f"Go to line {line}").click()  # the problem's link puts the cursor there
        expect(page.locator(".cm-activeLine")).to_have_text("rubric: no-such-rubric")
        page.locator("#editor-form").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "content-editor.png"), full_page=False)

        # a syntax error points at its line too
        _set_yaml(page, broken.replace("title: \"Pricing pushback", "title: [\"Pricing pushback", 1))
        expect(page.locator("#validation")).to_contain_text("syntax error")
        page.wait_for_selector(".cm-lintRange-error")

        # fixed again, then the title edited in the form view is written into the YAML
        _set_yaml(page, broken.replace("rubric: no-such-rubric", "rubric: sales-objection-handling"))
        expect(page.locator("#validation")).to_contain_text("Valid scenario")
        assert page.locator(".cm-lintRange-error").count() == 0
        page.get_by_role("tab", name="Form").click()
        title = page.get_by_label("Title")
        expect(title).to_have_value(re.compile(r"^Pricing pushback"))
        assert page.get_by_label("Persona name").input_value() == "Maria Lopez"
        title.fill("Browser pricing: budget pushback")
        expect(page.locator("#yaml")).to_have_value(re.compile(r'^title: "Browser pricing: budget pushback"$', re.M))
        expect(page.locator("#validation")).to_contain_text("Valid scenario “browser-pricing”")
        assert _axe(page) == []

        # try it: the persona opens and answers, nothing is stored
        page.get_by_role("button", name="Start").click()
        page.wait_for_selector("#try-log .turn.counterpart")
        page.get_by_label("Your line").fill("What is the forty-five thousand based on?")
        page.get_by_role("button", name="Say").click()
        expect(page.locator("#try-log .turn")).to_have_count(3)
        assert "old tool" in page.locator("#try-log .turn.counterpart").nth(1).inner_text()

        # the phone: fits, passes axe
        page.set_viewport_size({"width": 390, "height": 844})
        for tab in ("Form", "YAML"):  # the form view (as photographed), then the code editor
            page.get_by_role("tab", name=tab).click()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the editor page ({tab}) is {width} px wide on a 390 px phone"
            assert _axe(page) == [], tab
            if tab == "Form":
                page.locator("#editor-form").evaluate("e => e.scrollIntoView()")
                page.screenshot(path=str(shots / "content-editor-phone.png"), full_page=False)
        page.set_viewport_size({"width": 1366, "height": 900})

        # publish: the form's edit went into what is published
        page.get_by_role("button", name="Run tests and publish").click()
        page.wait_for_url("**/admin/content/edit?kind=scenario&id=browser-pricing")
        assert "Published scenario 'browser-pricing'" in page.locator(".flash").inner_text()
        assert "Browser pricing: budget pushback" in page.locator("#yaml").input_value()

        # a rubric: the code editor without the scenario's tabs, fitting and passing axe on both widths
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 844})
            page.goto(f"{server}/admin/content/edit?kind=rubric&id=renewal-value")
            page.wait_for_selector(".cm-editor")
            expect(page.locator("#validation")).to_contain_text("Valid rubric")
            assert page.locator('[role="tab"]').count() == 0 and page.locator("#try").count() == 0
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert _axe(page) == [], width
        assert refused == [] and errors == [], (refused, errors)
    finally:
        context.close()


def test_without_javascript_the_textarea_form_still_publishes(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    refused = loopback_only(context, server)
    page = context.new_page()
    try:
        sign_in(page, server, ADMIN)
        page.goto(f"{server}/admin/content/edit?kind=scenario&template=manager-feedback")
        area = page.get_by_role("textbox", name="YAML")
        assert area.is_visible() and page.locator(".cm-editor").count() == 0
        assert not page.locator('[role="tablist"]').is_visible() and not page.locator("#try").is_visible()
        area.fill(area.input_value().replace("id: new-feedback-conversation", "id: no-script-feedback"))
        page.get_by_role("button", name="Run tests and publish").click()
        page.wait_for_url("**/admin/content/edit?kind=scenario&id=no-script-feedback")
        assert "Published scenario 'no-script-feedback'" in page.locator(".flash").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert refused == []
    finally:
        context.close()
