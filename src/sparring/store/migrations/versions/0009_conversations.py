"""Conversation-centric storage: a ``conversations`` table (source practice | call | drill, owner, team,
organisation, privacy, timing) and its ``participants``; turns, scorecards, criterion results, LLM usage and
winning lines hang from a conversation instead of a rep, and a rep becomes the practice extension of one
conversation (``reps.conversation_id``, required and unique). ``reps.private`` and ``reps.ended_at`` move to the
conversation (the access rule and the timing are the conversation's).

Every existing row is kept: each rep becomes one practice conversation **with the rep's id as its id** (same
owner, organisation, team, privacy and times; title: the pinned scenario version's title), so every back-fill is
``conversation_id = rep_id``; its participants are the distinct (speaker, role) pairs of its turns, the learner
linked to the rep's user. On PostgreSQL the id sequence is moved past the copied ids.

Downgrade: rep ids are read back through ``reps.conversation_id``. Conversations that are not practice reps
(imported calls) cannot be represented before this revision: they are deleted, with their turns and scorecards.

Written while 0008 (the jobs table) was being added on another branch; re-pointed at 0008 when the branches
were merged (the two revisions touch different tables).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SOURCES = "source IN ('practice', 'call', 'drill')"
ROLES = "role IN ('learner', 'counterpart', 'other')"
#: tables whose rows hang from a rep today: (table, old column, new column, required, old index, new index)
CHILDREN = (
    ("turns", "rep_id", "conversation_id", True, None, None),
    ("scorecards", "rep_id", "conversation_id", True, "ix_scorecards_rep_created",
     ("ix_scorecards_conversation_created", ["conversation_id", "created_at"])),
    ("criterion_results", "rep_id", "conversation_id", True, "ix_criterion_results_rep_id",
     ("ix_criterion_results_conversation_id", ["conversation_id"])),
    ("usage", "rep_id", "conversation_id", False, "ix_usage_rep_id", ("ix_usage_conversation_id", ["conversation_id"])),
    ("winning_lines", "source_rep_id", "source_conversation_id", False, None, None),
)
#: how each child's foreign key deletes with its parent
ON_DELETE = {"turns": "CASCADE", "scorecards": "CASCADE", "criterion_results": "CASCADE", "usage": "CASCADE",
             "winning_lines": "SET NULL"}


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("rubric_id", sa.String(length=80), nullable=True),
        sa.Column("rubric_version", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(SOURCES, name=op.f("ck_conversations_source")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_conversations_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_conversations_team_id_teams"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_conversations_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index("ix_conversations_user_created", "conversations", ["user_id", "created_at"], unique=False)
    op.create_index("ix_conversations_org_created", "conversations", ["org_id", "created_at"], unique=False)
    op.create_index("ix_conversations_team_created", "conversations", ["team_id", "created_at"], unique=False)

    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("first_turn", sa.Integer(), nullable=True),
        sa.CheckConstraint(ROLES, name=op.f("ck_participants_role")),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_participants_conversation_id_conversations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_participants_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
        sa.UniqueConstraint("conversation_id", "name", "role", name="uq_participants_conversation_name_role"),
    )
    op.create_index(op.f("ix_participants_user_id"), "participants", ["user_id"], unique=False)

    # one practice conversation per rep, with the rep's id; the title of the scenario version the rep pinned
    op.execute(
        "INSERT INTO conversations (id, source, title, rubric_id, rubric_version, user_id, org_id, team_id, private,"
        " started_at, ended_at, created_at)"
        " SELECT r.id, 'practice', COALESCE((SELECT MAX(NULLIF(cv.title, '')) FROM content_versions cv"
        "   WHERE cv.kind = 'scenario' AND cv.content_id = r.scenario_id AND cv.version = r.scenario_version),"
        "   r.scenario_id),"
        " r.rubric_id, r.rubric_version, r.user_id, r.org_id, r.team_id, r.private, r.created_at, r.ended_at,"
        " r.created_at FROM reps r"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('conversations', 'id'),"
                   " COALESCE((SELECT MAX(id) FROM conversations), 0) + 1, false)")
    op.execute(
        "INSERT INTO participants (conversation_id, name, role, user_id, first_turn)"
        " SELECT t.rep_id, t.speaker, t.role, CASE WHEN t.role = 'learner' THEN r.user_id END, MIN(t.turn_index)"
        " FROM turns t JOIN reps r ON r.id = t.rep_id GROUP BY t.rep_id, t.speaker, t.role, r.user_id"
    )

    op.add_column("reps", sa.Column("conversation_id", sa.Integer(), nullable=True))
    op.execute("UPDATE reps SET conversation_id = id")
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.alter_column("conversation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_reps_conversation_id"), ["conversation_id"])
        batch_op.create_foreign_key(batch_op.f("fk_reps_conversation_id_conversations"), "conversations",
                                    ["conversation_id"], ["id"], ondelete="CASCADE")
        batch_op.drop_column("private")
        batch_op.drop_column("ended_at")

    for table, old, new, required, old_index, new_index in CHILDREN:
        op.add_column(table, sa.Column(new, sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET {new} = {old}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            if old_index:
                batch_op.drop_index(old_index)
            if table == "turns":
                batch_op.drop_constraint("uq_turns_rep_id_turn_index", type_="unique")
            batch_op.drop_constraint(f"fk_{table}_{old}_reps", type_="foreignkey")
            batch_op.drop_column(old)
            if required:
                batch_op.alter_column(new, existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(f"fk_{table}_{new}_conversations", "conversations", [new], ["id"],
                                        ondelete=ON_DELETE[table])
            if table == "turns":
                batch_op.create_unique_constraint("uq_turns_conversation_id_turn_index",
                                                  ["conversation_id", "turn_index"])
            if new_index:
                batch_op.create_index(new_index[0], new_index[1], unique=False)


def downgrade() -> None:
    # what has no rep cannot exist before this revision: calls (and their rows) go
    orphan = "NOT IN (SELECT conversation_id FROM reps)"
    for table in ("criterion_results", "scorecards", "turns", "usage"):
        op.execute(f"DELETE FROM {table} WHERE conversation_id {orphan}")
    op.execute(f"UPDATE winning_lines SET source_conversation_id = NULL WHERE source_conversation_id {orphan}")

    for table, old, new, required, old_index, new_index in CHILDREN:
        op.add_column(table, sa.Column(old, sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET {old} = (SELECT r.id FROM reps r WHERE r.conversation_id = {table}.{new})")
        with op.batch_alter_table(table, schema=None) as batch_op:
            if new_index:
                batch_op.drop_index(new_index[0])
            if table == "turns":
                batch_op.drop_constraint("uq_turns_conversation_id_turn_index", type_="unique")
            batch_op.drop_constraint(f"fk_{table}_{new}_conversations", type_="foreignkey")
            batch_op.drop_column(new)
            if required:
                batch_op.alter_column(old, existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(f"fk_{table}_{old}_reps", "reps", [old], ["id"], ondelete=ON_DELETE[table])
            if table == "turns":
                batch_op.create_unique_constraint("uq_turns_rep_id_turn_index", ["rep_id", "turn_index"])
            if old_index:
                batch_op.create_index(old_index, ["rep_id", "created_at"] if table == "scorecards" else ["rep_id"],
                                      unique=False)

    op.add_column("reps", sa.Column("private", sa.Boolean(), nullable=True))
    op.add_column("reps", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE reps SET private = (SELECT c.private FROM conversations c WHERE c.id = reps.conversation_id),"
               " ended_at = (SELECT c.ended_at FROM conversations c WHERE c.id = reps.conversation_id)")
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.alter_column("private", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_reps_conversation_id_conversations"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_reps_conversation_id"), type_="unique")
        batch_op.drop_column("conversation_id")

    op.drop_index(op.f("ix_participants_user_id"), table_name="participants")
    op.drop_table("participants")
    op.drop_index("ix_conversations_team_created", table_name="conversations")
    op.drop_index("ix_conversations_org_created", table_name="conversations")
    op.drop_index("ix_conversations_user_created", table_name="conversations")
    op.drop_table("conversations")
