"""Migration 0021_analytics_rollup on both backends, with data: the backfill copies each rep's current (newest)
scorecard, its conversation's privacy and length, over rep ids far enough apart to take several batches; the
schema matches the models; the downgrade drops the columns and the index and keeps every row; up again works."""

from __future__ import annotations

import pytest
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
ROLLUP = {"scorecard_id", "overall", "passed", "private", "seconds"}


def _conversation(cid: int, private: bool, start: str | None, end: str | None, source: str = "practice") -> str:
    times = ", ".join("NULL" if t is None else f"'{t}'" for t in (start, end))
    return ("INSERT INTO conversations (id, source, title, user_id, org_id, private, started_at, ended_at, created_at)"
            f" VALUES ({cid}, '{source}', 'Pricing', 1, 1, {'true' if private else 'false'}, {times}, :now)")


def _rep(rep_id: int, cid: int, outcome: str = "success") -> str:
    return ("INSERT INTO reps (id, conversation_id, user_id, org_id, scenario_id, scenario_version, rubric_id,"
            " rubric_version, difficulty, engine, state, outcome, created_at, updated_at) VALUES"
            f" ({rep_id}, {cid}, 1, 1, 'renewal', 'v1', 'disc', 'r1', 'hard', 'fake', '{{}}', '{outcome}', :now, :now)")


def _card(card_id: int, cid: int, overall: float, passed: bool) -> str:
    return ("INSERT INTO scorecards (id, conversation_id, rubric_id, rubric_version, engine, overall, passed, document,"
            f" input_tokens, output_tokens, created_at) VALUES ({card_id}, {cid}, 'disc', 'r1', 'fake', {overall},"
            f" {'true' if passed else 'false'}, '{{}}', 0, 0, :now)")


AT_0018 = [
    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', :now)",
    "INSERT INTO users (id, org_id, email, name, role, is_active, created_at) VALUES"
    " (1, 1, 'lee@acme.test', 'Lee', 'learner', true, :now)",
    # rep 1: scored twice (the newer card, 12, is current), 90 s long
    _conversation(10, False, "2026-03-02 10:00:00", "2026-03-02 10:01:30"), _rep(1, 10),
    _card(11, 10, 40.0, False), _card(12, 10, 80.0, True),
    # rep 45,000 (a later batch): private, unscored, never ended
    _conversation(20, True, "2026-03-02 11:00:00", None), _rep(45_000, 20, "in_progress"),
    # rep 70,001: scored once, 10 minutes
    _conversation(30, False, "2026-03-02 12:00:00", "2026-03-02 12:10:00"), _rep(70_001, 30),
    _card(31, 30, 55.5, False),
    # a scored call: no rep
    _conversation(40, False, None, None, "call"), _card(41, 40, 99.0, True),
]


def _rollup(db: Database) -> dict[int, tuple[object, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, scorecard_id, overall, passed, private, seconds FROM reps ORDER BY id"))
        return {r[0]: (r[1], r[2], None if r[3] is None else bool(r[3]), bool(r[4]), r[5]) for r in rows}


def test_0021_backfills_the_rollup_and_goes_down_and_up(db: Database) -> None:
    migrate.upgrade(db.engine, "0018_certification")
    with db.engine.begin() as conn:
        for sql in AT_0018:
            conn.execute(text(sql), {"now": NOW})
    migrate.upgrade(db.engine, "0021_analytics_rollup")
    with db.engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))
    # the reps table as the models have it (tables added by later migrations may name reps in a foreign key)
    assert [d for d in found if "reps" in repr(d) and not (isinstance(d, tuple) and d[0] == "add_table")] == []
    assert "ix_reps_cohort" in {ix["name"] for ix in inspect(db.engine).get_indexes("reps")}
    got = _rollup(db)
    assert set(got) == {1, 45_000, 70_001}
    assert got[1][:4] == (12, 80.0, True, False) and got[1][4] == pytest.approx(90.0, abs=1e-3)
    assert got[45_000] == (None, None, None, True, None)
    assert got[70_001][:4] == (31, 55.5, False, False) and got[70_001][4] == pytest.approx(600.0, abs=1e-3)

    migrate.downgrade(db.engine, "0020_certificate_revocation")
    assert not ROLLUP & {c["name"] for c in inspect(db.engine).get_columns("reps")}
    assert "ix_reps_cohort" not in {ix["name"] for ix in inspect(db.engine).get_indexes("reps")}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reps")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM scorecards")).scalar() == 4
    migrate.upgrade(db.engine, "0021_analytics_rollup")
    assert _rollup(db) == got
    assert migrate.current_revision(db.engine) == "0021_analytics_rollup"


def test_0021_on_an_empty_database(db: Database) -> None:
    migrate.upgrade(db.engine, "0021_analytics_rollup")
    assert {c["name"] for c in inspect(db.engine).get_columns("reps")} >= ROLLUP
