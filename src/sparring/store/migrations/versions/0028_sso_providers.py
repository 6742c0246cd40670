"""Single sign-on (docs/sso.md; ``sparring.store.sso_models``): an organisation's identity providers (OIDC, SAML
2.0) with their claim mapping, linked external identities, the per-organisation password-login switch and the
sign-ins waiting for the provider's answer. The downgrade drops the four tables.

Revision ID: 0028_sso_providers
Revises: 0027_lti_tool
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0028_sso_providers"
down_revision = "0027_lti_tool"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sso_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("email_domains", sa.String(length=1000), nullable=False),
        sa.Column("jit", sa.Boolean(), nullable=False),
        sa.Column("oidc_issuer", sa.String(length=500), nullable=True),
        sa.Column("oidc_client_id", sa.String(length=255), nullable=True),
        sa.Column("oidc_client_secret", sa.String(length=500), nullable=True),
        sa.Column("oidc_scopes", sa.String(length=255), nullable=False),
        sa.Column("trust_email", sa.Boolean(), nullable=False),
        sa.Column("saml_idp_entity_id", sa.String(length=500), nullable=True),
        sa.Column("saml_sso_url", sa.String(length=1000), nullable=True),
        sa.Column("saml_idp_cert", sa.Text(), nullable=True),
        sa.Column("saml_idp_metadata", sa.Text(), nullable=True),
        sa.Column("saml_sp_entity_id", sa.String(length=500), nullable=True),
        sa.Column("claim_email", sa.String(length=255), nullable=False),
        sa.Column("claim_name", sa.String(length=255), nullable=False),
        sa.Column("claim_groups", sa.String(length=255), nullable=False),
        sa.Column("role_rules", JSON_DOC, nullable=True),
        sa.Column("team_rules", JSON_DOC, nullable=True),
        sa.Column("default_role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('oidc', 'saml')", name=op.f("ck_sso_providers_kind")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_sso_providers_org_id_organisations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_providers")),
    )
    with op.batch_alter_table("sso_providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_providers_org_id"), ["org_id"], unique=False)
    op.create_table(
        "sso_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["sso_providers.id"],
                                name=op.f("fk_sso_identities_provider_id_sso_providers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sso_identities_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identities")),
        sa.UniqueConstraint("provider_id", "subject", name="uq_sso_identities_provider_subject"),
    )
    with op.batch_alter_table("sso_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_identities_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sso_org_settings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("password_login", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_sso_org_settings_org_id_organisations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_sso_org_settings")),
    )
    op.create_table(
        "sso_pending",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("verifier", sa.String(length=128), nullable=False),
        sa.Column("next_url", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["sso_providers.id"],
                                name=op.f("fk_sso_pending_provider_id_sso_providers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sso_pending")),
    )
    with op.batch_alter_table("sso_pending", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_pending_provider_id"), ["provider_id"], unique=False)


def downgrade() -> None:
    op.drop_table("sso_pending")
    op.drop_table("sso_org_settings")
    op.drop_table("sso_identities")
    op.drop_table("sso_providers")
