"""Migration 0030_org_retention on both backends: the table matches the model; a period outside 1 to 36,500 days is
refused by the database; deleting the organisation deletes its row; the downgrade drops the table and keeps the
organisation, and upgrading again works."""

from __future__ import annotations

import pytest
import sparring_test_support as support
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from sparring.store import migrate
from sparring.store.db import Database
from sparring.store.models import Base

database_url = support.database_url
db = support.db

NOW = "2026-12-07 10:00:00"
ORG = "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)"
ROW = ("INSERT INTO org_retention (org_id, call_days, practice_days, audio_days, keep_audio, updated_at)"
       " VALUES (1, :call, NULL, 30, false, :now)")


def _count(conn: object, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())  # type: ignore[attr-defined]


def test_0030_adds_the_org_retention_table(db: Database) -> None:
    migrate.upgrade(db.engine, "0029_sealed_columns")
    with db.engine.begin() as conn:
        conn.execute(text(ORG), {"now": NOW})
    migrate.upgrade(db.engine, "0030_org_retention")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "org_retention" in repr(d)] == []
    for bad in (0, -5, 36_501):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(ROW), {"call": bad, "now": NOW})
    with db.engine.begin() as conn:
        conn.execute(text(ROW), {"call": 90, "now": NOW})
        assert conn.execute(text("SELECT call_days, practice_days, audio_days, keep_audio FROM org_retention")
                            ).one() == (90, None, 30, False)

    migrate.downgrade(db.engine, "0029_sealed_columns")
    assert "org_retention" not in set(inspect(db.engine).get_table_names())
    with db.engine.begin() as conn:
        assert _count(conn, "organisations") == 1
    migrate.upgrade(db.engine, "0030_org_retention")
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text(ROW), {"call": 7, "now": NOW})
        conn.execute(text("DELETE FROM organisations WHERE id = 1"))
        assert _count(conn, "org_retention") == 0
