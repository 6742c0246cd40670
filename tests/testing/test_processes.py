"""The process helpers of ``sparring.testing.processes`` (the scale-out test and the worker tests rely on them)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from sparring_test_support import PG_BASE, require_pg
from sqlalchemy import create_engine, text

from sparring.testing.processes import free_port, own_database, sparring_env, start_sparring, stop_all, wait_until


def _databases() -> set[str]:
    eng = create_engine(PG_BASE)
    with eng.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT datname FROM pg_database"))}
    eng.dispose()
    return names


@pytest.mark.postgres
def test_own_database_is_created_empty_and_dropped() -> None:
    require_pg()
    with own_database(PG_BASE, "scale_probe") as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("scale_probe_") and name in _databases()
        eng = create_engine(url)
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar() == 0
        eng.dispose()  # a connection left open would not stop the drop either (WITH FORCE)
    assert name not in _databases()


def test_a_bad_prefix_is_refused_before_anything_is_created() -> None:
    with pytest.raises(ValueError, match="database prefix"), own_database(PG_BASE, 'x"; DROP'):
        pass


def test_free_port_is_free() -> None:
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_sparring_env_names_settings_like_the_environment() -> None:
    env = sparring_env({"PATH": "/bin"}, database_url="sqlite://", jobs_lease_seconds=3.0)
    assert env == {"PATH": "/bin", "SPARRING_DATABASE_URL": "sqlite://", "SPARRING_JOBS_LEASE_SECONDS": "3.0"}


def test_wait_until_returns_the_value_and_reports_a_dead_process_with_its_log(tmp_path: Path) -> None:
    assert wait_until("a value", lambda: 42, timeout=1) == 42
    proc = start_sparring(["no-such-command"], {**os.environ, "SPARRING_DATA_DIR": str(tmp_path)},
                          tmp_path / "bad.log")
    try:
        with pytest.raises(AssertionError, match=r"(?s)no-such-command exited with 2 .*No such command"):
            wait_until("something that never happens", lambda: False, [proc], timeout=30)
        with pytest.raises(AssertionError, match="timed out after 0 s waiting for nothing"):
            wait_until("nothing", lambda: None, timeout=0.2)
    finally:
        stop_all([proc])
