"""Web fixtures: one app per test module over its own SQLite database, with two organisations, every role,
and reps in every state, played through the real embedded engines. Helpers live in ``sparring.testing.web``
(docs/testing.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
