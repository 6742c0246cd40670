"""The API reference at /api/docs works offline and under the app's CSP (it was a blank page: FastAPI's default
loads Swagger UI from a CDN with an inline script), and every page has a favicon (a missing one logged a 404 on
every page). The browser test loads the page in Debian's Chromium with every non-loopback request refused, and
checks that Swagger UI rendered the API's operations with no console error (a CSP violation is one)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sparring.settings import Settings
from sparring.store.db import forget_databases
from sparring.testing.processes import served_web_app
from sparring.testing.web import loopback_only
from sparring.web.app import create_app

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("api-docs")), warm_up=False)
    with TestClient(app) as c:
        yield c
    forget_databases()


def test_the_reference_page_loads_only_its_own_files(client: TestClient) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    html = r.text
    assert not re.search(r"""(src|href)="(https?:)?//""", html), "the page must not load anything from elsewhere"
    assert re.findall(r"<script[^>]*>\s*[^<\s]", html) == [], "no inline script: the CSP allows 'self' only"
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/static/api-docs/swagger-ui-bundle.js", "/static/api-docs.js"]
    for url in [*scripts, "/static/api-docs/swagger-ui.css"]:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"SwaggerUIBundle" in asset.content or url.endswith(".css"), url
    assert 'data-openapi="/api/openapi.json"' in html
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_favicon(client: TestClient) -> None:
    r = client.get("/favicon.ico", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/static/favicon.svg"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<svg")
    login = client.get("/login")
    assert '<link rel="icon" href="' in login.text and "favicon.svg" in login.text


def test_the_app_still_serves_its_own_static_files(client: TestClient) -> None:
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/api-docs/no-such-file.js").status_code == 404


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_swagger_ui_renders_offline_in_chromium(tmp_path: Path, browser: Any) -> None:
    with served_web_app(tmp_path) as base:
        context = browser.new_context()
        outside = loopback_only(context, base)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{base}/api/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
        title = page.locator(".info .title").inner_text()
        page.screenshot(path=str(tmp_path / "api-docs.png"))
        context.close()
    assert operations >= 10, f"only {operations} operations rendered"
    assert "Sparring" in title
    assert outside == [], f"the page asked for non-loopback URLs: {outside}"
    assert problems == [], problems
