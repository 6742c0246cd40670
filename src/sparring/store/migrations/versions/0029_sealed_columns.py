"""Sealed secrets (docs/security.md, "Secrets at rest"; ``sparring.store.sealing``): the columns that hold a sealed
value become unbounded text, since ``sealed:v1:<kid>:<base64>`` is longer than the secret it seals —
``users.totp_secret`` (was 64 characters), ``webhook_endpoints.secret`` (80) and
``sso_providers.oidc_client_secret`` (500). ``lti_keys.private_pem`` is text already. The values themselves are
sealed by the application (on write, or all at once by ``sparring db seal-secrets``), not here: a migration has no
business with the installation key.

The downgrade restores the lengths; on PostgreSQL it fails (and changes nothing) while a sealed value is longer than
the old length: unseal first by restoring a backup taken before sealing, or accept re-enrolment.

Revision ID: 0029_sealed_columns
Revises: 0028_sso_providers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_sealed_columns"
down_revision = "0028_sso_providers"
branch_labels = None
depends_on = None

#: (table, column, length before, nullable)
COLUMNS = (
    ("users", "totp_secret", 64, True),
    ("webhook_endpoints", "secret", 80, False),
    ("sso_providers", "oidc_client_secret", 500, True),
)


def upgrade() -> None:
    for table, column, length, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.String(length=length), type_=sa.Text(), existing_nullable=nullable
            )


def downgrade() -> None:
    for table, column, length, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.Text(), type_=sa.String(length=length), existing_nullable=nullable
            )
