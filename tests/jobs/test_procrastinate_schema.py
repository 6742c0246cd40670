"""Procrastinate's schema: created once, its version kept, upgrades applied, foreign or newer schemas refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sparring_test_support import drop_pg_schema, make_pg_schema, require_pg
from sqlalchemy import text

from sparring.jobs import procrastinate_schema
from sparring.store.db import Database, DatabaseError

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg() -> Iterator[Database]:
    require_pg()
    schema, url = make_pg_schema()
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()
        drop_pg_schema(schema)


def _comment(db: Database, value: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(f"COMMENT ON TABLE procrastinate_jobs IS '{value}'"))


def test_applied_once_with_its_version(pg: Database) -> None:
    version = procrastinate_schema.installed_version()
    assert procrastinate_schema.applied_version(pg) is None
    assert procrastinate_schema.apply(pg) == (None, version)
    assert procrastinate_schema.applied_version(pg) == version
    assert procrastinate_schema.apply(pg) == (version, version)


def test_an_older_schema_is_upgraded_and_a_foreign_or_newer_one_refused(pg: Database) -> None:
    procrastinate_schema.apply(pg)
    version = procrastinate_schema.installed_version()
    _comment(pg, procrastinate_schema.COMMENT_PREFIX + "3.9.0")
    assert procrastinate_schema.apply(pg) == ("3.9.0", version)
    _comment(pg, procrastinate_schema.COMMENT_PREFIX + "99.0.0")
    with pytest.raises(DatabaseError, match="newer than the installed"):
        procrastinate_schema.apply(pg)
    _comment(pg, "made by hand")
    with pytest.raises(DatabaseError, match="not created by Sparring"):
        procrastinate_schema.apply(pg)


def test_sqlite_is_refused(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(DatabaseError, match="needs PostgreSQL"):
        procrastinate_schema.apply(db)
    db.dispose()
