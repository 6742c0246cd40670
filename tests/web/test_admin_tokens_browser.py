"""The API tokens page in Debian's Chromium at 390 px and 1366 px: an admin creates a token from the form, copies
the secret shown once, the token reads the API of the real server, and the Revoke button ends it (401). The page
must fit the phone's width and load nothing from elsewhere; the console stays clean (a CSP violation is an
error)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sparring.testing.web import loopback_only, served_org, sign_in

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

ADMIN = "ada@tokens.test"
LEARNER = "lee@tokens.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    people = [(ADMIN, "admin", "Ada Admin"), (LEARNER, "learner", "Lee Learner")]
    with served_org(tmp_path_factory.mktemp("tokens-browser"), "Tokens", people) as base:
        yield base


@pytest.mark.parametrize("width", [390, 1366])
def test_create_copy_use_and_revoke_a_token(browser: Any, server: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844})
    refused = loopback_only(context, server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in(page, server, ADMIN)
        page.goto(f"{server}/admin/tokens")
        assert page.title().startswith("API tokens")
        name = f"Reporting {width}"
        page.fill("#tk-name", name)
        page.select_option("#tk-user", label=f"{LEARNER} (learner)")
        page.select_option("#tk-role", "learner")
        page.click("form[action='/admin/tokens'] button[type=submit]")
        secret = page.input_value("#token-secret")
        assert re.fullmatch(r"spt_[A-Za-z0-9_-]{43}", secret)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"

        me = httpx.get(f"{server}/api/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200 and me.json()["email"] == LEARNER

        page.goto(f"{server}/admin/tokens")
        assert secret not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the list scrolls sideways"
        page.get_by_role("button", name=f"Revoke {name}").click()
        page.wait_for_url(f"{server}/admin/tokens")
        assert "is revoked" in page.content()
        assert httpx.get(f"{server}/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
        assert errors == [] and refused == []
    finally:
        context.close()
