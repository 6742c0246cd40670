"""An organisation's own retention (docs/data-ownership.md, "Retention"; ``sparring.store.retention_models``): the
``org_retention`` table, one row per organisation that set its own periods (calls, practice, audio, in days) or
turned the keeping of spoken-turn recordings off. No row: the organisation follows the installation's settings,
as every organisation did before. The downgrade drops it (the installation's settings apply again).

Revision ID: 0030_org_retention
Revises: 0029_sealed_columns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030_org_retention"
down_revision = "0029_sealed_columns"
branch_labels = None
depends_on = None

MAX_DAYS = 36_500


def upgrade() -> None:
    op.create_table(
        "org_retention",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("call_days", sa.Integer(), nullable=True),
        sa.Column("practice_days", sa.Integer(), nullable=True),
        sa.Column("audio_days", sa.Integer(), nullable=True),
        sa.Column("keep_audio", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *[sa.CheckConstraint(f"{c} IS NULL OR ({c} >= 1 AND {c} <= {MAX_DAYS})", name=op.f(f"ck_org_retention_{c}"))
          for c in ("call_days", "practice_days", "audio_days")],
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_org_retention_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_org_retention")),
    )


def downgrade() -> None:
    op.drop_table("org_retention")
