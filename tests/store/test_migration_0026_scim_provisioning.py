"""Migration 0026_scim_provisioning on both backends: the three tables match the models; a SCIM row goes with its
account or team (ON DELETE CASCADE, so erasure needs nothing more) and a token outlives the admin who made it (SET
NULL); the downgrade drops the tables and keeps the accounts and teams."""

from __future__ import annotations

import sparring_test_support as support
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sparring.store import migrate
from sparring.store.db import Database
from sparring.store.models import Base

database_url = support.database_url
db = support.db

NOW = "2026-12-07 10:00:00"
AT_0025 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO teams (id, org_id, name, created_at) VALUES (1, 1, 'East', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'ada@acme.test', 'Ada', 'admin', true, :now), (2, 1, 'lee@acme.test', 'Lee', 'learner', true, :now)",
]
ROWS = [
    "INSERT INTO scim_tokens (id, org_id, created_by, name, token_hash, prefix, created_at)"
    " VALUES (1, 1, 1, 'Okta', 'h1', 'spscim_abcd', :now)",
    "INSERT INTO scim_users (user_id, org_id, external_id, user_name, attributes) VALUES (2, 1, 'okta-2', NULL, NULL)",
    "INSERT INTO scim_groups (team_id, org_id, external_id) VALUES (1, 1, 'g-1')",
]
TABLES = {"scim_tokens", "scim_users", "scim_groups"}


def _on(conn: object) -> None:
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        conn.execute(text("PRAGMA foreign_keys = ON"))  # type: ignore[attr-defined]


def test_0026_adds_the_scim_tables(db: Database) -> None:
    migrate.upgrade(db.engine, "0025_audit_log")
    with db.engine.begin() as conn:
        for sql in AT_0025:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0026_scim_provisioning")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "scim" in repr(d)] == []
    with db.engine.begin() as conn:
        _on(conn)
        for sql in ROWS:
            conn.execute(text(sql), {"now": NOW})
        conn.execute(text("DELETE FROM users WHERE id = 1"))  # the admin who made the token
        assert conn.execute(text("SELECT created_by FROM scim_tokens")).scalar() is None
        conn.execute(text("DELETE FROM users WHERE id = 2"))  # the provisioned account: its SCIM row goes
        conn.execute(text("DELETE FROM teams WHERE id = 1"))
        assert conn.execute(text("SELECT count(*) FROM scim_users")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM scim_groups")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM scim_tokens")).scalar() == 1

    migrate.downgrade(db.engine, "0025_audit_log")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM organisations")).scalar() == 1
    migrate.upgrade(db.engine, "0026_scim_provisioning")
    assert set(inspect(db.engine).get_table_names()) >= TABLES
