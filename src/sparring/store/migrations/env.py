"""Alembic environment. Sparring configures Alembic in code (``sparring.store.migrate``): the connection to
migrate is passed in ``config.attributes["connection"]``; there is no alembic.ini to find."""

from __future__ import annotations

from alembic import context

from sparring.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations with `sparring db upgrade` (sparring.store.migrate), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
