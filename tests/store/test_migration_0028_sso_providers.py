"""Migration 0028_sso_providers on both backends: the four tables match the models; ``kind`` is checked; a
(provider, subject) pair links one user only; erasing a user deletes their linked identities, deleting a provider
deletes its identities and pending sign-ins, deleting the organisation deletes its providers and its password
switch; the downgrade drops the tables and keeps everything else."""

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
PROVIDER = ("INSERT INTO sso_providers (id, org_id, kind, display_name, enabled, email_domains, jit, oidc_scopes,"
            " trust_email, claim_email, claim_name, claim_groups, default_role, created_at, updated_at) VALUES"
            " (:id, 1, :kind, 'Okta', true, 'acme.test', true, 'openid', false, 'email', 'name', 'groups', 'learner',"
            " :now, :now)")
IDENTITY = "INSERT INTO sso_identities (provider_id, user_id, subject, created_at) VALUES (1, :user, :sub, :now)"
PENDING = ("INSERT INTO sso_pending (key, provider_id, nonce, verifier, next_url, created_at)"
           " VALUES ('k', 1, 'n', 'v', '/', 1.0)")
SWITCH = "INSERT INTO sso_org_settings (org_id, password_login, updated_at) VALUES (1, false, :now)"

TABLES = {"sso_providers", "sso_identities", "sso_org_settings", "sso_pending"}


def _on(conn: object) -> None:
    if conn.dialect.name == "sqlite":  # type: ignore[attr-defined]
        conn.execute(text("PRAGMA foreign_keys = ON"))  # type: ignore[attr-defined]


def _count(conn: object, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())  # type: ignore[attr-defined]


def test_0028_adds_the_sso_tables(db: Database) -> None:
    migrate.upgrade(db.engine, "0027_lti_tool")
    with db.engine.begin() as conn:
        for sql in AT_0025:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0028_sso_providers")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    # the client secret's column became text in 0029_sealed_columns (sealed values are longer)
    assert [d for d in found if "sso" in repr(d) and "oidc_client_secret" not in repr(d)] == []
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(PROVIDER), {"id": 9, "kind": "ldap", "now": NOW})
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text(PROVIDER), {"id": 1, "kind": "oidc", "now": NOW})
        conn.execute(text(IDENTITY), {"user": 2, "sub": "s-2", "now": NOW})
        conn.execute(text(PENDING))
        conn.execute(text(SWITCH), {"now": NOW})
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(IDENTITY), {"user": 1, "sub": "s-2", "now": NOW})  # the same subject for another user
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text("DELETE FROM users WHERE id = 2"))
        assert _count(conn, "sso_identities") == 0
        conn.execute(text(IDENTITY), {"user": 1, "sub": "s-1", "now": NOW})
        conn.execute(text("DELETE FROM sso_providers WHERE id = 1"))
        assert (_count(conn, "sso_identities"), _count(conn, "sso_pending")) == (0, 0)

    migrate.downgrade(db.engine, "0027_lti_tool")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    with db.engine.begin() as conn:
        assert _count(conn, "users") == 1
    migrate.upgrade(db.engine, "0028_sso_providers")
    with db.engine.begin() as conn:
        _on(conn)
        conn.execute(text(PROVIDER), {"id": 1, "kind": "saml", "now": NOW})
        conn.execute(text(SWITCH), {"now": NOW})
        conn.execute(text("DELETE FROM organisations WHERE id = 1"))
        assert (_count(conn, "sso_providers"), _count(conn, "sso_org_settings")) == (0, 0)
