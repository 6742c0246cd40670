"""Assignments (a scenario to practise N times by a due date, per learner), comments on a turn of a conversation,
and in-app notifications (issue 13 item 5; docs/assignments.md). New tables only: nothing existing changes, and
the downgrade drops them with their rows.

Written beside 0010 (job progress and uploads, another branch); both revise 0009 and are chained when merged.

Revision ID: 0011_assignments
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_assignments"
down_revision = "0009"
branch_labels = None
depends_on = None

DIFFICULTIES = "difficulty IN ('easy', 'medium', 'hard')"
STATUSES = "status IN ('not_started', 'in_progress', 'submitted', 'overdue')"
KINDS = "kind IN ('assigned', 'submitted', 'reviewed', 'comment', 'due_soon', 'overdue')"


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("scenario_id", sa.String(length=80), nullable=False),
        sa.Column("scenario_version", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("difficulty", sa.String(length=8), nullable=False),
        sa.Column("reps_required", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("submit_best", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(DIFFICULTIES, name=op.f("ck_assignments_difficulty")),
        sa.CheckConstraint("reps_required >= 1", name=op.f("ck_assignments_reps_required")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_assignments_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assigned_by"], ["users.id"], name=op.f("fk_assignments_assigned_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_assignments_team_id_teams"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index("ix_assignments_org_created", "assignments", ["org_id", "created_at"], unique=False)
    op.create_index(op.f("ix_assignments_assigned_by"), "assignments", ["assigned_by"], unique=False)

    op.create_table(
        "assignees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_rep_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(STATUSES, name=op.f("ck_assignees_status")),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"],
                                name=op.f("fk_assignees_assignment_id_assignments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_assignees_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submitted_rep_id"], ["reps.id"], name=op.f("fk_assignees_submitted_rep_id_reps"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignees")),
        sa.UniqueConstraint("assignment_id", "user_id", name="uq_assignees_assignment_user"),
    )
    op.create_index("ix_assignees_user_status", "assignees", ["user_id", "status"], unique=False)

    op.create_table(
        "turn_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_turn_comments_conversation_id_conversations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_turn_comments_author_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_comments")),
    )
    op.create_index("ix_turn_comments_conversation_turn", "turn_comments", ["conversation_id", "turn_index"],
                    unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(KINDS, name=op.f("ck_notifications_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_key")),
    )
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"], unique=False)
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_turn_comments_conversation_turn", table_name="turn_comments")
    op.drop_table("turn_comments")
    op.drop_index("ix_assignees_user_status", table_name="assignees")
    op.drop_table("assignees")
    op.drop_index(op.f("ix_assignments_assigned_by"), table_name="assignments")
    op.drop_index("ix_assignments_org_created", table_name="assignments")
    op.drop_table("assignments")
