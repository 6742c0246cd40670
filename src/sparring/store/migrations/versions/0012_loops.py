"""Coaching loops (issue 13 item 6; docs/loops.md): a moment of a real call, the criterion it targets, the drill and
assignment made for it, and the verdict the rep's next call gave. One new table; the notifications' kinds gain
``loop_closed`` (the CHECK constraint is replaced: on SQLite by copying the table, its rows kept). The downgrade
drops the table and deletes the ``loop_closed`` notifications before restoring the older CHECK.

Revision ID: 0012_loops
Revises: 0011_assignments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_loops"
down_revision = "0011_assignments"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('assigned', 'submitted', 'reviewed', 'comment', 'due_soon', 'overdue')"
NEW_KINDS = "kind IN ('assigned', 'submitted', 'reviewed', 'comment', 'due_soon', 'overdue', 'loop_closed')"
STATUSES = "status IN ('open', 'closed')"
VERDICTS = "verdict IS NULL OR verdict IN ('improved', 'not_improved', 'not_enough_evidence')"
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _kinds(check: str) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), check)


def upgrade() -> None:
    op.create_table(
        "coaching_loops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_conversation_id", sa.Integer(), nullable=False),
        sa.Column("start_turn", sa.Integer(), nullable=False),
        sa.Column("end_turn", sa.Integer(), nullable=False),
        sa.Column("moment_kind", sa.String(length=40), nullable=True),
        sa.Column("criterion_id", sa.String(length=80), nullable=False),
        sa.Column("rubric_id", sa.String(length=80), nullable=False),
        sa.Column("rubric_version", sa.String(length=64), nullable=True),
        sa.Column("drill_scenario_id", sa.String(length=120), nullable=True),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("verdict", sa.String(length=24), nullable=True),
        sa.Column("next_call_conversation_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("numbers", JSON_DOC, nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_coaching_loops_status")),
        sa.CheckConstraint(VERDICTS, name=op.f("ck_coaching_loops_verdict")),
        sa.CheckConstraint("end_turn >= start_turn", name=op.f("ck_coaching_loops_turns")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_coaching_loops_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_coaching_loops_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_coaching_loops_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["call_conversation_id"], ["conversations.id"],
                                name=op.f("fk_coaching_loops_call_conversation_id_conversations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"],
                                name=op.f("fk_coaching_loops_assignment_id_assignments"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["next_call_conversation_id"], ["conversations.id"],
                                name=op.f("fk_coaching_loops_next_call_conversation_id_conversations"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_loops")),
    )
    op.create_index("ix_coaching_loops_user_status", "coaching_loops", ["user_id", "status"], unique=False)
    op.create_index("ix_coaching_loops_org_created", "coaching_loops", ["org_id", "created_at"], unique=False)
    op.create_index(op.f("ix_coaching_loops_created_by"), "coaching_loops", ["created_by"], unique=False)
    op.create_index(op.f("ix_coaching_loops_call_conversation_id"), "coaching_loops", ["call_conversation_id"],
                    unique=False)
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'loop_closed'")
    _kinds(OLD_KINDS)
    op.drop_index(op.f("ix_coaching_loops_call_conversation_id"), table_name="coaching_loops")
    op.drop_index(op.f("ix_coaching_loops_created_by"), table_name="coaching_loops")
    op.drop_index("ix_coaching_loops_org_created", table_name="coaching_loops")
    op.drop_index("ix_coaching_loops_user_status", table_name="coaching_loops")
    op.drop_table("coaching_loops")
