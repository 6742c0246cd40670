"""Storage fixtures: see sparring_test_support.py (shared with tests/services and the practice CLI tests)."""

from __future__ import annotations

import sparring_test_support as support

database_url = support.database_url
db = support.db
