"""Migration 0011_assignments and the coaching tables (assignments, assignees, turn comments, notifications), with
data, on SQLite and PostgreSQL: upgrade from 0009 keeps what was there, the constraints hold, deletions cascade as
the models say, and the downgrade drops only the new tables."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from sparring.store import migrate
from sparring.store.coaching_models import AssigneeRow, AssignmentRow, NotificationRow, TurnCommentRow
from sparring.store.db import Database
from sparring.store.models import ConversationRow, Organisation, TurnRow, User, utcnow

NEW_TABLES = {"assignments", "assignees", "turn_comments", "notifications"}


def _data_at_0009(db: Database) -> None:
    """An organisation, two users, a practice conversation with its rep and two turns (plain rows of 0009)."""
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(Organisation.__table__.insert().values(id=1, slug="acme", name="Acme", created_at=now))
        for uid, email, role in ((1, "lee@acme.test", "learner"), (2, "max@acme.test", "manager")):
            conn.execute(User.__table__.insert().values(id=uid, org_id=1, email=email, name=email[:3], role=role,
                                                        is_active=True, created_at=now))
        conn.execute(ConversationRow.__table__.insert().values(id=7, source="practice", title="Renewal", user_id=1,
                                                               org_id=1, private=False, created_at=now))
        # plain SQL: the model's ``reps`` has columns later migrations add (0021's roll-up), which 0009 has not
        conn.execute(text("INSERT INTO reps (id, conversation_id, user_id, org_id, scenario_id, scenario_version, "
                          "rubric_id, rubric_version, difficulty, engine, state, outcome, created_at, updated_at) "
                          "VALUES (7, 7, 1, 1, 'renewal', 'v1', 'r', 'v', 'easy', 'fake', '{}', 'success', :now, :now)"
                          ),
                     {"now": now})
        for i, role in enumerate(("counterpart", "learner")):
            conn.execute(TurnRow.__table__.insert().values(conversation_id=7, turn_index=i, speaker="x", role=role,
                                                           text="hello", created_at=now))


def test_0011_adds_the_coaching_tables_and_keeps_every_row(db: Database) -> None:
    migrate.upgrade(db.engine, "0009")
    _data_at_0009(db)
    assert not NEW_TABLES & set(inspect(db.engine).get_table_names())
    assert db.upgrade() == ("0009", migrate.SCHEMA_HEAD)
    assert set(inspect(db.engine).get_table_names()) >= NEW_TABLES
    with db.session() as s:
        a = AssignmentRow(org_id=1, assigned_by=2, scenario_id="renewal", scenario_version="v1", title="Renewal",
                          difficulty="easy", reps_required=3, due_on=date(2026, 12, 24), submit_best=True, note="")
        s.add(a)
        s.flush()
        s.add(AssigneeRow(assignment_id=a.id, user_id=1, status="submitted", submitted_rep_id=7))
        s.add(TurnCommentRow(conversation_id=7, turn_index=1, author_id=2, text="Ask first."))
        s.add(NotificationRow(user_id=1, kind="due_soon", text="Due tomorrow", link="/assignments", key="due_soon:1"))
    with db.read() as s:
        assert s.scalar(select(AssignmentRow.due_on)) == date(2026, 12, 24)
        assert s.scalar(select(AssigneeRow.submitted_rep_id)) == 7
    with db.engine.connect() as conn:  # what 0009 stored is untouched
        assert conn.execute(text("SELECT count(*) FROM turns")).scalar() == 2
        assert conn.execute(text("SELECT outcome FROM reps WHERE id = 7")).scalar() == "success"


def test_constraints_of_the_coaching_tables(db: Database) -> None:
    db.upgrade()
    _data_at_0009(db)
    with db.session() as s:
        a = AssignmentRow(org_id=1, scenario_id="renewal", title="R", difficulty="easy", reps_required=1,
                          due_on=date(2026, 12, 24), submit_best=True, note="")
        s.add(a)
        s.flush()
        s.add(AssigneeRow(assignment_id=a.id, user_id=1))
        s.add(NotificationRow(user_id=1, kind="overdue", text="late", link="", key="overdue:1"))
    bad = [
        AssignmentRow(org_id=1, scenario_id="x", title="", difficulty="extreme", reps_required=1,
                      due_on=date(2026, 1, 1), submit_best=True, note=""),
        AssignmentRow(org_id=1, scenario_id="x", title="", difficulty="easy", reps_required=0,
                      due_on=date(2026, 1, 1), submit_best=True, note=""),
        AssigneeRow(assignment_id=1, user_id=1),  # the same learner twice
        AssigneeRow(assignment_id=1, user_id=2, status="lost"),
        NotificationRow(user_id=1, kind="overdue", text="again", link="", key="overdue:1"),  # a key is used once
        NotificationRow(user_id=1, kind="spam", text="x", link=""),
    ]
    for row in bad:
        with pytest.raises(IntegrityError), db.session() as s:
            s.add(row)


def test_deleting_rows_cascades_or_keeps_as_the_models_say(db: Database) -> None:
    db.upgrade()
    _data_at_0009(db)
    with db.session() as s:
        a = AssignmentRow(org_id=1, assigned_by=2, scenario_id="renewal", title="R", difficulty="easy",
                          reps_required=1, due_on=date(2026, 12, 24), submit_best=True, note="")
        s.add(a)
        s.flush()
        s.add(AssigneeRow(assignment_id=a.id, user_id=1, submitted_rep_id=7))
        s.add(TurnCommentRow(conversation_id=7, turn_index=1, author_id=2, text="Ask first."))
        s.add(NotificationRow(user_id=2, kind="submitted", text="Lee submitted", link="/team/assignments/1"))
    with db.session() as s:  # the manager leaves: their assignment and comment stay, without an author
        s.execute(User.__table__.delete().where(User.id == 2))
    with db.read() as s:
        assert s.scalar(select(AssignmentRow.assigned_by)) is None
        assert s.scalar(select(TurnCommentRow.author_id)) is None
        assert s.scalar(select(NotificationRow.id)) is None  # their notifications went with them
    with db.session() as s:  # the rep goes: the submission loses its rep; the conversation takes its comments
        s.execute(ConversationRow.__table__.delete().where(ConversationRow.id == 7))
    with db.read() as s:
        assert s.scalar(select(AssigneeRow.submitted_rep_id)) is None
        assert s.scalar(select(TurnCommentRow.id)) is None


def test_downgrade_to_0009_drops_only_the_coaching_tables(db: Database) -> None:
    db.upgrade()
    _data_at_0009(db)
    with db.session() as s:
        s.add(NotificationRow(user_id=1, kind="assigned", text="x", link=""))
    migrate.downgrade(db.engine, "0009")
    assert not NEW_TABLES & set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM turns")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 2
    assert db.upgrade() == ("0009", migrate.SCHEMA_HEAD)
