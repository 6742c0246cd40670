"""Migration 0029_sealed_columns on both backends: the three sealed columns that had a length become text (a
sealed value is longer than the secret), keeping their values; the models match; the downgrade restores the
lengths. On SQLite the columns change by rebuilding the tables (foreign keys off, as ``store.migrate`` runs every
migration): the rows that reference ``users`` stay."""

from __future__ import annotations

import sparring_test_support as support
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import String, Text, inspect, text

from sparring.store import migrate
from sparring.store.db import Database
from sparring.store.models import Base

database_url = support.database_url
db = support.db

NOW = "2026-03-02 10:00:00"
AT_0028 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at, totp_secret) VALUES"
    " (1, 1, 'ada@acme.test', 'Ada', 'admin', true, :now, 'JBSWY3DPEHPK3PXP')",
    # a row that references users: on SQLite the upgrade rebuilds users, which must not cascade to it
    "INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES (1, 1, 'h', :now)",
]
#: tables that later migrations add (the models have them, a database at 0029 does not)
LATER_TABLES = {"org_retention"}  # 0030_org_retention


def _later(diff: object) -> bool:
    """A difference a later migration accounts for: a table it adds, or 0031_call_rollup's column and index."""
    if isinstance(diff, tuple) and diff[0] == "add_table":
        return diff[1].name in LATER_TABLES
    if isinstance(diff, tuple) and diff[0] == "add_column":
        return (diff[2], diff[3].name) == ("conversations", "scorecard_id")
    if isinstance(diff, tuple) and diff[0] == "add_index":
        return diff[1].name == "ix_conversations_user_source"
    return False
COLUMNS = {
    ("users", "totp_secret"): 64,
    ("webhook_endpoints", "secret"): 80,
    ("sso_providers", "oidc_client_secret"): 500,
}


def _types(db: Database) -> dict[tuple[str, str], object]:
    found = inspect(db.engine)
    return {(t, c): next(col["type"] for col in found.get_columns(t) if col["name"] == c) for t, c in COLUMNS}


def test_0029_makes_the_sealed_columns_text(db: Database) -> None:
    migrate.upgrade(db.engine, "0028_sso_providers")
    with db.engine.begin() as conn:
        for sql in AT_0028:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0029_sealed_columns")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if not _later(d)] == []
    assert all(isinstance(kind, Text) for kind in _types(db).values())
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT totp_secret FROM users")).scalar() == "JBSWY3DPEHPK3PXP"
        assert conn.execute(text("SELECT count(*) FROM recovery_codes")).scalar() == 1
        conn.execute(text("UPDATE users SET totp_secret = :v"), {"v": "sealed:v1:0123abcd:" + "A" * 120})

    with db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP'"))
    migrate.downgrade(db.engine, "0028_sso_providers")
    types = _types(db)
    assert {
        key: (isinstance(kind, String) and not isinstance(kind, Text), getattr(kind, "length", None))
        for key, kind in types.items()
    } == {key: (True, n) for key, n in COLUMNS.items()}
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT totp_secret FROM users")).scalar() == "JBSWY3DPEHPK3PXP"
        assert conn.execute(text("SELECT count(*) FROM recovery_codes")).scalar() == 1
    migrate.upgrade(db.engine, "0029_sealed_columns")
