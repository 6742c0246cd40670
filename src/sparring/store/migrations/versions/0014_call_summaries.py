"""The cached scored summary of each stored call (``call_summaries``: key moments and the pivotal one, computed
once; docs/calls.md "In the browser"). A new table only: nothing existing changes, and the downgrade drops it (the
summaries are computed again on the next read).

Follows 0013_job_progress.

Revision ID: 0014_call_summaries
Revises: 0013_job_progress
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_call_summaries"
down_revision = "0013_job_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_summaries",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=True),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("pivotal_kind", sa.String(length=40), nullable=True),
        sa.Column("moment_count", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_call_summaries_conversation_id_conversations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_call_summaries")),
    )


def downgrade() -> None:
    op.drop_table("call_summaries")
