"""Migration 0017_lines on both backends, with data: winning lines saved before it keep their rows and become due a
day after they were saved, the team library arrives with its cascades, and the downgrade gives 0014's schema back."""

from __future__ import annotations

from datetime import UTC, datetime

import sparring_test_support as support
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sparring.store import migrate
from sparring.store.db import Database
from sparring.store.models import Base

database_url = support.database_url
db = support.db

NOW = "2026-03-02 10:00:00"
AT_0014 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO teams (id, org_id, name, created_at) VALUES (4, 1, 'East', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now), (2, 1, 'max@acme.test', 'Max', 'manager', true, :now)",
    "INSERT INTO conversations (id, source, title, user_id, org_id, private, created_at) VALUES"
    " (7, 'practice', 'Pricing', 1, 1, false, :now)",
    "INSERT INTO winning_lines (id, user_id, org_id, text, situation, source_conversation_id, source_turn_index,"
    " created_at) VALUES (3, 1, 1, 'What would change for you?', 'discovery', 7, 1, '2026-03-01 08:30:00'),"
    " (5, 1, 1, 'Could we trade volume for price?', 'price', NULL, NULL, '2026-02-20 12:00:00')",
]


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime | str)
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def test_0017_schedules_old_lines_and_adds_the_team_library(db: Database) -> None:
    migrate.upgrade(db.engine, "0014_call_summaries")
    with db.engine.begin() as conn:
        for sql in AT_0014:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0017_lines")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "team_lines" in repr(d) or "winning_lines" in repr(d)] == []
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, text, review_step, due_at, reviews, lapses, last_reviewed_at"
                                 " FROM winning_lines ORDER BY id")).all()
    assert [(r[0], r[1], r[2], r[4], r[5], r[6]) for r in rows] == [
        (3, "What would change for you?", 0, 0, 0, None), (5, "Could we trade volume for price?", 0, 0, 0, None)]
    assert [_utc(r[3]) for r in rows] == [datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
                                          datetime(2026, 2, 21, 12, 0, tzinfo=UTC)]
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO team_lines (id, org_id, team_id, text, situation, skill, from_user_id,"
                          " source_conversation_id, source_turn_index, added_by, created_at) VALUES"
                          " (1, 1, 4, 'What would change for you?', 'discovery', '', 1, 7, 1, 2, :now),"
                          " (2, 1, 4, 'Written by Max', 'price', 'objection-handling', NULL, NULL, NULL, 2, :now)"),
                     {"now": NOW})
    with db.engine.begin() as conn:  # the learner leaves: the line stays, without its author; the team goes: all go
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("DELETE FROM conversations WHERE id = 7"))
        conn.execute(text("DELETE FROM users WHERE id = 1"))
        kept = conn.execute(text("SELECT id, from_user_id, source_conversation_id FROM team_lines ORDER BY id")).all()
        assert [tuple(r) for r in kept] == [(1, None, None), (2, None, None)]
        conn.execute(text("DELETE FROM teams WHERE id = 4"))
        assert conn.execute(text("SELECT count(*) FROM team_lines")).scalar() == 0
    index_names = {ix["name"] for ix in inspect(db.engine).get_indexes("winning_lines")}
    assert "ix_winning_lines_user_due" in index_names

    migrate.downgrade(db.engine, "0014_call_summaries")
    assert "team_lines" not in inspect(db.engine).get_table_names()
    columns = {c["name"] for c in inspect(db.engine).get_columns("winning_lines")}
    assert "due_at" not in columns and "review_step" not in columns
    migrate.upgrade(db.engine, "0017_lines")
    assert migrate.current_revision(db.engine) == "0017_lines"
