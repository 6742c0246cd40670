"""Real ``sparring`` processes for tests of a deployment: a PostgreSQL database of the test's own, ``sparring
serve`` and ``sparring worker`` subprocesses, and waiting for something to happen with their logs at hand.

Plain functions (no pytest): a failed wait raises ``AssertionError`` with the tail of every log, which pytest
reports like a failed assert. Used by tests/jobs (the Procrastinate workers) and tests/deploy (two web processes
and two workers on one database); a plugin author can test a task plugin against real workers the same way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sparring.store.db import Database

__all__ = ["SparringProcess", "free_port", "own_database", "scalar", "sparring_env", "start_sparring", "stop_all",
           "wait_until"]

#: how a subprocess runs the command line: the interpreter running the tests, so it sees the same install
_CLI = "import sys; from sparring.cli import main; sys.exit(main())"


@contextmanager
def own_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named ``<prefix>_<random>`` on the server of ``server_url`` (any database
    URL of that server, used to connect while creating and dropping); its URL. Dropped afterwards, also when
    processes still hold connections to it (``WITH (FORCE)``)."""
    if not prefix.replace("_", "").isalnum() or not prefix[0].isalpha():
        raise ValueError(f"database prefix must be letters, digits and _ and start with a letter (got {prefix!r})")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}".lower()
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SparringProcess:
    """One ``sparring ARGS`` subprocess, its output going to ``log``."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], log: Path):
        self.args = list(args)
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen([sys.executable, "-c", _CLI, *self.args], env=dict(env), stdout=out,
                                          stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as when its machine dies: it gets no chance to clean up."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM (graceful shutdown) and wait: its exit code."""
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout)

    def tail(self, chars: int = 1500) -> str:
        text_ = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- sparring {' '.join(self.args)} (pid {self.pid}) ---\n{text_[-chars:]}"


def start_sparring(args: Sequence[str], env: Mapping[str, str], log: Path) -> SparringProcess:
    """Start ``sparring ARGS`` (e.g. ``["worker"]``, ``["serve", "--port", "8123", "--workers", "1"]``) with
    exactly the environment ``env`` (pass ``{**os.environ, ...}`` to extend the caller's)."""
    return SparringProcess(args, env, log)


def wait_until(what: str, check: Callable[[], Any], procs: Sequence[SparringProcess] = (), timeout: float = 60.0,
               interval: float = 0.1) -> Any:
    """Call ``check`` until it returns something truthy (returned) or ``timeout`` seconds pass. Fails at once
    when one of ``procs`` exits unexpectedly (other than killed by SIGKILL or ended by SIGTERM), with the logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for p in procs:
            code = p.popen.poll()
            if code is not None and code not in (0, -signal.SIGKILL, -signal.SIGTERM):
                raise AssertionError(f"{' '.join(p.args)} exited with {code} while waiting for {what}:\n"
                                     + "\n".join(q.tail() for q in procs))
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n" + "\n".join(p.tail() for p in procs))


def scalar(db: Database, sql: str, **params: Any) -> Any:
    """The first column of the first row of ``sql``."""
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def stop_all(procs: Sequence[SparringProcess]) -> None:
    """Kill whatever is still running of ``procs`` and reap them (for a test's ``finally``)."""
    for p in procs:
        if p.running():
            p.popen.kill()
    for p in procs:
        p.popen.wait(10)


def sparring_env(base: Mapping[str, str] | None = None, **settings: object) -> dict[str, str]:
    """``base`` (default: this process's environment) with ``SPARRING_<NAME>`` set for each keyword
    (``database_url=...`` → ``SPARRING_DATABASE_URL``)."""
    env = dict(os.environ if base is None else base)
    for key, value in settings.items():
        env[f"SPARRING_{key.upper()}"] = str(value)
    return env


@contextmanager
def served_web_app(data_dir: Path, settings: Mapping[str, object] | None = None, *, log: Path | None = None,
                   startup: float = 30.0) -> Iterator[str]:
    """Serve the web app (``uvicorn sparring.web.asgi:app``, with its in-process job runner) on a free loopback
    port over the SQLite database in ``data_dir``, with ``SPARRING_<NAME>`` set for each of ``settings``; yield its
    base URL and stop it afterwards. For browser tests (Playwright) that need a real server."""
    import httpx

    port = free_port()
    env = sparring_env(None, data_dir=data_dir, **(settings or {}))
    env.pop("SPARRING_DATABASE_URL", None)
    out_path = log or data_dir / "server.log"
    with out_path.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "sparring.web.asgi:app", "--host", "127.0.0.1",
                                 "--port", str(port), "--log-level", "warning"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the web app did not start:\n{out_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
