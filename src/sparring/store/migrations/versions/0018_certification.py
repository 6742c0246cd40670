"""Certification, a program's readiness check (issue 14 item 3; docs/programs.md "Certification"): a program's
certification (fixed scenario and difficulty, a bar per criterion, max attempts), the attempts (reps marked as one)
and the certificates a manager signed off. The downgrade drops the three tables; programs and reps stay.

Revision ID: 0018_certification
Revises: 0017_lines
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018_certification"
down_revision = "0017_lines"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=80), nullable=False),
        sa.Column("difficulty", sa.String(length=8), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("bars", JSON_DOC, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("difficulty IN ('easy', 'medium', 'hard')", name=op.f("ck_certifications_difficulty")),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_certifications_max_attempts")),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_certifications_program_id_programs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("program_id", name=op.f("uq_certifications_program_id")),
    )
    op.create_table(
        "certification_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"],
                                name=op.f("fk_certification_attempts_program_id_programs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_certification_attempts_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], name=op.f("fk_certification_attempts_rep_id_reps"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_attempts")),
        sa.UniqueConstraint("rep_id", name=op.f("uq_certification_attempts_rep_id")),
    )
    with op.batch_alter_table("certification_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_certification_attempts_program_user", ["program_id", "user_id"], unique=False)
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("signed_off_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_certificates_program_id_programs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_certificates_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], name=op.f("fk_certificates_rep_id_reps"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["signed_off_by"], ["users.id"], name=op.f("fk_certificates_signed_off_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("program_id", "user_id", name="uq_certificates_program_user"),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index("ix_certificates_user", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("certificates")
    op.drop_table("certification_attempts")
    op.drop_table("certifications")
