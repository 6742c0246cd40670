"""``sparring db upgrade|current|seal-secrets``: the database schema (Alembic migrations shipped in the package),
and sealing the secrets stored in it with the installation key (docs/security.md, "Secrets at rest")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

if TYPE_CHECKING:
    from sparring.store.db import Database


def _upgrade() -> None:
    """Migrate the database to the newest schema (also done automatically on first use)."""
    from sparring.cli.context import root

    with service_errors():
        db = root().database
        before, after = db.upgrade()
    if before == after:
        print(f"{db.describe()}: already at revision {after}")
    else:
        print(f"{db.describe()}: upgraded from {before or 'an empty database'} to revision {after}")
    _upgrade_job_backend(db)


def _upgrade_job_backend(db: Database) -> None:
    """Procrastinate's own schema, when it runs the jobs (PostgreSQL; docs/jobs.md)."""
    from sparring.cli.context import root
    from sparring.jobs import procrastinate_schema
    from sparring.jobs.setup import BackendError, resolve_backend

    try:
        backend = resolve_backend(root().settings.jobs_backend, db)
    except BackendError as exc:
        raise UserError(str(exc)) from exc
    if backend != "procrastinate":
        return
    with service_errors():
        before, after = procrastinate_schema.apply(db)
    if before == after:
        print(f"{db.describe()}: Procrastinate schema already at {after}")
    else:
        print(f"{db.describe()}: Procrastinate schema {'upgraded from ' + before if before else 'created'} at {after}")


def _current() -> None:
    """Show the database's schema revision and the newest one this version of Sparring ships."""
    from sparring.cli.context import root
    from sparring.store import migrate
    from sparring.store.db import DatabaseError

    with service_errors():
        db = root().database
        try:
            current = migrate.current_revision(db.engine)
        except Exception as exc:
            raise DatabaseError(f"cannot open {db.describe()}: {str(exc).splitlines()[0]}") from exc
    head = migrate.head_revision()
    state = "up to date" if current == head else "needs: sparring db upgrade"
    print(f"{db.describe()}: revision {current or '(empty)'}; newest {head} ({state})")


def _seal_secrets() -> None:
    """Seal every secret still stored in plain text and re-seal those sealed with a previous key (after a key
    rotation), in one transaction; prints what it did per column. Safe to run again."""
    from sparring.cli.context import root
    from sparring.kernel.sealing import UnsealError
    from sparring.store import sealing

    with service_errors():
        db = root().database
        try:
            counts = sealing.seal_secrets(db)
        except UnsealError as exc:
            raise UserError(f"{exc} (nothing was changed)") from exc
    kid = sealing.keyring().current_kid
    for column, n in counts.items():
        print(f"{column}: {n.sealed} sealed, {n.resealed} re-sealed from a previous key, "
              f"{n.current} already sealed with key {kid}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Database schema.", no_args_is_help=True)
    group.command("upgrade")(_upgrade)
    group.command("current")(_current)
    group.command("seal-secrets")(_seal_secrets)
    app.add_typer(group, name="db")
