"""Fixtures on both database backends, with the fake engines (tests/store/sparring_test_support.py)."""

from __future__ import annotations

import sparring_test_support as support

database_url = support.database_url
db = support.db
practice = support.practice_with_test_content
