"""Migration 0025_audit_log on both backends: the table matches the model; ``via`` is checked; deleting the acting
account keeps its rows with the actor set to nothing (the label stays), deleting the organisation deletes its log;
the downgrade drops the table and keeps everything else."""

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

NOW = "2026-03-02 10:00:00"
AT_0024 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'ada@acme.test', 'Ada', 'admin', true, :now), (2, 1, 'lee@acme.test', 'Lee', 'learner', true, :now)",
]
ROW = ("INSERT INTO audit_log (org_id, actor_id, actor_label, action, target_type, target_id, at, via)"
       " VALUES (1, :actor, 'ada@acme.test', 'rep.viewed', 'rep', '5', :now, :via)")


def _on(conn: object) -> None:
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        conn.execute(text("PRAGMA foreign_keys = ON"))  # type: ignore[attr-defined]


def test_0025_adds_the_audit_log(db: Database) -> None:
    migrate.upgrade(db.engine, "0024_xapi_outbox")
    with db.engine.begin() as conn:
        for sql in AT_0024:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0025_audit_log")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "audit" in repr(d)] == []
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(ROW), {"actor": 1, "now": NOW, "via": "fax"})
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text(ROW), {"actor": 1, "now": NOW, "via": "web"})
        conn.execute(text("DELETE FROM users WHERE id = 1"))
        assert conn.execute(text("SELECT actor_id, actor_label FROM audit_log")).all() == [(None, "ada@acme.test")]

    migrate.downgrade(db.engine, "0024_xapi_outbox")
    assert "audit_log" not in set(inspect(db.engine).get_table_names())
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
    migrate.upgrade(db.engine, "0025_audit_log")
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text(ROW), {"actor": 2, "now": NOW, "via": "api"})
        conn.execute(text("DELETE FROM organisations WHERE id = 1"))
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
