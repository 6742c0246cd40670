"""Real Procrastinate workers (``sparring worker`` subprocesses) on the machine's PostgreSQL, in a database of
their own: SIGTERM lets the running job finish and takes no new one; retries and failures are recorded. Two workers
doing 200 jobs exactly once, and a worker killed mid-job losing nothing, run with two web processes in front
(tests/deploy/test_scale_out.py). The process helpers are ``sparring.testing.processes``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sparring_test_support import PG_BASE, require_pg
from sqlalchemy import text

from sparring.jobs import procrastinate_schema
from sparring.jobs.queue import JobQueue
from sparring.jobs.setup import build_queue
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.testing import probe_tasks
from sparring.testing.processes import SparringProcess, own_database, scalar, sparring_env, start_sparring, stop_all
from sparring.testing.processes import wait_until as _wait

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEASE = 3.0  # seconds: a dead worker's job is picked up again within a few seconds
PROBE = "sparring.testing.probe_tasks"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A database of its own (``jobs_t_...``), dropped afterwards."""
    require_pg()
    with own_database(PG_BASE, "jobs_t") as url:
        db = Database(url)
        db.upgrade()
        procrastinate_schema.apply(db)
        probe_tasks.create_tables(db)
        db.dispose()
        yield url


def _settings(url: str, data: Path) -> Settings:
    return Settings(data_dir=data, database_url=url, jobs_backend="procrastinate", jobs_task_modules=PROBE,
                    jobs_lease_seconds=LEASE, jobs_poll_interval=0.5)


@pytest.fixture
def env(pg_url: str, tmp_path: Path) -> Iterator[tuple[JobQueue, Database, dict[str, str]]]:
    db = Database(pg_url)
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE probe_started, probe_runs, jobs, procrastinate_jobs CASCADE"))
        conn.execute(text("DELETE FROM procrastinate_workers"))
    queue = build_queue(_settings(pg_url, tmp_path), db)
    worker_env = sparring_env(data_dir=tmp_path, database_url=pg_url, jobs_backend="procrastinate",
                              jobs_task_modules=PROBE, jobs_lease_seconds=LEASE, jobs_poll_interval=0.5)
    yield queue, db, worker_env
    queue.dispatcher.close()  # type: ignore[attr-defined]
    db.dispose()


def _start_worker(env: dict[str, str], log: Path) -> SparringProcess:
    return start_sparring(["worker"], env, log)


def test_sigterm_finishes_the_running_job_and_takes_no_new_one(
    env: tuple[JobQueue, Database, dict[str, str]], tmp_path: Path
) -> None:
    queue, db, worker_env = env
    log = tmp_path / "w.log"
    proc = _start_worker(worker_env, log)
    try:
        _wait("a registered worker", lambda: scalar(db, "SELECT count(*) FROM procrastinate_workers") == 1,
              procs=[proc])
        slow = queue.enqueue("probe_record", {"n": 1, "sleep": 2})
        _wait("the slow job to start", lambda: scalar(db, "SELECT count(*) FROM probe_started") == 1,
              procs=[proc])
        waiting = queue.enqueue("probe_record", {"n": 2})
        assert proc.terminate(30) == 0, proc.tail(2000)
        assert queue.get(slow.id).status == "done"
        assert scalar(db, "SELECT count(*) FROM probe_runs WHERE job_id = :j", j=slow.id) == 1
        assert queue.get(waiting.id).status == "queued"
        assert scalar(db, "SELECT count(*) FROM probe_started WHERE job_id = :j", j=waiting.id) == 0
    finally:
        stop_all([proc])


def test_retries_and_failures_on_procrastinate_are_recorded_in_the_jobs_table(
    env: tuple[JobQueue, Database, dict[str, str]], tmp_path: Path
) -> None:
    queue, db, worker_env = env
    log = tmp_path / "w.log"
    proc = _start_worker(worker_env, log)
    try:
        bad = queue.enqueue("probe_record", {"sleep": 0})  # no "n": KeyError on every attempt
        _wait("the job to fail after its attempts", lambda: queue.get(bad.id).status == "failed", timeout=45,
              procs=[proc])
        failed = queue.get(bad.id)
        assert failed.attempts == 3 and failed.last_error == "KeyError: 'n'"
        assert scalar(db, "SELECT status::text FROM procrastinate_jobs WHERE id = :i",
                       i=failed.external_id) == "failed"
        assert scalar(db, "SELECT count(*) FROM probe_started WHERE job_id = :j", j=bad.id) == 3
    finally:
        stop_all([proc])
