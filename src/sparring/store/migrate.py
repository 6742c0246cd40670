"""Alembic, configured in code: ``upgrade head`` on first use and through ``sparring db upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock held while migrating (an arbitrary constant: "sparring" in ASCII)
MIGRATION_LOCK_KEY = 0x73706172_72696E67 & 0x7FFFFFFFFFFFFFFF


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database to ``revision``; return (revision before, revision after)."""
    before = current_revision(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # several workers may start at once: one migrates, the others wait and then find nothing to do
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)
    return before, current_revision(engine)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)
