"""Engines and constraints on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from sparring.store.db import Database, DatabaseError, forget_databases, get_database
from sparring.store.models import ConversationRow, Organisation, Rep, TurnRow, User


def _rep(db: Database) -> int:
    """A practice conversation with its rep and one turn; returns the conversation id."""
    with db.session() as s:
        org = Organisation(slug="acme", name="Acme")
        s.add(org)
        s.flush()
        user = User(org_id=org.id, email="a@acme.test", role="learner")
        s.add(user)
        s.flush()
        conversation = ConversationRow(source="practice", title="S", user_id=user.id, org_id=org.id)
        s.add(conversation)
        s.flush()
        rep = Rep(
            conversation_id=conversation.id,
            user_id=user.id,
            org_id=org.id,
            scenario_id="s",
            scenario_version="v1",
            rubric_id="r",
            rubric_version="v2",
            difficulty="easy",
            engine="fake",
            state={"values": {"trust": 0.5}},
        )
        s.add(rep)
        s.flush()
        s.add(TurnRow(conversation_id=conversation.id, turn_index=0, speaker="P", role="counterpart", text="hello"))
        return conversation.id


def test_turn_index_is_unique_per_conversation(db: Database) -> None:
    cid = _rep(db)
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(TurnRow(conversation_id=cid, turn_index=0, speaker="L", role="learner", text="again"))


def test_check_constraints_and_foreign_keys_are_enforced(db: Database) -> None:
    cid = _rep(db)
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(TurnRow(conversation_id=cid, turn_index=1, speaker="L", role="narrator", text="x"))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(TurnRow(conversation_id=cid + 100, turn_index=0, speaker="L", role="learner", text="orphan"))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(User(org_id=1, email="b@acme.test", role="superuser"))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(ConversationRow(source="podcast", title="x", user_id=1, org_id=1))
    with pytest.raises(IntegrityError), db.session() as s:  # one rep per conversation
        s.add(Rep(conversation_id=cid, user_id=1, org_id=1, scenario_id="s", scenario_version="v", rubric_id="r",
                  rubric_version="v", difficulty="easy", engine="fake", state={}))


def test_json_state_round_trips_and_deleting_a_conversation_deletes_its_rep_and_turns(db: Database) -> None:
    cid = _rep(db)
    with db.read() as s:
        rep = s.scalars(select(Rep).where(Rep.conversation_id == cid)).one()
        assert rep.state == {"values": {"trust": 0.5}}
    with db.session() as s:
        s.delete(s.get(ConversationRow, cid))
    with db.read() as s:
        assert s.scalars(select(TurnRow)).all() == []
        assert s.scalars(select(Rep)).all() == []


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x' / 'sparring.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL: survives a crash of the process
    db.dispose()


def test_sqlite_synchronous_is_a_setting(tmp_path: Path) -> None:
    """The setting reaches SQLite through the composition root; storage itself defaults to NORMAL."""
    from sparring.root import Sparring
    from sparring.settings import Settings

    root = Sparring(Settings(data_dir=tmp_path / "full", sqlite_synchronous="full"))
    try:
        with root.database.engine.connect() as conn:
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL: an fsync per commit
    finally:
        forget_databases()
    plain = Database(f"sqlite:///{tmp_path / 'normal.db'}")
    with plain.engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1
    plain.dispose()
    with pytest.raises(DatabaseError, match="synchronous must be one of normal, full"):
        Database(f"sqlite:///{tmp_path / 'off.db'}", synchronous="off")


def test_default_database_lives_in_the_data_dir(_isolated_env: Path) -> None:
    from sparring.root import Sparring
    from sparring.settings import get_settings

    try:
        db = Sparring(get_settings()).database
        assert db.dialect == "sqlite" and get_database(f"sqlite:///{_isolated_env / 'sparring.db'}") is db
        with db.session() as s:
            s.add(Organisation(slug="o", name="O"))
        assert (_isolated_env / "sparring.db").is_file()
    finally:
        forget_databases()


def test_unusable_urls_give_one_clear_error() -> None:
    with pytest.raises(DatabaseError, match="cannot use database URL"):
        Database("nosuchdb://x")
    db = Database("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(DatabaseError, match="cannot open postgresql"), db.session():
        pass


def test_in_memory_sqlite_is_one_shared_database() -> None:
    db = Database("sqlite://")
    with db.session() as s:
        s.add(Organisation(slug="mem", name="Mem"))
    with db.read() as s:
        assert s.scalar(select(Organisation.slug)) == "mem"
    db.dispose()
