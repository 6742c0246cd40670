"""Spoken turns of practice reps (``speech_takes``: what the server heard in each recording, the delivery measured
from its word times, the learner turn it became; docs/voice.md). A new table only: nothing existing changes, and
the downgrade drops it (typed turns and their text stay; the delivery of spoken reps is lost).

Follows 0018_certification.

Revision ID: 0019_speech_takes
Revises: 0018_certification
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019_speech_takes"
down_revision = "0018_certification"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "speech_takes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", _json(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("delivery", _json(), nullable=False),
        sa.Column("audio_path", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_speech_takes_conversation_id_conversations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_speech_takes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speech_takes")),
        sa.UniqueConstraint("conversation_id", "turn_index", name="uq_speech_takes_conversation_id_turn_index"),
    )
    op.create_index("ix_speech_takes_user_created", "speech_takes", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_speech_takes_user_created", table_name="speech_takes")
    op.drop_table("speech_takes")
