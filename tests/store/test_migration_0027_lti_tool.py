"""Migration 0027_lti_tool on both backends: the LTI tables match the models; a score's status is checked; deleting a
person deletes their platform links, launches and unsent scores but keeps the registration they made (its creator
set to nothing); deleting the organisation deletes its registrations and keys; the downgrade drops the tables and
keeps everything else."""

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
AT_0025 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'ada@acme.test', 'Ada', 'admin', true, :now), (2, 1, 'lee@acme.test', 'Lee', 'learner', true, :now)",
]
LTI_ROWS = [
    "INSERT INTO lti_registrations (id, org_id, name, issuer, client_id, deployment_ids, auth_login_url,"
    " auth_token_url, jwks_url, active, created_by, created_at, updated_at) VALUES (1, 1, 'Moodle',"
    " 'https://lms.test', 'c1', '[\"1\"]', 'https://lms.test/auth', 'https://lms.test/token', 'https://lms.test/jwks',"
    " true, 1, :now, :now)",
    "INSERT INTO lti_keys (org_id, kid, private_pem, public_jwk, created_at) VALUES (1, 'k1', 'pem', '{}', :now)",
    "INSERT INTO lti_user_links (registration_id, sub, user_id, created_at) VALUES (1, 's2', 2, :now)",
    "INSERT INTO lti_launches (id, registration_id, user_id, sub, deployment_id, target, lineitem_url, ags_scopes,"
    " created_at) VALUES (1, 1, 2, 's2', '1', 'scenario:x', 'https://lms.test/li/1', '[]', :now)",
    "INSERT INTO lti_scores (launch_id, scorecard_id, score_given, status, tries, created_at) VALUES"
    " (1, 7, 80.0, 'pending', 0, :now)",
]
TABLES = {"lti_registrations", "lti_keys", "lti_login_states", "lti_user_links", "lti_contexts", "lti_launches",
          "lti_scores"}


def _on(conn: object) -> None:
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        conn.execute(text("PRAGMA foreign_keys = ON"))  # type: ignore[attr-defined]


def _count(conn: object, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())  # type: ignore[attr-defined]


def test_0027_adds_the_lti_tables(db: Database) -> None:
    migrate.upgrade(db.engine, "0026_scim_provisioning")
    with db.engine.begin() as conn:
        for sql in AT_0025:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0027_lti_tool")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "lti" in repr(d)] == []
    with db.engine.begin() as conn:
        _on(conn)
        for sql in LTI_ROWS:
            conn.execute(text(sql), {"now": NOW})
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("UPDATE lti_scores SET status = 'lost'"))
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text("DELETE FROM users WHERE id = 2"))
        assert [_count(conn, t) for t in ("lti_user_links", "lti_launches", "lti_scores")] == [0, 0, 0]
        conn.execute(text("DELETE FROM users WHERE id = 1"))
        assert conn.execute(text("SELECT created_by FROM lti_registrations")).all() == [(None,)]

    migrate.downgrade(db.engine, "0026_scim_provisioning")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    with db.engine.begin() as conn:
        assert _count(conn, "organisations") == 1
    migrate.upgrade(db.engine, "0027_lti_tool")
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text(LTI_ROWS[0].replace(" 1, :now, :now)", " NULL, :now, :now)")), {"now": NOW})
        conn.execute(text(LTI_ROWS[1]), {"now": NOW})
        conn.execute(text("DELETE FROM organisations WHERE id = 1"))
        assert _count(conn, "lti_registrations") == 0 and _count(conn, "lti_keys") == 0
