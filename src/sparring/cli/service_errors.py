"""Service-layer and database errors as one-line CLI errors (UserError)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sparring.cli.errors import UserError


@contextmanager
def service_errors() -> Iterator[None]:
    # imported here so that merely loading the CLI does not load SQLAlchemy (cold start of other commands)
    from sparring.kernel.sealing import UnsealError
    from sparring.services.errors import ServiceError
    from sparring.store.db import DatabaseError

    try:
        yield
    except (ServiceError, DatabaseError, UnsealError) as exc:  # UnsealError: a stored secret the key cannot open
        raise UserError(str(exc)) from exc
