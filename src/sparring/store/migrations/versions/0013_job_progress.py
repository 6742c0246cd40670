"""Job progress: how far a running job is (a fraction from 0 to 1) and what it is doing, as the task reports it
(``TaskContext.progress``; docs/jobs.md, "Progress"). Two nullable columns on ``jobs``; nothing else changes, and
the downgrade drops them.

Follows 0012_loops.

Revision ID: 0013_job_progress
Revises: 0012_loops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_job_progress"
down_revision = "0012_loops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("progress", sa.Float(), nullable=True))
        batch.add_column(sa.Column("progress_note", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("progress_note")
        batch.drop_column("progress")
