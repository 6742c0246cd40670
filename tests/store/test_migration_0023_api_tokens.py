"""Migration 0023_api_tokens on both backends, with data: the table matches the models; a token hash is unique;
the role is checked; deleting the account removes its tokens and deleting the creator keeps them (created_by set
to NULL); the downgrade drops the table and nothing else."""

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
AT_0022 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'ada@acme.test', 'Ada', 'admin', true, :now), (2, 1, 'lee@acme.test', 'Lee', 'learner', true, :now)",
]
TOKEN = ("INSERT INTO api_tokens (id, org_id, user_id, created_by, name, role, token_hash, prefix, created_at)"
         " VALUES (:id, 1, :user, 1, 'sync', :role, :hash, 'spt_abcdef', :now)")


def _fk(conn: object) -> None:
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        conn.execute(text("PRAGMA foreign_keys = ON"))  # type: ignore[attr-defined]


def test_0023_adds_api_tokens(db: Database) -> None:
    migrate.upgrade(db.engine, "0022_webhooks_endpoints")
    with db.engine.begin() as conn:
        for sql in AT_0022:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0023_api_tokens")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "api_tokens" in repr(d)] == []
    with db.engine.begin() as conn:
        _fk(conn)
        conn.execute(text(TOKEN), {"id": 1, "user": 2, "role": "learner", "hash": "a" * 64, "now": NOW})
        conn.execute(text(TOKEN), {"id": 2, "user": 1, "role": "admin", "hash": "b" * 64, "now": NOW})
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # one row per hash
        conn.execute(text(TOKEN), {"id": 3, "user": 2, "role": "learner", "hash": "a" * 64, "now": NOW})
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # roles are the accounts' roles
        conn.execute(text(TOKEN), {"id": 4, "user": 2, "role": "owner", "hash": "c" * 64, "now": NOW})
    with db.engine.begin() as conn:
        _fk(conn)
        conn.execute(text("UPDATE api_tokens SET created_by = NULL WHERE id = 2"))
        conn.execute(text("UPDATE api_tokens SET user_id = 2 WHERE id = 2"))
        conn.execute(text("DELETE FROM users WHERE id = 1"))  # the creator goes: the tokens stay
        assert sorted(r[0] for r in conn.execute(text("SELECT id FROM api_tokens"))) == [1, 2]
        conn.execute(text("DELETE FROM users WHERE id = 2"))  # the account goes: its tokens go with it
        assert list(conn.execute(text("SELECT id FROM api_tokens"))) == []
    before = set(inspect(db.engine).get_table_names())
    migrate.downgrade(db.engine, "0022_webhooks_endpoints")
    assert set(inspect(db.engine).get_table_names()) == before - {"api_tokens"}
    migrate.upgrade(db.engine, "0023_api_tokens")
    assert "api_tokens" in inspect(db.engine).get_table_names()
