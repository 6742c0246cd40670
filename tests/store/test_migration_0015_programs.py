"""Migration 0015_programs on both backends, with data: the program tables arrive matching the models (their
checks and cascades hold), notifications keep their rows and accept ``enrolled`` and ``behind``, and the downgrade
gives 0014's schema back."""

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
AT_0014 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO teams (id, org_id, name, created_at) VALUES (1, 1, 'East', :now), (2, 1, 'West', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now), (2, 1, 'max@acme.test', 'Max', 'manager', true, :now)",
    "INSERT INTO notifications (id, user_id, kind, text, link, created_at) VALUES"
    " (3, 1, 'loop_closed', 'Your loop closed', '/calls', :now)",
]
PROGRAM = ("INSERT INTO programs (id, org_id, name, description, start_on, end_on, target_min, target_max, pass_bar,"
           " created_by, status, created_at) VALUES (:id, 1, 'Sprint', '', :start, :end, :min, :max, :bar, 2,"
           " :status, :now)")
TABLES = ("programs", "program_scenarios", "program_enrolments")


def _program(conn: object, id: int, *, start: str = "2026-03-02", end: str = "2026-03-31", min: int = 10,
             max: int | None = 20, bar: float | None = 60.0, status: str = "active") -> None:
    conn.execute(text(PROGRAM), {"id": id, "now": NOW, "start": start, "end": end,  # type: ignore[attr-defined]
                                 "min": min, "max": max, "bar": bar, "status": status})


def _fk_on(conn: object) -> None:
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        conn.execute(text("PRAGMA foreign_keys = ON"))  # type: ignore[attr-defined]


def _table_of(diff: object) -> str | None:
    """The table an autogenerate difference is about (a table or index added or removed; else the first table of
    this migration its text names)."""
    if isinstance(diff, tuple) and diff and diff[0] in ("add_table", "remove_table"):
        return str(diff[1].name)
    if isinstance(diff, tuple) and diff and diff[0] in ("add_index", "remove_index"):
        return str(diff[1].table.name)
    return next((t for t in (*TABLES, "notifications") if t in repr(diff)), None)


def test_0015_adds_the_program_tables_and_the_new_notification_kinds(db: Database) -> None:
    migrate.upgrade(db.engine, "0014_call_summaries")
    with db.engine.begin() as conn:
        for sql in AT_0014:
            conn.execute(text(sql), {"now": NOW})
    assert not set(TABLES) & set(inspect(db.engine).get_table_names())
    migrate.upgrade(db.engine, "0015_programs")
    assert migrate.current_revision(db.engine) == "0015_programs"
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if _table_of(d) in (*TABLES, "notifications")] == []  # later migrations' tables aside
    with db.engine.begin() as conn:
        _program(conn, 1)
        _program(conn, 2, max=None, bar=None, status="archived")
        conn.execute(text("INSERT INTO program_scenarios (program_id, position, scenario_id, title, week, difficulty)"
                          " VALUES (1, 0, 'a', 'A', 1, 'easy'), (1, 1, 'b', 'B', NULL, NULL)"))
        conn.execute(text("INSERT INTO program_enrolments (program_id, team_id, user_id, created_at) VALUES"
                          " (1, 1, NULL, :now), (1, NULL, 1, :now), (2, 2, NULL, :now)"), {"now": NOW})
        conn.execute(text("INSERT INTO notifications (user_id, kind, text, link, created_at) VALUES"
                          " (1, 'behind', 'Sprint: you are behind', '/', :now),"
                          " (1, 'enrolled', 'You are enrolled', '/', :now)"), {"now": NOW})
        for bad in ({"end": "2026-03-01"}, {"min": 0}, {"max": 5}, {"bar": 101.0}, {"status": "done"}):
            with pytest.raises(IntegrityError), conn.begin_nested():
                _program(conn, 9, **bad)  # type: ignore[arg-type]
        for sql in ("INSERT INTO program_scenarios (program_id, position, scenario_id, title) VALUES (1, 0, 'c', 'C')",
                    "INSERT INTO program_scenarios (program_id, position, scenario_id, title) VALUES (1, 5, 'a', 'A')",
                    "INSERT INTO program_scenarios (program_id, position, scenario_id, title, week)"
                    " VALUES (1, 6, 'd', 'D', 0)",
                    "INSERT INTO program_scenarios (program_id, position, scenario_id, title, difficulty)"
                    " VALUES (1, 7, 'e', 'E', 'brutal')",
                    "INSERT INTO program_enrolments (program_id, team_id, user_id, created_at)"
                    " VALUES (1, NULL, NULL, '2026-03-02')",
                    "INSERT INTO program_enrolments (program_id, team_id, user_id, created_at)"
                    " VALUES (1, 2, 2, '2026-03-02')",
                    "INSERT INTO program_enrolments (program_id, team_id, user_id, created_at)"
                    " VALUES (1, 1, NULL, '2026-03-02')",
                    "INSERT INTO notifications (user_id, kind, text, link, created_at)"
                    " VALUES (1, 'bogus', 'x', '', '2026-03-02')"):
            with pytest.raises(IntegrityError), conn.begin_nested():
                conn.execute(text(sql))
    with db.engine.begin() as conn:  # a team deleted: its enrolments go; the manager deleted: the program stays
        _fk_on(conn)
        conn.execute(text("DELETE FROM teams WHERE id = 2"))
        conn.execute(text("DELETE FROM users WHERE id = 2"))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM program_enrolments")).scalar() == 2
        assert [tuple(r) for r in conn.execute(text("SELECT id, created_by FROM programs ORDER BY id"))] == [
            (1, None), (2, None)]
    with db.engine.begin() as conn:  # a program deleted takes its scenarios and enrolments
        _fk_on(conn)
        conn.execute(text("DELETE FROM programs WHERE id = 1"))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM program_scenarios")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM program_enrolments")).scalar() == 0
        assert conn.execute(text("SELECT text FROM notifications WHERE id = 3")).scalar() == "Your loop closed"

    migrate.downgrade(db.engine, "0014_call_summaries")
    assert not set(TABLES) & set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT kind FROM notifications ORDER BY id"))] == ["loop_closed"]
    with db.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(text("INSERT INTO notifications (user_id, kind, text, link, created_at) VALUES"
                          " (1, 'behind', 'x', '', :now)"), {"now": NOW})
    migrate.upgrade(db.engine, "0015_programs")
    assert set(TABLES) <= set(inspect(db.engine).get_table_names())
