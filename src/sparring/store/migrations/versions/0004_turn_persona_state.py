"""Persona state per turn: each persona (counterpart) turn keeps the PersonaState right after it was said,
so retrying a rep from turn k restores the state instead of replaying the learner's turns through the persona
engine. A nullable column on ``turns`` (not a table of its own): the snapshot is written by the same INSERT
as the reply, so the turn path gains no statement. Turns stored before this revision have NULL (those reps
still branch by replay).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a nullable column without a default: a metadata-only change on both SQLite and PostgreSQL
    op.add_column(
        "turns",
        sa.Column(
            "persona_state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_column("persona_state")
