"""Migration 0012_loops on both backends, with data: the coaching_loops table arrives (its checks and cascades
hold), the notifications keep their rows and accept ``loop_closed``, and the downgrade gives 0011's schema back."""

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
AT_0011 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now), (2, 1, 'max@acme.test', 'Max', 'manager', true, :now)",
    "INSERT INTO conversations (id, source, title, user_id, org_id, private, created_at) VALUES"
    " (7, 'call', 'Pricing call', 1, 1, false, :now), (8, 'call', 'Next call', 1, 1, false, :now)",
    "INSERT INTO notifications (id, user_id, kind, text, link, created_at) VALUES"
    " (3, 1, 'assigned', 'Max assigned you a drill', '/assignments', :now)",
]
LOOP = ("INSERT INTO coaching_loops (id, org_id, user_id, created_by, created_at, call_conversation_id, start_turn,"
        " end_turn, criterion_id, rubric_id, status, verdict, next_call_conversation_id, numbers) VALUES"
        " (:id, 1, 1, 2, :now, 7, 3, :end, 'explore-objection', 'sales-objection-handling', :status, :verdict,"
        " :next, :numbers)")


def _loop(conn: object, id: int, *, end: int = 5, status: str = "open", verdict: str | None = None,
          next: int | None = None) -> None:
    conn.execute(text(LOOP), {"id": id, "now": NOW, "end": end, "status": status,  # type: ignore[attr-defined]
                              "verdict": verdict, "next": next, "numbers": '{"reason": "x"}' if verdict else None})


def test_0012_adds_coaching_loops_and_the_loop_closed_notification(db: Database) -> None:
    migrate.upgrade(db.engine, "0011_assignments")
    with db.engine.begin() as conn:
        for sql in AT_0011:
            conn.execute(text(sql), {"now": NOW})
    assert "coaching_loops" not in inspect(db.engine).get_table_names()
    migrate.upgrade(db.engine, "0012_loops")
    assert migrate.current_revision(db.engine) == "0012_loops"
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "coaching_loops" in repr(d) or "notifications" in repr(d)] == []
    with db.engine.begin() as conn:
        _loop(conn, 1)
        _loop(conn, 2, status="closed", verdict="improved", next=8)
        conn.execute(text("INSERT INTO notifications (user_id, kind, text, link, created_at) VALUES"
                          " (2, 'loop_closed', 'Lee: improved', '', :now)"), {"now": NOW})
        for bad in ({"status": "done"}, {"status": "closed", "verdict": "better"}, {"end": 2}):
            with pytest.raises(IntegrityError), conn.begin_nested():
                _loop(conn, 9, **bad)  # type: ignore[arg-type]
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(text("INSERT INTO notifications (user_id, kind, text, link, created_at) VALUES"
                              " (2, 'bogus', 'x', '', :now)"), {"now": NOW})
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM notifications WHERE id = 3")).scalar() == "Max assigned you a drill"
        assert conn.execute(text("SELECT count(*) FROM coaching_loops")).scalar() == 2
    with db.engine.begin() as conn:  # the next call deleted: the loop keeps its verdict, loses the link
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("DELETE FROM conversations WHERE id = 8"))
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, verdict, next_call_conversation_id FROM coaching_loops ORDER BY id"))
        assert [tuple(r) for r in rows] == [(1, None, None), (2, "improved", None)]
    index_names = {ix["name"] for ix in inspect(db.engine).get_indexes("coaching_loops")}
    assert {"ix_coaching_loops_user_status", "ix_coaching_loops_org_created"} <= index_names

    migrate.downgrade(db.engine, "0011_assignments")
    assert "coaching_loops" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(text("SELECT kind FROM notifications ORDER BY id"))]
    assert kinds == ["assigned"]
    with db.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(text("INSERT INTO notifications (user_id, kind, text, link, created_at) VALUES"
                          " (2, 'loop_closed', 'x', '', :now)"), {"now": NOW})
    migrate.upgrade(db.engine, "0012_loops")
    assert "coaching_loops" in inspect(db.engine).get_table_names()
