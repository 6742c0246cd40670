"""``sparring db upgrade|current``: the database schema (Alembic migrations shipped in the package)."""

from __future__ import annotations

import typer

from sparring.cli.service_errors import service_errors


def _upgrade() -> None:
    """Migrate the database to the newest schema (also done automatically on first use)."""
    from sparring.store.db import get_database

    with service_errors():
        db = get_database()
        before, after = db.upgrade()
    if before == after:
        print(f"{db.describe()}: already at revision {after}")
    else:
        print(f"{db.describe()}: upgraded from {before or 'an empty database'} to revision {after}")


def _current() -> None:
    """Show the database's schema revision and the newest one this version of Sparring ships."""
    from sparring.store import migrate
    from sparring.store.db import DatabaseError, get_database

    with service_errors():
        db = get_database()
        try:
            current = migrate.current_revision(db.engine)
        except Exception as exc:
            raise DatabaseError(f"cannot open {db.describe()}: {str(exc).splitlines()[0]}") from exc
    head = migrate.head_revision()
    state = "up to date" if current == head else "needs: sparring db upgrade"
    print(f"{db.describe()}: revision {current or '(empty)'}; newest {head} ({state})")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Database schema.", no_args_is_help=True)
    group.command("upgrade")(_upgrade)
    group.command("current")(_current)
    app.add_typer(group, name="db")
