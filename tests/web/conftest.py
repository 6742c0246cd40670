"""Web fixtures: one app per test module over its own SQLite database, with two organisations, every role,
and reps in every state, played through the real embedded engines. Helpers live in ``support.py``, importable
from tests as ``web_support``."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.web.app import create_app


def _support():  # type: ignore[no-untyped-def]
    if "web_support" not in sys.modules:
        spec = importlib.util.spec_from_file_location("web_support", Path(__file__).parent / "support.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules["web_support"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["web_support"]


support = _support()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    data: Path = tmp_path_factory.mktemp("web-data")
    settings = Settings(data_dir=data)
    database = get_database(settings.resolved_database_url)
    app = create_app(settings)
    yield support.build_world(app, database)
    forget_databases()
