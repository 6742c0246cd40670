"""Web fixtures: one app per test module over its own SQLite database, with two organisations, every role,
and reps in every state, played through the real embedded engines. Helpers live in ``sparring.testing.web``
(docs/testing.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.testing.web import build_world
from sparring.web.app import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    data: Path = tmp_path_factory.mktemp("web-data")
    settings = Settings(data_dir=data)
    database = get_database(settings.resolved_database_url)
    app = create_app(settings)
    yield build_world(app, database)
    forget_databases()


#: Debian's Chromium, for the browser tests (``pytest.mark.browser``; they skip when it is missing)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright) for a module's browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
