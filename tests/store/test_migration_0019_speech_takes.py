"""Migration 0019_speech_takes on both backends, with data: a take of a rep's learner turn and one still under
review; the schema matches the models; a turn has at most one take; deleting the conversation or the user removes
its takes; the downgrade drops the table and nothing else."""

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
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now), (2, 1, 'kai@acme.test', 'Kai', 'learner', true, :now)",
    "INSERT INTO conversations (id, source, title, user_id, org_id, private, created_at) VALUES"
    " (7, 'practice', 'Pricing', 1, 1, false, :now), (8, 'practice', 'Renewal', 2, 1, false, :now)",
]
TAKE = ("INSERT INTO speech_takes (id, conversation_id, user_id, turn_index, text, words, seconds, delivery,"
        " audio_path, created_at) VALUES (:id, :conv, :user, :turn, 'What would change?', :words, 2.5, :delivery,"
        " NULL, :now)")
WORDS = '[["What", 0.1, 0.3], ["would", 0.3, 0.5], ["change?", 0.5, 0.9]]'
DELIVERY = '{"words": 3, "speech_seconds": 0.8, "wpm": null, "fillers": 0}'


def test_0019_adds_speech_takes(db: Database) -> None:
    migrate.upgrade(db.engine, "0018_certification")
    with db.engine.begin() as conn:
        for sql in AT_0018:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0019_speech_takes")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    assert [d for d in found if "speech_takes" in repr(d)] == []
    args = {"now": NOW, "words": WORDS, "delivery": DELIVERY}
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text(TAKE), {**args, "id": 1, "conv": 7, "user": 1, "turn": 1})
        conn.execute(text(TAKE), {**args, "id": 2, "conv": 7, "user": 1, "turn": None})  # under review
        conn.execute(text(TAKE), {**args, "id": 3, "conv": 7, "user": 1, "turn": None})  # a second one: fine
        conn.execute(text(TAKE), {**args, "id": 4, "conv": 8, "user": 2, "turn": 1})
        assert "change" in str(conn.execute(text("SELECT words FROM speech_takes WHERE id = 1")).scalar())
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # one take per turn
        conn.execute(text(TAKE), {**args, "id": 5, "conv": 7, "user": 1, "turn": 1})
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("DELETE FROM conversations WHERE id = 7"))
        assert [r[0] for r in conn.execute(text("SELECT id FROM speech_takes"))] == [4]
        conn.execute(text("DELETE FROM users WHERE id = 2"))
        assert conn.execute(text("SELECT count(*) FROM speech_takes")).scalar() == 0

    migrate.downgrade(db.engine, "0018_certification")
    tables = set(inspect(db.engine).get_table_names())
    assert "speech_takes" not in tables and {"turns", "certificates"} <= tables
    migrate.upgrade(db.engine, "0019_speech_takes")
    assert migrate.current_revision(db.engine) == "0019_speech_takes"
