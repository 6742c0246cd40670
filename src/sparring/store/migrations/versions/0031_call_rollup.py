"""The calls' roll-up (issue 14 item 2; docs/analytics.md "Speed"; ``sparring.store.rep_rollup``): ``conversations``
gains ``scorecard_id``, the id of its current (newest: highest id) scorecard, NULL while unscored, and the covering
index ``ix_conversations_user_source``, so the practice-to-call transfer reads a cohort's scored calls from one index
instead of looking up ``max(id)`` of the scorecards once per call. The upgrade fills the column for every
conversation, in batches of ``BATCH`` conversation ids (the same SQL on SQLite and PostgreSQL); the downgrade drops
the index and the column (nothing else depends on them).

Revision ID: 0031_call_rollup
Revises: 0030_org_retention
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_call_rollup"
down_revision = "0030_org_retention"
branch_labels = None
depends_on = None

#: conversation ids per backfill UPDATE
BATCH = 20_000
INDEX = "ix_conversations_user_source"
#: fixed here as migrations are (``sparring.store.models.CALL_INDEX_COLUMNS`` at this revision)
INDEX_COLUMNS = ["user_id", "source", "org_id", "private", "started_at", "created_at", "scorecard_id", "id"]
CURRENT = (
    "UPDATE conversations SET"
    " scorecard_id = (SELECT max(s.id) FROM scorecards s WHERE s.conversation_id = conversations.id)"
    " WHERE conversations.id >= :low AND conversations.id < :high"
)


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scorecard_id", sa.Integer(), nullable=True))
    conn = op.get_bind()
    low, high = conn.execute(sa.text("SELECT min(id), max(id) FROM conversations")).one()
    if low is not None:
        current = sa.text(CURRENT)
        for start in range(int(low), int(high) + 1, BATCH):
            conn.execute(current, {"low": start, "high": start + BATCH})
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(INDEX, INDEX_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("scorecard_id")
