"""Alembic, configured in code: ``upgrade head`` on first use and through ``sparring db upgrade``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock held while migrating (an arbitrary constant: "sparring" in ASCII)
MIGRATION_LOCK_KEY = 0x73706172_72696E67 & 0x7FFFFFFFFFFFFFFF


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


#: the newest revision in migrations/versions; a test checks it against Alembic's script directory. Kept as a
#: constant so that the check "is this database up to date?" needs one query and no Alembic import.
SCHEMA_HEAD = "0031_call_rollup"


def stored_revision(engine: Engine) -> str | None:
    """The database's revision read with plain SQL (None for an empty database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction to migrate on. On SQLite, foreign keys are switched off for the migration
    (outside the transaction: SQLite ignores the pragma inside one). Batch operations copy a table and drop the
    old one, and with foreign keys on that drop would first delete every row, cascading to the tables that
    reference it (turns, scorecards, criterion results …). Before the commit, ``PRAGMA foreign_key_check`` must
    find no dangling reference, or the migration is rolled back."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left {len(broken)} dangling references, e.g. {broken[0]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database to ``revision``; return (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    with _migrating(engine) as conn:
        if conn.dialect.name == "postgresql":
            # several workers may start at once: one migrates, the others wait and then find nothing to do
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)
    return before, current_revision(engine)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with _migrating(engine) as conn:
        command.downgrade(alembic_config(conn), revision)
