"""Content versions are unique per organisation: two organisations may hold the same version of a scenario
or rubric, each visible only to itself (org_id NULL = installation-wide).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content_versions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_content_versions_kind_id_version", type_="unique")
        batch_op.create_unique_constraint(
            "uq_content_versions_org_kind_id_version", ["org_id", "kind", "content_id", "version"]
        )


def downgrade() -> None:
    with op.batch_alter_table("content_versions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_content_versions_org_kind_id_version", type_="unique")
        batch_op.create_unique_constraint("uq_content_versions_kind_id_version", ["kind", "content_id", "version"])
