"""Migration 0020_certificate_revocation on both backends, with data: a certificate issued under 0018 survives the
upgrade unrevoked; the schema matches the models; one certificate that is not revoked per learner and program (a
revoked one beside a new one is allowed); the new notification kinds; the downgrade deletes revoked certificates
and the new notifications and restores the unique constraint."""

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
AT_0018 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now), (2, 1, 'max@acme.test', 'Max', 'manager', true, :now)",
    "INSERT INTO programs (id, org_id, name, description, start_on, end_on, target_min, target_max, pass_bar,"
    " created_by, status, created_at) VALUES (3, 1, 'Sprint', '', '2026-03-01', '2026-03-28', 5, NULL, NULL, 2,"
    " 'active', :now)",
    "INSERT INTO certificates (id, program_id, user_id, rep_id, signed_off_by, issued_at)"
    " VALUES (1, 3, 1, NULL, 2, :now)",
    "INSERT INTO notifications (id, user_id, kind, text, link, key, created_at) VALUES"
    " (1, 1, 'behind', 'You are behind', '/', 'behind:3:1:w1', :now)",
]
NEW_ROW = ("INSERT INTO certificates (id, program_id, user_id, rep_id, signed_off_by, issued_at) "
           "VALUES (:id, 3, 1, NULL, 2, :now)")


def test_0020_adds_revocation_and_keeps_one_valid_certificate_per_learner(db: Database) -> None:
    migrate.upgrade(db.engine, "0018_certification")
    with db.engine.begin() as conn:
        for sql in AT_0018:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0020_certificate_revocation")
    assert migrate.current_revision(db.engine) == "0020_certificate_revocation"
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "certificates" in repr(d) or "notifications" in repr(d)] == []
    with db.engine.begin() as conn:
        row = conn.execute(text("SELECT revoked_at, revoked_by, revoked_reason FROM certificates WHERE id = 1")).one()
        assert tuple(row) == (None, None, None)
        assert conn.execute(text("SELECT count(*) FROM notifications")).scalar() == 1
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # a second valid certificate
        conn.execute(text(NEW_ROW), {"id": 2, "now": NOW})
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("UPDATE certificates SET revoked_at = :now, revoked_by = 2, revoked_reason = 'audit'"
                          " WHERE id = 1"), {"now": NOW})
        conn.execute(text(NEW_ROW), {"id": 2, "now": NOW})  # certified again beside the revoked one
        conn.execute(text("INSERT INTO notifications (id, user_id, kind, text, link, key, created_at) VALUES"
                          " (2, 1, 'revoked', 'Revoked', '/progress', 'cert-revoked:1', :now),"
                          " (3, 2, 'sign_off', 'Lee passed', '/programs/3', 'cert-pass:1:2', :now)"), {"now": NOW})
        conn.execute(text("DELETE FROM users WHERE id = 2"))  # the manager leaves: the revocation stays, unsigned
        assert tuple(conn.execute(text("SELECT revoked_by, revoked_reason FROM certificates WHERE id = 1")).one()) \
            == (None, "audit")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO notifications (user_id, kind, text, link, created_at) VALUES"
                          " (1, 'nonsense', 'x', '/', :now)"), {"now": NOW})

    migrate.downgrade(db.engine, "0019_speech_takes")
    with db.engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT id FROM certificates"))] == [2]  # the revoked one is gone
        assert [r[0] for r in conn.execute(text("SELECT kind FROM notifications"))] == ["behind"]
    columns = {c["name"] for c in inspect(db.engine).get_columns("certificates")}
    assert not {"revoked_at", "revoked_by", "revoked_reason"} & columns
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # the unique constraint is back
        conn.execute(text(NEW_ROW), {"id": 4, "now": NOW})
    migrate.upgrade(db.engine, "0020_certificate_revocation")
    assert migrate.current_revision(db.engine) == "0020_certificate_revocation"
