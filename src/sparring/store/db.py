"""Engines and sessions. SQLite (WAL, foreign keys, busy timeout) at ``$SPARRING_DATA_DIR/sparring.db`` by
default; PostgreSQL through ``SPARRING_DATABASE_URL`` (``postgresql+psycopg://...``).

``get_database(url)`` returns one ``Database`` per URL per process and migrates it to the newest schema the first
time it is used, so a fresh data directory just works.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from sparring.store import migrate

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: connections per process: web workers run request handlers in a thread pool (40 threads by default)
POOL_SIZE = 10
POOL_OVERFLOW = 30


class DatabaseError(Exception):
    """The database URL is unusable or the database cannot be reached; the message says which."""


def _set_wal(cur: Any) -> None:
    """Switch to WAL. On a brand-new file several connections may race to do it, and SQLite can answer
    "database is locked" at once without calling the busy handler; retry within the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


#: ``PRAGMA synchronous`` values the ``sqlite_synchronous`` setting accepts
SYNCHRONOUS = ("normal", "full")
#: the default, as in ``Settings.sqlite_synchronous`` (docs/storage.md, "Durability")
DEFAULT_SYNCHRONOUS = "normal"


def _sqlite_pragmas(synchronous: str) -> Any:
    def apply(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _set_wal(cur)
        cur.execute("PRAGMA foreign_keys=ON")
        # NORMAL (the default): in WAL mode a commit is written to the WAL before it returns, so it survives a
        # crash or kill -9 of the process; only a crash of the machine can lose the last commits (never the
        # database's consistency). FULL adds an fsync per commit, which holds the write lock while the disk
        # syncs (docs/storage.md, "Durability").
        cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cur.close()

    return apply


def _sqlite_begin(conn: Any) -> None:
    # writers take the write lock up front (BEGIN IMMEDIATE), so concurrent writers queue on busy_timeout
    # instead of failing when a read lock cannot be upgraded; readers use a plain deferred BEGIN
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sparring_write") else "BEGIN")


def make_engine(url: str, synchronous: str = DEFAULT_SYNCHRONOUS) -> Engine:
    """An engine for ``url``. ``synchronous`` (SQLite only): "normal" (the default) or "full"; the composition root
    passes the ``sqlite_synchronous`` setting."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        in_memory = not parsed.database or parsed.database == ":memory:"
        pool: dict[str, Any] = (
            {"poolclass": StaticPool} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
        )
        if not in_memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **pool
        )
        sync = synchronous.lower()
        if sync not in SYNCHRONOUS:
            raise DatabaseError(f"SQLite synchronous must be one of {', '.join(SYNCHRONOUS)} (got {sync!r})")
        event.listen(engine, "connect", _sqlite_pragmas(sync))
        # let SQLAlchemy, not the sqlite3 module, decide when transactions begin (BEGIN IMMEDIATE below)
        event.listen(engine, "connect", lambda conn, _r: setattr(conn, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    except Exception as exc:  # unknown driver, missing module
        raise DatabaseError(f"cannot use database URL {parsed.render_as_string(hide_password=True)}: {exc}") from exc


class Database:
    """An engine, a session factory, and the migration state of one database."""

    def __init__(self, url: str, synchronous: str = DEFAULT_SYNCHRONOUS):
        self.url = url
        self.engine = make_engine(url, synchronous)
        self.sessions = sessionmaker(self.engine.execution_options(sparring_write=True), expire_on_commit=False)
        self.read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._migrated = False
        self._lock = threading.Lock()
        # SQLite has one writer at a time. Threads of this process queue for it here and are woken the moment it
        # is free; left to SQLite's busy handler they would sleep 1, 2, 5, 10 ... ms between tries.
        self._writer = threading.RLock() if self.dialect == "sqlite" else None
        #: session-event listeners a component attached to ``sessions``, by name, so that attaching again replaces
        #: them (``sparring.integrations.events.after_commit``)
        self.listeners: dict[str, tuple[Any, ...]] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> tuple[str | None, str | None]:
        """Migrate to the newest schema; return (revision before, revision after)."""
        try:
            # on SQLite the write engine's BEGIN IMMEDIATE serialises processes that migrate at the same time
            result = migrate.upgrade(self.engine.execution_options(sparring_write=True))
        except Exception as exc:
            raise DatabaseError(f"cannot migrate {self.describe()}: {_first_line(exc)}") from exc
        self._migrated = True
        return result

    def ensure_migrated(self) -> None:
        if self._migrated:
            return
        with self._lock:
            if self._migrated:
                return
            try:
                current = migrate.stored_revision(self.engine)
            except Exception as exc:
                raise DatabaseError(f"cannot open {self.describe()}: {_first_line(exc)}") from exc
            if current != migrate.SCHEMA_HEAD:
                self.upgrade()
            self._migrated = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back on an exception."""
        self.ensure_migrated()
        if self._writer is None:
            with self.sessions.begin() as s:
                yield s
            return
        with self._writer, self.sessions.begin() as s:
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (on SQLite it does not take the write lock)."""
        self.ensure_migrated()
        with self.read_sessions.begin() as s:
            yield s

    def describe(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_databases: dict[str, Database] = {}
_registry_lock = threading.Lock()


def get_database(url: str, synchronous: str = DEFAULT_SYNCHRONOUS) -> Database:
    """The Database for ``url``, created once per process; ``synchronous`` (SQLite) applies when this call creates
    it. The composition root passes both from its settings; storage never reads the settings itself."""
    with _registry_lock:
        db = _databases.get(url)
        if db is None:
            db = _databases[url] = Database(url, synchronous)
    return db


def forget_databases() -> None:
    """Dispose every engine (tests, and after the settings changed)."""
    with _registry_lock:
        for db in _databases.values():
            db.dispose()
        _databases.clear()
