"""The xAPI outbox (issue 16 item 1; docs/integrations.md "xAPI"; ``sparring.store.xapi_models``): ``xapi_batches``
(one delivery of an organisation's scored attempts to the learning record store, with its status, tries and last
error) and ``xapi_outbox`` (which scorecard went in which batch). The downgrade drops both (nothing else depends
on them; the statements already sent stay in the LRS).

Revision ID: 0024_xapi_outbox
Revises: 0023_api_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_xapi_outbox"
down_revision = "0023_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xapi_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts_count", sa.Integer(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'dead')", name=op.f("ck_xapi_batches_status")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_xapi_batches_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_batches")),
    )
    with op.batch_alter_table("xapi_batches", schema=None) as batch_op:
        batch_op.create_index("ix_xapi_batches_org_status", ["org_id", "status"], unique=False)
    op.create_table(
        "xapi_outbox",
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["scorecard_id"], ["scorecards.id"],
                                name=op.f("fk_xapi_outbox_scorecard_id_scorecards"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["xapi_batches.id"], name=op.f("fk_xapi_outbox_batch_id_xapi_batches"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("scorecard_id", name=op.f("pk_xapi_outbox")),
    )
    with op.batch_alter_table("xapi_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xapi_outbox_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_table("xapi_outbox")
    op.drop_table("xapi_batches")
