"""Programs, the practice sprints of a cohort (issue 14 item 1; docs/programs.md): ``programs``,
``program_scenarios`` (ordered, optional week and difficulty) and ``program_enrolments`` (teams or users). The
notifications' kinds gain ``enrolled`` and ``behind`` (the CHECK constraint is replaced: on SQLite by copying the
table, its rows kept). The downgrade deletes those notifications, restores the older CHECK and drops the tables.

Revision ID: 0015_programs
Revises: 0014_call_summaries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_programs"
down_revision = "0014_call_summaries"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('assigned', 'submitted', 'reviewed', 'comment', 'due_soon', 'overdue', 'loop_closed')"
NEW_KINDS = ("kind IN ('assigned', 'submitted', 'reviewed', 'comment', 'due_soon', 'overdue', 'loop_closed',"
             " 'enrolled', 'behind')")


def _kinds(check: str) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), check)


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("target_min", sa.Integer(), nullable=False),
        sa.Column("target_max", sa.Integer(), nullable=True),
        sa.Column("pass_bar", sa.Float(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'archived')", name=op.f("ck_programs_status")),
        sa.CheckConstraint("end_on >= start_on", name=op.f("ck_programs_dates")),
        sa.CheckConstraint("target_min >= 1", name=op.f("ck_programs_target_min")),
        sa.CheckConstraint("target_max IS NULL OR target_max >= target_min", name=op.f("ck_programs_target_max")),
        sa.CheckConstraint("pass_bar IS NULL OR (pass_bar >= 0 AND pass_bar <= 100)",
                           name=op.f("ck_programs_pass_bar")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_programs_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_programs_created_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    op.create_index("ix_programs_org_start", "programs", ["org_id", "start_on"], unique=False)
    op.create_index(op.f("ix_programs_created_by"), "programs", ["created_by"], unique=False)

    op.create_table(
        "program_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("week", sa.Integer(), nullable=True),
        sa.Column("difficulty", sa.String(length=8), nullable=True),
        sa.CheckConstraint("difficulty IS NULL OR difficulty IN ('easy', 'medium', 'hard')",
                           name=op.f("ck_program_scenarios_difficulty")),
        sa.CheckConstraint("week IS NULL OR week >= 1", name=op.f("ck_program_scenarios_week")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_program_scenarios_position")),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"],
                                name=op.f("fk_program_scenarios_program_id_programs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_scenarios")),
        sa.UniqueConstraint("program_id", "position", name="uq_program_scenarios_program_position"),
        sa.UniqueConstraint("program_id", "scenario_id", name="uq_program_scenarios_program_scenario"),
    )

    op.create_table(
        "program_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name=op.f("ck_program_enrolments_one_target")),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"],
                                name=op.f("fk_program_enrolments_program_id_programs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_program_enrolments_team_id_teams"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_program_enrolments_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_enrolments")),
        sa.UniqueConstraint("program_id", "team_id", name="uq_program_enrolments_program_team"),
        sa.UniqueConstraint("program_id", "user_id", name="uq_program_enrolments_program_user"),
    )
    op.create_index("ix_program_enrolments_user", "program_enrolments", ["user_id"], unique=False)
    op.create_index("ix_program_enrolments_team", "program_enrolments", ["team_id"], unique=False)
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind IN ('enrolled', 'behind')")
    _kinds(OLD_KINDS)
    op.drop_index("ix_program_enrolments_team", table_name="program_enrolments")
    op.drop_index("ix_program_enrolments_user", table_name="program_enrolments")
    op.drop_table("program_enrolments")
    op.drop_table("program_scenarios")
    op.drop_index(op.f("ix_programs_created_by"), table_name="programs")
    op.drop_index("ix_programs_org_start", table_name="programs")
    op.drop_table("programs")
