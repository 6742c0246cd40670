"""The analytics roll-up (issue 14 item 2; docs/analytics.md "The roll-up"; ``sparring.store.rep_rollup``): ``reps``
gains copies of its conversation's current (newest) scorecard — ``scorecard_id``, ``overall``, ``passed`` —, of
the conversation's ``private`` flag and of its length in ``seconds``, and the covering index ``ix_reps_cohort``, so
the cohort window, the practice counts and a program's progress read ``reps`` alone instead of three index lookups
per rep. The upgrade fills the copies for every rep, in batches of ``BATCH`` rep ids (the same SQL on SQLite and
PostgreSQL but for the length); the downgrade drops the index and the columns (nothing else depends on them).

Revision ID: 0021_analytics_rollup
Revises: 0020_certificate_revocation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_analytics_rollup"
down_revision = "0020_certificate_revocation"
branch_labels = None
depends_on = None

#: rep ids per backfill UPDATE
BATCH = 20_000
INDEX = "ix_reps_cohort"
#: fixed here as migrations are (``sparring.store.models.COHORT_INDEX_COLUMNS`` at this revision)
INDEX_COLUMNS = ["user_id", "created_at", "id", "org_id", "outcome", "scenario_id", "private", "scorecard_id",
                 "overall", "passed", "seconds", "conversation_id"]
SECONDS = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM c.ended_at - c.started_at) AS FLOAT)",
    "sqlite": "(julianday(c.ended_at) - julianday(c.started_at)) * 86400.0",
}
COPIES = (
    "UPDATE reps SET"
    " scorecard_id = (SELECT max(s.id) FROM scorecards s WHERE s.conversation_id = reps.conversation_id),"
    " private = (SELECT c.private FROM conversations c WHERE c.id = reps.conversation_id),"
    " seconds = (SELECT {seconds} FROM conversations c WHERE c.id = reps.conversation_id)"
    " WHERE reps.id >= :low AND reps.id < :high"
)
CARD = (
    "UPDATE reps SET"
    " overall = (SELECT s.overall FROM scorecards s WHERE s.id = reps.scorecard_id),"
    " passed = (SELECT s.passed FROM scorecards s WHERE s.id = reps.scorecard_id)"
    " WHERE reps.id >= :low AND reps.id < :high AND reps.scorecard_id IS NOT NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scorecard_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("overall", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("passed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("seconds", sa.Float(), nullable=True))
    conn = op.get_bind()
    dialect = conn.dialect.name
    if dialect not in SECONDS:
        raise RuntimeError(f"0021_analytics_rollup: no SQL for the length of a conversation on {dialect}")
    low, high = conn.execute(sa.text("SELECT min(id), max(id) FROM reps")).one()
    if low is not None:
        copies, card = sa.text(COPIES.format(seconds=SECONDS[dialect])), sa.text(CARD)
        for start in range(int(low), int(high) + 1, BATCH):
            bounds = {"low": start, "high": start + BATCH}
            conn.execute(copies, bounds)
            conn.execute(card, bounds)
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.create_index(INDEX, INDEX_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("seconds")
        batch_op.drop_column("private")
        batch_op.drop_column("passed")
        batch_op.drop_column("overall")
        batch_op.drop_column("scorecard_id")
