"""The webhook admin pages in Debian's Chromium against a served app (its in-process job runner delivering): an
admin adds an endpoint with the form, opens it, presses "Send test event", and the signed ping reaches a receiver
on loopback and shows as delivered in the log; both pages fit a 390 px phone and a 1366 px desktop without
sideways scrolling and pass axe, and the desktop bar shows every admin link (Webhooks included) inside the window."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.services.accounts import Accounts
from sparring.store.db import Database
from sparring.testing.processes import served_web_app
from sparring.testing.web import PASSWORD, sign_in
from sparring.testing.webhook_receiver import WebhookReceiver

CHROMIUM = "/usr/bin/chromium"
ADMIN = "ada@acme.example"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("webhooks-e2e")
    database = Database(f"sqlite:///{data / 'sparring.db'}")
    Accounts(database).create_user("Acme", ADMIN, PASSWORD, role="admin", name="Ada")
    database.dispose()
    with served_web_app(data, {"webhooks_allow": "127.0.0.1", "jobs_poll_interval": 0.2}) as base:
        yield base


def _fits(page: Any, what: str) -> None:
    """No sideways scrolling, and axe-core (the test extra's ``axe-playwright-python``, evaluated with the CSP on)
    finds no serious or critical accessibility violation."""
    width, inner = page.evaluate("document.documentElement.scrollWidth"), page.evaluate("innerWidth")
    assert width <= inner, f"{what} is {width} px wide in a {inner} px window"
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        return
    page.evaluate((Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{what}: {bad}"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_an_admin_adds_an_endpoint_and_the_test_event_arrives(browser: Any, server: str, tmp_path: Path,
                                                              device: str) -> None:
    width = {"phone": 390, "desktop": 1366}[device]
    context = browser.new_context(viewport={"width": width, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    try:
        with WebhookReceiver() as receiver:
            sign_in(page, server, ADMIN)
            page.goto(f"{server}/admin/webhooks")
            _fits(page, "/admin/webhooks")
            if device == "desktop":
                links = page.locator("nav.wide-nav a")
                assert "Admin" in links.all_inner_texts()  # webhooks are under Admin → Integrations (a tab)
                assert page.locator("nav.admin-tabs a[aria-current=page]").inner_text() == "Integrations"
                for i in range(links.count()):
                    box = links.nth(i).bounding_box()
                    assert box is not None and box["x"] + box["width"] <= width, links.nth(i).inner_text()
            page.fill("#wh-url", receiver.url)
            page.fill("#wh-description", f"Receiver on the {device}")
            page.check("input[name='event:rep.scored']")
            page.click("form[action='/admin/webhooks'] button[type=submit]")
            page.get_by_role("link", name=f"Receiver on the {device}").click()
            receiver.secret = page.locator("#wh-secret").inner_text().strip()
            _fits(page, "the endpoint page")
            page.get_by_role("button", name="Send test event").click()
            deadline = time.monotonic() + 15
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.1)
            page.screenshot(path=str(tmp_path / f"webhook-{device}.png"), full_page=True)
        (ping,) = receiver.received
        assert ping.signature_ok and ping.json["type"] == "ping"
        page.reload()
        log = page.locator("section:has(h2:text('Deliveries')) tbody")
        assert "ping" in log.inner_text() and "delivered" in log.inner_text()
        _fits(page, "the endpoint page with its log")
    finally:
        context.close()
