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
    """An organisation, a user, a rep and two turns inserted at revision 0003 (before per-turn snapshots), in
    plain SQL on that revision's columns (the models describe the newest schema)."""
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(Organisation.__table__.insert().values(id=1, slug="acme", name="Acme", created_at=now))
        conn.execute(User.__table__.insert().values(id=1, org_id=1, email="lee@acme.test", name="Lee",
                                                    role="learner", is_active=True, created_at=now))
        conn.execute(text(
            "INSERT INTO reps (id, user_id, org_id, scenario_id, scenario_version, rubric_id, rubric_version,"
            " difficulty, engine, state, outcome, private, created_at, updated_at) VALUES (1, 1, 1, 's', 'v', 'r',"
            " 'v', 'easy', 'fake', '{\"scenario_id\": \"s\"}', 'in_progress', false, :now, :now)"), {"now": now})
        for i, role in enumerate(["counterpart", "learner"]):  # the columns of 0003 only
            conn.execute(text("INSERT INTO turns (rep_id, turn_index, speaker, role, text, created_at)"
                              " VALUES (1, :i, 'x', :role, 'hello', :now)"), {"i": i, "role": role, "now": now})


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
        s.add(TurnRow(conversation_id=1, turn_index=2, speaker="x", role="counterpart", text="hi",
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


def _reps_at_0007(db: Database) -> None:
    """Two organisations' reps as revision 0007 stored them (plain SQL on the 0007 tables): a scored rep with
    four turns, a usage row and a winning line; a private rep that ended without a score; a branch of the first.
    Ids are chosen so that rep ids and other ids differ."""
    now = "2026-01-02 03:04:05"
    rows = [
        "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now),"
        " (2, 'globex', 'Globex', :now)",
        "INSERT INTO teams (id, org_id, name, created_at) VALUES (5, 1, 'East', :now)",
        "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
        " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now), (2, 2, 'kim@globex.test', '', 'learner', true, :now)",
        "INSERT INTO content_versions (id, org_id, kind, content_id, version, title, yaml_text, published, created_at)"
        " VALUES (1, NULL, 'scenario', 'renewal', 'v1', 'The renewal', 'x', true, :now)",
        "INSERT INTO reps (id, user_id, org_id, team_id, scenario_id, scenario_version, rubric_id, rubric_version,"
        " difficulty, engine, state, outcome, ended_reason, private, parent_rep_id, branched_from_turn, created_at,"
        " updated_at, ended_at) VALUES"
        " (11, 1, 1, 5, 'renewal', 'v1', 'disc', 'r1', 'easy', 'fake', '{\"a\": 1}', 'success', 'deal', false,"
        "  NULL, NULL, :now, :now, :now),"
        " (12, 2, 2, NULL, 'unknown', 'v9', 'disc', 'r1', 'hard', 'fake', '{}', 'incomplete', 'left', true,"
        "  NULL, NULL, :now, :now, :now),"
        " (13, 1, 1, 5, 'renewal', 'v1', 'disc', 'r1', 'easy', 'fake', '{}', 'in_progress', NULL, false,"
        "  11, 1, :now, :now, NULL)",
        "INSERT INTO turns (id, rep_id, turn_index, speaker, role, text, created_at) VALUES"
        " (101, 11, 0, 'Dana', 'counterpart', 'Hi', :now), (102, 11, 1, 'Lee', 'learner', 'Why?', :now),"
        " (103, 11, 2, 'Dana', 'counterpart', 'Price', :now), (104, 11, 3, 'Lee', 'learner', 'deal', :now),"
        " (105, 12, 0, 'Sam', 'counterpart', 'Yes?', :now), (106, 13, 0, 'Dana', 'counterpart', 'Hi', :now)",
        "INSERT INTO scorecards (id, rep_id, rubric_id, rubric_version, engine, overall, passed, document,"
        " input_tokens, output_tokens, cost_usd, created_at) VALUES"
        " (201, 11, 'disc', 'r1', 'fake', 50.0, false, '{\"overall\": 50}', 0, 0, NULL, :now),"
        " (202, 11, 'disc', 'r1', 'fake', 80.0, true, '{\"overall\": 80}', 3, 4, 0.5, :now)",
        "INSERT INTO criterion_results (id, scorecard_id, rep_id, org_id, team_id, user_id, criterion_id, kind, skill,"
        " score, max, verdict, created_at) VALUES"
        " (301, 201, 11, 1, 5, 1, 'q', 'check', 'questions', 0, 1, 'missed', :now),"
        " (302, 202, 11, 1, 5, 1, 'q', 'check', 'questions', 1, 1, 'met', :now)",
        "INSERT INTO usage (id, rep_id, org_id, purpose, engine, input_tokens, output_tokens, cost_usd, created_at)"
        " VALUES (401, 11, 1, 'scoring', 'llm:x', 3, 4, 0.5, :now),"
        " (402, NULL, 1, 'persona', 'llm:x', 1, 1, NULL, :now)",
        "INSERT INTO winning_lines (id, user_id, org_id, text, situation, source_rep_id, source_turn_index, created_at)"
        " VALUES (501, 1, 1, 'Why?', 'price', 11, 1, :now), (502, 1, 1, 'typed', 'misc', NULL, NULL, :now)",
    ]
    with db.engine.begin() as conn:
        for sql in rows:
            conn.execute(text(sql), {"now": now})


def _count(conn: object, sql: str) -> object:
    return conn.execute(text(sql)).scalar()  # type: ignore[attr-defined]


def test_0009_turns_every_rep_into_a_practice_conversation_and_keeps_every_row(db: Database) -> None:
    from sparring.store.models import ConversationRow, ParticipantRow

    migrate.upgrade(db.engine, "0007")
    _reps_at_0007(db)
    assert db.upgrade() == ("0007", migrate.SCHEMA_HEAD)
    assert _diff(db) == []
    with db.engine.connect() as conn:
        # one practice conversation per rep, with the rep's id, owner, organisation, team, privacy and times
        assert conn.execute(text(
            "SELECT c.id, c.source, c.title, c.rubric_id, c.user_id, c.org_id, c.team_id, c.private,"
            " c.ended_at IS NULL FROM conversations c ORDER BY c.id")).all() == [
            (11, "practice", "The renewal", "disc", 1, 1, 5, False, False),
            (12, "practice", "unknown", "disc", 2, 2, None, True, False),
            (13, "practice", "The renewal", "disc", 1, 1, 5, False, True),
        ]
        assert conn.execute(text("SELECT id, conversation_id, parent_rep_id FROM reps ORDER BY id")).all() == [
            (11, 11, None), (12, 12, None), (13, 13, 11)]
        # every child row kept and linked to its rep's conversation
        assert conn.execute(text("SELECT id, conversation_id FROM turns ORDER BY id")).all() == [
            (101, 11), (102, 11), (103, 11), (104, 11), (105, 12), (106, 13)]
        assert conn.execute(text("SELECT id, conversation_id FROM scorecards ORDER BY id")).all() == [
            (201, 11), (202, 11)]
        assert conn.execute(text("SELECT id, conversation_id, scorecard_id FROM criterion_results ORDER BY id")).all(
        ) == [(301, 11, 201), (302, 11, 202)]
        assert conn.execute(text("SELECT id, conversation_id FROM usage ORDER BY id")).all() == [(401, 11), (402, None)]
        assert conn.execute(text("SELECT id, source_conversation_id FROM winning_lines ORDER BY id")).all() == [
            (501, 11), (502, None)]
        # participants: who spoke, in the order they joined; the learner is linked to the rep's user
        assert conn.execute(text(
            "SELECT conversation_id, name, role, user_id, first_turn FROM participants"
            " ORDER BY conversation_id, first_turn")).all() == [
            (11, "Dana", "counterpart", None, 0), (11, "Lee", "learner", 1, 1),
            (12, "Sam", "counterpart", None, 0), (13, "Dana", "counterpart", None, 0)]
    with db.session() as s:  # new conversations get fresh ids after the copied ones (the sequence moved on)
        conv = ConversationRow(source="call", title="call", user_id=1, org_id=1)
        s.add(conv)
        s.flush()
        assert conv.id > 13
        s.add(ParticipantRow(conversation_id=conv.id, name="Lee", role="learner", user_id=1, first_turn=0))
        s.add(TurnRow(conversation_id=conv.id, turn_index=0, speaker="Lee", role="learner", text="hello"))
    with pytest.raises(IntegrityError), db.session() as s:  # conversation_id is required now
        s.add(TurnRow(turn_index=9, speaker="x", role="learner", text="orphan"))
    with pytest.raises(IntegrityError), db.session() as s:  # one rep per conversation
        s.execute(text("UPDATE reps SET conversation_id = 11 WHERE id = 12"))

    # downgrade: every rep's rows come back under rep_id; the call (no rep) cannot exist at 0007 and goes
    migrate.downgrade(db.engine, "0007")
    assert not {"conversations", "participants"} & set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT id, rep_id FROM turns ORDER BY id")).all() == [
            (101, 11), (102, 11), (103, 11), (104, 11), (105, 12), (106, 13)]
        assert conn.execute(text("SELECT id, rep_id FROM scorecards ORDER BY id")).all() == [(201, 11), (202, 11)]
        assert conn.execute(text("SELECT id, rep_id FROM criterion_results ORDER BY id")).all() == [
            (301, 11), (302, 11)]
        assert conn.execute(text("SELECT id, rep_id FROM usage ORDER BY id")).all() == [(401, 11), (402, None)]
        assert conn.execute(text("SELECT id, source_rep_id FROM winning_lines ORDER BY id")).all() == [
            (501, 11), (502, None)]
        assert conn.execute(text("SELECT id, private, ended_at IS NULL FROM reps ORDER BY id")).all() == [
            (11, False, False), (12, True, False), (13, False, True)]
    assert db.upgrade() == ("0007", migrate.SCHEMA_HEAD)
    assert _diff(db) == []
    with db.engine.connect() as conn:
        assert _count(conn, "SELECT count(*) FROM turns") == 6
        assert _count(conn, "SELECT count(*) FROM conversations") == 3


def test_sqlite_migrates_with_foreign_keys_off_and_hands_the_connection_back_with_them_on(db: Database) -> None:
    """Batch rebuilds need foreign keys off (docs/decisions.md, "Conversations"); every later use needs them on."""
    db.upgrade()
    if db.dialect != "sqlite":
        return
    for _ in range(3):  # whichever pooled connection comes back
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(TurnRow(conversation_id=12345, turn_index=0, speaker="x", role="learner", text="orphan"))
