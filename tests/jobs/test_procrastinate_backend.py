"""Real Procrastinate workers (``sparring worker`` subprocesses) on the machine's PostgreSQL, in a database of
their own: 200 jobs each done exactly once by two workers; a worker killed with SIGKILL mid-job loses nothing
(its job is run again by the other one); SIGTERM lets the running job finish and takes no new one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sparring_test_support import PG_BASE, require_pg
from sqlalchemy import create_engine, text

from sparring.jobs import procrastinate_schema
from sparring.jobs.ledger import Job
from sparring.jobs.queue import JobQueue
from sparring.jobs.setup import build_queue
from sparring.settings import Settings
from sparring.store.db import Database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

HERE = Path(__file__).parent
LEASE = 3.0  # seconds: a dead worker's job is picked up again within a few seconds


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A database of its own (``jobs_t_...``), dropped afterwards."""
    require_pg()
    name = "jobs_t_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_BASE.rsplit("/", 1)[0] + "/" + name
    db = Database(url)
    db.upgrade()
    procrastinate_schema.apply(db)
    with db.engine.begin() as conn:
        from probe_tasks import TABLES

        for ddl in TABLES:
            conn.execute(text(ddl))
    db.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True, scope="module")
def _probe_on_path() -> Iterator[None]:
    sys.path.insert(0, str(HERE))
    yield
    sys.path.remove(str(HERE))
    sys.modules.pop("probe_tasks", None)


def _settings(url: str, data: Path) -> Settings:
    return Settings(data_dir=data, database_url=url, jobs_backend="procrastinate", jobs_task_modules="probe_tasks",
                    jobs_lease_seconds=LEASE, jobs_poll_interval=0.5)


@pytest.fixture
def env(pg_url: str, tmp_path: Path) -> Iterator[tuple[JobQueue, Database, dict[str, str]]]:
    db = Database(pg_url)
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE probe_started, probe_runs, jobs, procrastinate_jobs CASCADE"))
        conn.execute(text("DELETE FROM procrastinate_workers"))
    queue = build_queue(_settings(pg_url, tmp_path), db)
    worker_env = {**os.environ, "SPARRING_DATA_DIR": str(tmp_path), "SPARRING_DATABASE_URL": pg_url,
                  "SPARRING_JOBS_BACKEND": "procrastinate", "SPARRING_JOBS_TASK_MODULES": "probe_tasks",
                  "SPARRING_JOBS_LEASE_SECONDS": str(LEASE), "SPARRING_JOBS_POLL_INTERVAL": "0.5",
                  "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    yield queue, db, worker_env
    queue.dispatcher.close()  # type: ignore[attr-defined]
    db.dispose()


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen([sys.executable, "-c", "import sys; from sparring.cli import main; sys.exit(main())",
                             "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait(what: str, check: Callable[[], Any], timeout: float = 60.0, procs: list[Any] | None = None,
          logs: list[Path] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for p in procs or []:
            if p.poll() is not None and p.returncode not in (0, -9):
                tails = "\n".join(log.read_text()[-1500:] for log in logs or [])
                pytest.fail(f"a worker exited with {p.returncode} while waiting for {what}:\n{tails}")
        time.sleep(0.1)
    tails = "\n".join(log.read_text()[-1500:] for log in logs or [])
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def _scalar(db: Database, sql: str, **params: Any) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(10)


def test_two_workers_do_200_jobs_exactly_once_and_a_killed_worker_loses_nothing(
    env: tuple[JobQueue, Database, dict[str, str]], tmp_path: Path
) -> None:
    queue, db, worker_env = env
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs = [_start_worker(worker_env, log) for log in logs]
    try:
        _wait("two registered workers", lambda: _scalar(db, "SELECT count(*) FROM procrastinate_workers") == 2,
              procs=procs, logs=logs)
        jobs = [queue.enqueue("probe_record", {"n": n, "sleep": 0.01}) for n in range(200)]
        _wait("200 runs", lambda: _scalar(db, "SELECT count(*) FROM probe_runs") >= 200, procs=procs, logs=logs)
        time.sleep(0.5)  # a duplicate run, if there were one, would land now
        assert _scalar(db, "SELECT count(*) FROM probe_runs") == 200
        assert _scalar(db, "SELECT count(DISTINCT job_id) FROM probe_runs") == 200
        assert _scalar(db, "SELECT count(DISTINCT n) FROM probe_runs") == 200
        assert _scalar(db, "SELECT count(DISTINCT pid) FROM probe_runs") == 2, "both workers took jobs"
        assert {j.id for j in queue.ledger.list(["done"], limit=1000)} == {j.id for j in jobs}

        # kill -9 the worker that runs a slow job, mid-job
        slow = queue.enqueue("probe_record", {"n": 1000, "sleep": 3})
        pid = _wait("the slow job to start",
                    lambda: _scalar(db, "SELECT pid FROM probe_started WHERE job_id = :j", j=slow.id),
                    procs=procs, logs=logs)
        victim = next(p for p in procs if p.pid == pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        more = [queue.enqueue("probe_record", {"n": 2000 + n}) for n in range(5)]
        _wait("the killed job to be run again and finish",
              lambda: _scalar(db, "SELECT count(*) FROM probe_runs WHERE job_id = :j", j=slow.id) == 1,
              timeout=45, procs=procs, logs=logs)
        _wait("the jobs queued after the kill",
              lambda: _scalar(db, "SELECT count(*) FROM probe_runs WHERE n >= 2000") == 5, procs=procs, logs=logs)
        done: Job = queue.get(slow.id)
        assert done.status == "done" and done.attempts == 2
        assert _scalar(db, "SELECT count(*) FROM probe_started WHERE job_id = :j", j=slow.id) == 2
        assert _scalar(db, "SELECT pid FROM probe_runs WHERE job_id = :j", j=slow.id) != pid
        assert _scalar(db, "SELECT count(*) FROM probe_runs") == 206
        assert _scalar(db, "SELECT count(DISTINCT job_id) FROM probe_runs") == 206
        assert all(queue.get(j.id).status == "done" for j in more)
    finally:
        _stop(procs)


def test_sigterm_finishes_the_running_job_and_takes_no_new_one(
    env: tuple[JobQueue, Database, dict[str, str]], tmp_path: Path
) -> None:
    queue, db, worker_env = env
    log = tmp_path / "w.log"
    proc = _start_worker(worker_env, log)
    try:
        _wait("a registered worker", lambda: _scalar(db, "SELECT count(*) FROM procrastinate_workers") == 1,
              procs=[proc], logs=[log])
        slow = queue.enqueue("probe_record", {"n": 1, "sleep": 2})
        _wait("the slow job to start", lambda: _scalar(db, "SELECT count(*) FROM probe_started") == 1,
              procs=[proc], logs=[log])
        waiting = queue.enqueue("probe_record", {"n": 2})
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()[-2000:]
        assert queue.get(slow.id).status == "done"
        assert _scalar(db, "SELECT count(*) FROM probe_runs WHERE job_id = :j", j=slow.id) == 1
        assert queue.get(waiting.id).status == "queued"
        assert _scalar(db, "SELECT count(*) FROM probe_started WHERE job_id = :j", j=waiting.id) == 0
    finally:
        _stop([proc])


def test_retries_and_failures_on_procrastinate_are_recorded_in_the_jobs_table(
    env: tuple[JobQueue, Database, dict[str, str]], tmp_path: Path
) -> None:
    queue, db, worker_env = env
    log = tmp_path / "w.log"
    proc = _start_worker(worker_env, log)
    try:
        bad = queue.enqueue("probe_record", {"sleep": 0})  # no "n": KeyError on every attempt
        _wait("the job to fail after its attempts", lambda: queue.get(bad.id).status == "failed", timeout=45,
              procs=[proc], logs=[log])
        failed = queue.get(bad.id)
        assert failed.attempts == 3 and failed.last_error == "KeyError: 'n'"
        assert _scalar(db, "SELECT status::text FROM procrastinate_jobs WHERE id = :i",
                       i=failed.external_id) == "failed"
        assert _scalar(db, "SELECT count(*) FROM probe_started WHERE job_id = :j", j=bad.id) == 3
    finally:
        _stop([proc])
