"""Revoking a certificate (docs/programs.md "Revoking a certificate"): ``certificates`` gains ``revoked_at``,
``revoked_by`` (a user, SET NULL when the account goes) and ``revoked_reason``. A revoked certificate stays on record,
so the unique (program, learner) constraint becomes a partial unique index over the certificates *not* revoked (a
learner certified again after a revocation has both rows). The notifications' kinds gain ``sign_off``, ``certified``
and ``revoked`` (the CHECK constraint is replaced: on SQLite by copying the table, its rows kept).

The downgrade cannot represent a revocation in the older schema: it **deletes revoked certificates** (keeping them
would make them valid again) and those notifications, restores the unique constraint and the older CHECK, and drops
the three columns.

Revision ID: 0020_certificate_revocation
Revises: 0019_speech_takes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_certificate_revocation"
down_revision = "0019_speech_takes"
branch_labels = None
depends_on = None

OLD_KINDS = ("kind IN ('assigned', 'submitted', 'reviewed', 'comment', 'due_soon', 'overdue', 'loop_closed',"
             " 'enrolled', 'behind')")
NEW_KINDS = ("kind IN ('assigned', 'submitted', 'reviewed', 'comment', 'due_soon', 'overdue', 'loop_closed',"
             " 'enrolled', 'behind', 'sign_off', 'certified', 'revoked')")
ACTIVE = "uq_certificates_program_user_active"


def _kinds(check: str) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), check)


def upgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(op.f("fk_certificates_revoked_by_users"), "users", ["revoked_by"], ["id"],
                                    ondelete="SET NULL")
        batch_op.drop_constraint("uq_certificates_program_user", type_="unique")
    op.create_index(ACTIVE, "certificates", ["program_id", "user_id"], unique=True,
                    sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL"))
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind IN ('sign_off', 'certified', 'revoked')")
    _kinds(OLD_KINDS)
    op.execute("DELETE FROM certificates WHERE revoked_at IS NOT NULL")
    op.drop_index(ACTIVE, table_name="certificates")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_certificates_program_user", ["program_id", "user_id"])
        batch_op.drop_constraint(op.f("fk_certificates_revoked_by_users"), type_="foreignkey")
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("revoked_by")
        batch_op.drop_column("revoked_at")
