"""SCIM 2.0 provisioning (docs/scim.md; ``sparring.store.scim_models``): ``scim_tokens`` (a bearer secret per
organisation for ``/scim/v2``), ``scim_users`` and ``scim_groups`` (the identity provider's externalId of an account
or team, and when the provider removed it). New tables only: nothing existing changes, and the downgrade drops them
(SCIM tokens stop working; accounts and teams stay).

Revision ID: 0026_scim_provisioning
Revises: 0025_audit_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0026_scim_provisioning"
down_revision = "0025_audit_log"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "scim_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_scim_tokens_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_scim_tokens_created_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scim_tokens_token_hash")),
    )
    op.create_index(op.f("ix_scim_tokens_org_id"), "scim_tokens", ["org_id"], unique=False)
    for table, key, parent in (("scim_users", "user_id", "users"), ("scim_groups", "team_id", "teams")):
        op.create_table(
            table,
            sa.Column(key, sa.Integer(), nullable=False),
            sa.Column("org_id", sa.Integer(), nullable=False),
            sa.Column("external_id", sa.String(length=255), nullable=True),
            *([sa.Column("user_name", sa.String(length=320), nullable=True)] if table == "scim_users" else []),
            sa.Column("attributes", JSON_DOC, nullable=True),
            sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint([key], [f"{parent}.id"], name=op.f(f"fk_{table}_{key}_{parent}"),
                                    ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f(f"fk_{table}_org_id_organisations"),
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_org_id"), table, ["org_id"], unique=False)


def downgrade() -> None:
    for table in ("scim_groups", "scim_users"):
        op.drop_index(op.f(f"ix_{table}_org_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_scim_tokens_org_id"), table_name="scim_tokens")
    op.drop_table("scim_tokens")
