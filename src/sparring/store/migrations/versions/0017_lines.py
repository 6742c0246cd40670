"""Winning lines, grown up (issue 14 item 4; docs/lines.md): the team library managers curate (``team_lines``) and
spaced repetition of each learner's saved lines (``winning_lines`` gains ``review_step``, ``due_at``, ``reviews``,
``lapses``, ``last_reviewed_at``). Lines saved before this migration are due one day after they were saved (the
first interval of the schedule), so the first review brings every old line back. The downgrade drops the table and
the columns; the lines themselves stay.

Follows 0015_programs.

Revision ID: 0017_lines
Revises: 0015_programs
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0017_lines"
down_revision = "0015_programs"
branch_labels = None
depends_on = None

#: the schedule's first interval (``sparring.coaching.line_schedule.INTERVALS_DAYS[0]``), fixed here as migrations are
FIRST_INTERVAL = timedelta(days=1)


def upgrade() -> None:
    op.create_table(
        "team_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("situation", sa.String(length=120), nullable=False),
        sa.Column("skill", sa.String(length=80), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("source_conversation_id", sa.Integer(), nullable=True),
        sa.Column("source_turn_index", sa.Integer(), nullable=True),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_team_lines_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_lines_team_id_teams"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_user_id"], ["users.id"], name=op.f("fk_team_lines_from_user_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["source_conversation_id"], ["conversations.id"],
                                name=op.f("fk_team_lines_source_conversation_id_conversations"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"], name=op.f("fk_team_lines_added_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_lines")),
    )
    with op.batch_alter_table("team_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_lines_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_team_lines_team_created", ["team_id", "created_at"], unique=False)

    with op.batch_alter_table("winning_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_step", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reviews", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("lapses", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_reviewed_at", sa.DateTime(timezone=True), nullable=True))
    # existing lines: due one interval after they were saved (computed here, the same on both databases)
    lines = sa.table("winning_lines", sa.column("id", sa.Integer()), sa.column("created_at", sa.DateTime(True)),
                     sa.column("due_at", sa.DateTime(True)))
    conn = op.get_bind()
    for line_id, created in conn.execute(sa.select(lines.c.id, lines.c.created_at)).all():
        saved = created if created is not None else datetime.now(UTC)
        if saved.tzinfo is None:
            saved = saved.replace(tzinfo=UTC)
        conn.execute(lines.update().where(lines.c.id == line_id).values(due_at=saved + FIRST_INTERVAL))
    with op.batch_alter_table("winning_lines", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index("ix_winning_lines_user_due", ["user_id", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("winning_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_winning_lines_user_due")
        batch_op.drop_column("last_reviewed_at")
        batch_op.drop_column("lapses")
        batch_op.drop_column("reviews")
        batch_op.drop_column("due_at")
        batch_op.drop_column("review_step")
    with op.batch_alter_table("team_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_team_lines_team_created")
        batch_op.drop_index(batch_op.f("ix_team_lines_org_id"))
    op.drop_table("team_lines")
