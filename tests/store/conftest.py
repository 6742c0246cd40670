"""Storage fixtures: see support.py (shared with tests/services and the practice CLI tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _support():  # type: ignore[no-untyped-def]
    name = "sparring_test_support"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "support.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


database_url = _support().database_url
db = _support().db
