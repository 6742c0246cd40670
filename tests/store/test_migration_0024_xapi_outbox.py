"""Migration 0024_xapi_outbox on both backends: the two tables match the models; a scorecard goes into one batch
only; the status is checked; deleting a scorecard takes its outbox row and deleting an organisation its batches;
the downgrade drops both tables and keeps everything else."""

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
AT_0023 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now)",
    "INSERT INTO conversations (id, source, title, user_id, org_id, private, created_at)"
    " VALUES (1, 'practice', 'Rep', 1, 1, false, :now)",
    "INSERT INTO scorecards (id, conversation_id, rubric_id, rubric_version, engine, overall, passed, document,"
    " input_tokens, output_tokens, created_at) VALUES (1, 1, 'r', 'v', 'embedded', 50, false, '{}', 0, 0, :now),"
    " (2, 1, 'r', 'v', 'embedded', 60, true, '{}', 0, 0, :now)",
]
BATCH = ("INSERT INTO xapi_batches (id, org_id, status, attempts_count, statements, tries, retries, created_at,"
         " updated_at) VALUES (:id, 1, :status, 1, 0, 0, 0, :now, :now)")


def _on(conn: object) -> None:
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        conn.execute(text("PRAGMA foreign_keys = ON"))  # type: ignore[attr-defined]


def test_0024_adds_the_outbox(db: Database) -> None:
    migrate.upgrade(db.engine, "0023_api_tokens")
    with db.engine.begin() as conn:
        for sql in AT_0023:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0024_xapi_outbox")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "xapi" in repr(d)] == []
    with db.engine.begin() as conn:
        conn.execute(text(BATCH), {"id": 1, "status": "queued", "now": NOW})
        conn.execute(text(BATCH), {"id": 2, "status": "dead", "now": NOW})
        conn.execute(text("INSERT INTO xapi_outbox (scorecard_id, batch_id) VALUES (1, 1), (2, 2)"))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # a scorecard is handed over once
        conn.execute(text("INSERT INTO xapi_outbox (scorecard_id, batch_id) VALUES (1, 2)"))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(BATCH), {"id": 3, "status": "lost", "now": NOW})
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text("DELETE FROM scorecards WHERE id = 1"))
        assert conn.execute(text("SELECT scorecard_id FROM xapi_outbox")).scalars().all() == [2]

    migrate.downgrade(db.engine, "0023_api_tokens")
    tables = set(inspect(db.engine).get_table_names())
    assert "xapi_batches" not in tables and "xapi_outbox" not in tables
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM scorecards")).scalar() == 1
    migrate.upgrade(db.engine, "0024_xapi_outbox")
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text(BATCH), {"id": 1, "status": "sent", "now": NOW})
        conn.execute(text("INSERT INTO xapi_outbox (scorecard_id, batch_id) VALUES (2, 1)"))
        conn.execute(text("DELETE FROM organisations WHERE id = 1"))
        assert conn.execute(text("SELECT count(*) FROM xapi_batches")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM xapi_outbox")).scalar() == 0
