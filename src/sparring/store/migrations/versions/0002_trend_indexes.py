"""Criterion-result indexes by (team, time) and (organisation, time): dashboards read a time range of one team
or organisation across all criteria; the earlier (team, criterion, time) and (org, skill, time) indexes could
only use their first column for those queries (bench/store_scale.py).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("criterion_results", schema=None) as batch_op:
        batch_op.drop_index("ix_criterion_results_team_criterion")
        batch_op.drop_index("ix_criterion_results_org_skill")
        batch_op.create_index("ix_criterion_results_team_created", ["team_id", "created_at"], unique=False)
        batch_op.create_index("ix_criterion_results_org_created", ["org_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("criterion_results", schema=None) as batch_op:
        batch_op.drop_index("ix_criterion_results_org_created")
        batch_op.drop_index("ix_criterion_results_team_created")
        batch_op.create_index(
            "ix_criterion_results_team_criterion", ["team_id", "criterion_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_criterion_results_org_skill", ["org_id", "skill", "created_at"], unique=False)
