"""Procrastinate's tables, functions and triggers on PostgreSQL, applied by ``sparring db upgrade`` (and by
``sparring worker`` and the first enqueue, like Sparring's own migrations on first use).

Procrastinate ships its schema (``schema.sql``) and, for upgrades, numbered SQL migrations
(``sql/migrations/MM.mm.pp_NN_*.sql``). The version whose schema is in the database is kept in a comment on
``procrastinate_jobs``; when the installed Procrastinate is newer, the migrations in between are applied in
order. Everything runs in one transaction under an advisory lock, so processes starting together apply it once.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import text

from sparring.store.db import Database, DatabaseError

#: advisory lock held while applying ("procsch" in ASCII)
SCHEMA_LOCK_KEY = 0x70726F63736368
COMMENT_PREFIX = "sparring: procrastinate schema "
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def installed_version() -> str:
    return version("procrastinate")


def _key(v: str) -> tuple[int, int, int]:
    m = _VERSION.match(v)
    if not m:
        raise DatabaseError(f"cannot read the Procrastinate version {v!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def _migrations() -> list[tuple[tuple[int, int, int], Path]]:
    from procrastinate.schema import SchemaManager

    out = []
    for path in sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql")):
        out.append((_key(path.name), path))
    return out


def applied_version(database: Database) -> str | None:
    """The Procrastinate version whose schema the database has; None when it has none."""
    with database.engine.connect() as conn:
        if conn.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is None:
            return None
        comment = conn.scalar(text("SELECT obj_description(to_regclass('procrastinate_jobs'), 'pg_class')")) or ""
    return comment[len(COMMENT_PREFIX):] if comment.startswith(COMMENT_PREFIX) else "unknown"


def apply(database: Database) -> tuple[str | None, str]:
    """Create or upgrade Procrastinate's schema; (version before, version after). PostgreSQL only."""
    if database.dialect != "postgresql":
        raise DatabaseError("Procrastinate needs PostgreSQL; this database is " + database.dialect)
    from procrastinate.schema import SchemaManager

    target = installed_version()
    with database.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        exists = conn.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is not None
        comment = conn.scalar(text("SELECT obj_description(to_regclass('procrastinate_jobs'), 'pg_class')")) \
            if exists else None
        before: str | None = None
        if exists:
            before = str(comment)[len(COMMENT_PREFIX):] if str(comment or "").startswith(COMMENT_PREFIX) else "unknown"
        raw = conn.connection.driver_connection  # psycopg: several statements, no parameters, no % parsing
        assert raw is not None
        if before is None:
            raw.execute(SchemaManager.get_schema())
        elif before == "unknown":
            raise DatabaseError("procrastinate_jobs exists but was not created by Sparring; apply Procrastinate's "
                                "migrations by hand (docs/jobs.md)")
        elif _key(before) < _key(target):
            for key, path in _migrations():
                if _key(before) < key <= _key(target):
                    raw.execute(path.read_text(encoding="utf-8"))
        elif _key(before) > _key(target):
            raise DatabaseError(f"the database has Procrastinate {before}'s schema, newer than the installed "
                                f"{target}; upgrade Sparring")
        raw.execute(f"COMMENT ON TABLE procrastinate_jobs IS '{COMMENT_PREFIX}{target}'")
    return before, target
