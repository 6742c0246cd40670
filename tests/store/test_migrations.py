"""Migrations: upgrade from empty, models match the migrated schema, downgrade and upgrade again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from sparring.store import migrate
from sparring.store.db import Database
from sparring.store.models import Base, LoginFailure, LoginSession, Organisation, Rep, TurnRow, User, utcnow

TABLES = {
    "login_known_clients",
    "login_challenges",
    "recovery_codes",
    "organisations",
    "teams",
    "users",
    "team_members",
    "content_versions",
    "reps",
    "turns",
    "scorecards",
    "criterion_results",
    "winning_lines",
    "usage",
    "login_failures",
    "sessions",
    "jobs",
}


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))


def test_upgrade_from_empty_creates_every_table_and_matches_the_models(db: Database) -> None:
    assert migrate.current_revision(db.engine) is None
    before, after = db.upgrade()
    assert before is None and after == migrate.head_revision() is not None
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    assert _diff(db) == [], "models and migrations differ: add a migration (see docs/decisions.md)"
    assert db.upgrade() == (after, after)  # idempotent


def test_downgrade_to_base_and_back(db: Database) -> None:
    db.upgrade()
    migrate.downgrade(db.engine, "base")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    db.upgrade()
    assert _diff(db) == []


def test_first_session_migrates_automatically(db: Database) -> None:
    with db.session() as s:
        s.add(Organisation(slug="acme", name="Acme"))
    with db.read() as s:
        assert s.scalar(select(Organisation.name)) == "Acme"
    assert migrate.current_revision(db.engine) == migrate.head_revision()


def test_concurrent_first_use_migrates_once(database_url: str) -> None:
    import threading

    dbs = [Database(database_url) for _ in range(3)]
    errors: list[BaseException] = []

    def go(d: Database) -> None:
        try:
            d.upgrade()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(d,)) for d in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert migrate.current_revision(dbs[0].engine) == migrate.head_revision()
    for d in dbs:
        d.dispose()


def test_schema_head_constant_names_the_newest_migration(db: Database) -> None:
    assert migrate.head_revision() == migrate.SCHEMA_HEAD
    assert migrate.stored_revision(db.engine) is None
    db.upgrade()
    assert migrate.stored_revision(db.engine) == migrate.SCHEMA_HEAD


def test_upgrade_from_the_first_revision_keeps_data(db: Database) -> None:
    migrate.upgrade(db.engine, "0001")
    with db.engine.begin() as conn:
        conn.execute(Organisation.__table__.insert().values(slug="kept", name="Kept", created_at=utcnow()))
    before, after = db.upgrade()
    assert (before, after) == ("0001", migrate.SCHEMA_HEAD)
    with db.read() as s:
        assert s.scalar(select(Organisation.slug)) == "kept"
    assert _diff(db) == []


def _old_rep(db: Database) -> None:
    """An organisation, a user, a rep and two turns inserted at revision 0003 (before per-turn snapshots)."""
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(Organisation.__table__.insert().values(id=1, slug="acme", name="Acme", created_at=now))
        conn.execute(User.__table__.insert().values(id=1, org_id=1, email="lee@acme.test", name="Lee",
                                                    role="learner", is_active=True, created_at=now))
        conn.execute(Rep.__table__.insert().values(
            id=1, user_id=1, org_id=1, scenario_id="s", scenario_version="v", rubric_id="r", rubric_version="v",
            difficulty="easy", engine="fake", state={"scenario_id": "s"}, outcome="in_progress", private=False,
            created_at=now, updated_at=now))
        for i, role in enumerate(["counterpart", "learner"]):  # the columns of 0003 only
            conn.execute(TurnRow.__table__.insert().values(rep_id=1, turn_index=i, speaker="x", role=role,
                                                           text="hello", created_at=now))


def test_0004_adds_a_nullable_persona_state_and_0005_the_login_failures(db: Database) -> None:
    migrate.upgrade(db.engine, "0003")
    _old_rep(db)
    assert db.upgrade() == ("0003", migrate.SCHEMA_HEAD)
    assert _diff(db) == []
    with db.read() as s:  # turns stored before 0004 have no snapshot: their reps branch by replay
        assert s.execute(select(TurnRow.turn_index, TurnRow.persona_state).order_by(TurnRow.turn_index)).all() == [
            (0, None), (1, None)
        ]
    with db.session() as s:
        s.add(TurnRow(rep_id=1, turn_index=2, speaker="x", role="counterpart", text="hi",
                      persona_state={"scenario_id": "s", "learner_turns": 1}))
        s.add(LoginFailure(key="k" * 64, at=1.5))
    with db.read() as s:
        assert s.scalar(select(TurnRow.persona_state).where(TurnRow.turn_index == 2)) == {
            "scenario_id": "s", "learner_turns": 1
        }
    migrate.downgrade(db.engine, "0003")
    assert "persona_state" not in {c["name"] for c in inspect(db.engine).get_columns("turns")}
    assert "login_failures" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:  # the downgrade keeps the turns themselves
        assert conn.execute(text("SELECT count(*) FROM turns")).scalar() == 3
    assert db.upgrade() == ("0003", migrate.SCHEMA_HEAD)
    assert _diff(db) == []


def test_0006_adds_the_sessions_table_and_a_user_deletion_takes_its_sessions(db: Database) -> None:
    migrate.upgrade(db.engine, "0005")
    _old_rep(db)  # a user from before server-side sessions
    assert "sessions" not in inspect(db.engine).get_table_names()
    assert db.upgrade() == ("0005", migrate.SCHEMA_HEAD)
    assert _diff(db) == []
    with db.session() as s:
        s.add(LoginSession(token_hash="a" * 64, user_id=1, created_at=1.0, last_seen_at=2.0, expires_at=3.0,
                           user_agent="Firefox on Linux"))
    with db.session() as s:  # the token hash is unique
        s.add(LoginSession(token_hash="b" * 64, user_id=1, created_at=1.0, last_seen_at=2.0, expires_at=3.0))
    with db.read() as s:
        assert s.execute(select(LoginSession.token_hash, LoginSession.user_agent).order_by(LoginSession.id)).all() == [
            ("a" * 64, "Firefox on Linux"), ("b" * 64, "")
        ]
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(LoginSession(token_hash="a" * 64, user_id=1, created_at=1.0, last_seen_at=2.0, expires_at=3.0))
    with db.session() as s:  # deleting a user deletes their sessions (ON DELETE CASCADE)
        s.execute(Rep.__table__.delete())
        s.execute(User.__table__.delete())
    with db.read() as s:
        assert s.scalar(select(LoginSession.id)) is None
    migrate.downgrade(db.engine, "0005")
    assert "sessions" not in inspect(db.engine).get_table_names()
    assert db.upgrade() == ("0005", migrate.SCHEMA_HEAD)
    assert _diff(db) == []


def test_0007_adds_the_login_guard_tables_and_keeps_users_and_their_reps(db: Database) -> None:
    """Adding and dropping the TOTP columns must not rebuild ``users`` (on SQLite a batch copy would drop the
    old table and cascade to every rep and turn)."""
    from sparring.store.models import LoginKnownClient, RecoveryCode

    migrate.upgrade(db.engine, "0003")
    _old_rep(db)
    db.upgrade()
    assert _diff(db) == []
    with db.session() as s:
        s.add(RecoveryCode(user_id=1, code_hash="h" * 64))
        s.add(LoginKnownClient(key="k" * 64, at=1.0))
        s.get(User, 1).totp_secret = "JBSWY3DPEHPK3PXP"  # type: ignore[union-attr]
    migrate.downgrade(db.engine, "0006")
    assert not {"recovery_codes", "login_known_clients", "login_challenges"} & set(inspect(db.engine).get_table_names())
    assert "totp_secret" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM reps")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM turns")).scalar() == 2
    db.upgrade()
    assert _diff(db) == []
    with db.read() as s:
        user = s.get(User, 1)
        assert user is not None and user.totp_secret is None and user.totp_enabled_at is None


def test_0008_adds_the_jobs_table_and_keeps_what_was_there(db: Database) -> None:
    migrate.upgrade(db.engine, "0007")
    _old_rep(db)
    assert "jobs" not in inspect(db.engine).get_table_names()
    assert db.upgrade() == ("0007", migrate.SCHEMA_HEAD)
    assert _diff(db) == []
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO jobs (task, payload, status, backend, priority, attempts, max_attempts, run_at,"
                          " idempotency_key, created_at) VALUES ('t', '{}', 'queued', 'inprocess', 0, 0, 5, 1.0, 'k',"
                          " 1.0)"))
        # one job per idempotency key, enforced by the database
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(text("INSERT INTO jobs (task, payload, status, backend, priority, attempts, max_attempts,"
                              " run_at, idempotency_key, created_at) VALUES ('t', '{}', 'queued', 'inprocess', 0,"
                              " 0, 5, 1.0, 'k', 1.0)"))
    migrate.downgrade(db.engine, "0007")
    assert "jobs" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM turns")).scalar() == 2
