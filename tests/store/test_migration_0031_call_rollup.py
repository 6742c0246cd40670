"""Migration 0031_call_rollup on both backends, with data: the backfill copies each conversation's current (newest)
scorecard id — a call scored twice, a call never scored, a practice rep — over conversation ids far enough apart to
take several batches; the schema matches the models; the downgrade drops the column and the index and keeps every
row; up again works."""

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

NOW = "2026-12-08 10:00:00"
INDEX = "ix_conversations_user_source"


def _conversation(cid: int, source: str) -> str:
    return ("INSERT INTO conversations (id, source, title, user_id, org_id, private, created_at)"
            f" VALUES ({cid}, '{source}', 'Renewal', 1, 1, false, :now)")


def _card(card_id: int, cid: int) -> str:
    return ("INSERT INTO scorecards (id, conversation_id, rubric_id, rubric_version, engine, overall, passed, document,"
            f" input_tokens, output_tokens, created_at) VALUES ({card_id}, {cid}, 'disc', 'r1', 'fake', 50.0, false,"
            " '{}', 0, 0, :now)")


AT_0030 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now)",
    # a call scored twice: the newer card (12) is current, though it was inserted first
    _conversation(10, "call"), _card(12, 10), _card(11, 10),
    # conversation 45,000 (a later batch): a call nobody scored
    _conversation(45_000, "call"),
    # conversation 70,001: a practice rep's conversation scored once (no rep row: the column is the conversation's)
    _conversation(70_001, "practice"), _card(31, 70_001),
]


def _cards(db: Database) -> dict[int, object]:
    with db.engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, scorecard_id FROM conversations ORDER BY id")).all())  # type: ignore[arg-type]


def test_0031_backfills_the_current_scorecard_and_goes_down_and_up(db: Database) -> None:
    migrate.upgrade(db.engine, "0030_org_retention")
    with db.engine.begin() as conn:
        for sql in AT_0030:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0031_call_rollup")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    # the conversations table as the models have it (tables added by later migrations may name it in a foreign key)
    assert [d for d in found if "conversations" in repr(d) and not (isinstance(d, tuple) and d[0] == "add_table")] == []
    assert INDEX in {ix["name"] for ix in inspect(db.engine).get_indexes("conversations")}
    assert _cards(db) == {10: 12, 45_000: None, 70_001: 31}

    migrate.downgrade(db.engine, "0030_org_retention")
    assert "scorecard_id" not in {c["name"] for c in inspect(db.engine).get_columns("conversations")}
    assert INDEX not in {ix["name"] for ix in inspect(db.engine).get_indexes("conversations")}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM conversations")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM scorecards")).scalar() == 3
    migrate.upgrade(db.engine, "0031_call_rollup")
    assert _cards(db) == {10: 12, 45_000: None, 70_001: 31}
    assert migrate.current_revision(db.engine) == "0031_call_rollup"


def test_0031_on_an_empty_database(db: Database) -> None:
    migrate.upgrade(db.engine, "0031_call_rollup")
    assert "scorecard_id" in {c["name"] for c in inspect(db.engine).get_columns("conversations")}
