"""Migration 0018_certification on both backends, with data: a program's certification, an attempt resting on a rep
and a certificate signed off by a manager; the schema matches the models; the cascades and the downgrade."""

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

NOW = "2026-03-02 10:00:00"
AT_0017 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now), (2, 1, 'max@acme.test', 'Max', 'manager', true, :now)",
    "INSERT INTO programs (id, org_id, name, description, start_on, end_on, target_min, target_max, pass_bar,"
    " created_by, status, created_at) VALUES (3, 1, 'Sprint', '', '2026-03-01', '2026-03-28', 5, NULL, NULL, 2,"
    " 'active', :now)",
    "INSERT INTO conversations (id, source, title, user_id, org_id, private, created_at) VALUES"
    " (7, 'practice', 'Pricing', 1, 1, false, :now)",
    "INSERT INTO reps (id, conversation_id, user_id, org_id, scenario_id, scenario_version, rubric_id, rubric_version,"
    " difficulty, engine, state, outcome, created_at, updated_at) VALUES (9, 7, 1, 1, 'renewal', 'v1', 'disc', 'r1',"
    " 'hard', 'fake', '{}', 'success', :now, :now)",
]
NEW = ("certifications", "certification_attempts", "certificates")


def test_0018_adds_certification_with_its_cascades(db: Database) -> None:
    migrate.upgrade(db.engine, "0017_lines")
    with db.engine.begin() as conn:
        for sql in AT_0017:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0018_certification")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if any(t in repr(d) for t in NEW)] == []
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("INSERT INTO certifications (id, program_id, scenario_id, difficulty, max_attempts, bars,"
                          " updated_at) VALUES (1, 3, 'renewal', 'hard', 2, :bars, :now)"),
                     {"now": NOW, "bars": '{"asks": 0.7, "next-step": "met"}'})
        conn.execute(text("INSERT INTO certification_attempts (id, program_id, user_id, rep_id, passed, started_at,"
                          " recorded_at) VALUES (1, 3, 1, 9, true, :now, :now)"), {"now": NOW})
        conn.execute(text("INSERT INTO certificates (id, program_id, user_id, rep_id, signed_off_by, issued_at)"
                          " VALUES (1, 3, 1, 9, 2, :now)"), {"now": NOW})
        bars = conn.execute(text("SELECT bars FROM certifications")).scalar()
        assert "next-step" in str(bars)
        # the manager leaves: the certificate stays, unsigned; the rep goes: the attempt goes, the certificate stays
        conn.execute(text("DELETE FROM users WHERE id = 2"))
        conn.execute(text("DELETE FROM conversations WHERE id = 7"))
        assert conn.execute(text("SELECT count(*) FROM certification_attempts")).scalar() == 0
        assert tuple(conn.execute(text("SELECT rep_id, signed_off_by FROM certificates")).one()) == (None, None)
        conn.execute(text("DELETE FROM programs WHERE id = 3"))
        assert conn.execute(text("SELECT count(*) FROM certificates")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM certifications")).scalar() == 0

    migrate.downgrade(db.engine, "0017_lines")
    assert not set(NEW) & set(inspect(db.engine).get_table_names())
    migrate.upgrade(db.engine, "0018_certification")
    assert migrate.current_revision(db.engine) == "0018_certification"
