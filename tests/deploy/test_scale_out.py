"""The scale-out topology, for real (docs/deployment.md): two ``sparring serve`` processes on different loopback
ports and two ``sparring worker`` processes on ONE PostgreSQL database of the test's own (``scale_...``, created
and dropped here). The web processes run as on two machines: each its own data directory, one shared
``SPARRING_SECRET_KEY``.

- a learner signs in on server A, starts a rep, says a line on server B and goes on on A: the session cookie and
  the CSRF token are good on both, and signing out on one ends the session on the other;
- an admin's HTML form (CSRF token from a page of A, posted to B) queues a re-score that a worker runs;
- 200 queued jobs are each done exactly once across the two workers, both take some;
- a worker killed with SIGKILL mid-job loses nothing: the other worker runs the job again.

Processes and waits come from ``sparring.testing.processes``, the recording task from
``sparring.testing.probe_tasks`` (the same helpers as tests/jobs)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sparring_test_support import PG_BASE, require_pg

from sparring.jobs import procrastinate_schema
from sparring.jobs.queue import JobQueue
from sparring.jobs.setup import build_queue
from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.testing import probe_tasks
from sparring.testing.processes import (
    SparringProcess,
    free_port,
    own_database,
    scalar,
    sparring_env,
    start_sparring,
    stop_all,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEASE = 3.0  # seconds without a heartbeat before a worker counts as dead and its job runs again
PROBE = "sparring.testing.probe_tasks"
PASSWORD = "correct horse battery"
SCENARIO = "cs-renewal-discount"


@dataclass
class Deployment:
    web_a: str  # base URLs
    web_b: str
    workers: list[SparringProcess]
    servers: list[SparringProcess]
    db: Database
    queue: JobQueue

    @property
    def procs(self) -> list[SparringProcess]:
        return [*self.servers, *self.workers]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    require_pg()
    root = tmp_path_factory.mktemp("deploy")
    with own_database(PG_BASE, "scale") as url:
        db = Database(url)
        db.upgrade()  # what `sparring db upgrade` does before the processes start
        procrastinate_schema.apply(db)
        probe_tasks.create_tables(db)
        accounts = Accounts(db)
        accounts.create_user("Acme", "learner@acme.test", PASSWORD, role="learner", team="East")
        accounts.create_user("Acme", "admin@acme.test", PASSWORD, role="admin")
        shared = {"database_url": url, "secret_key": secrets.token_urlsafe(48), "jobs_backend": "procrastinate",
                  "jobs_task_modules": PROBE, "jobs_lease_seconds": LEASE, "jobs_poll_interval": 0.5}
        procs: list[SparringProcess] = []
        try:
            ports = [free_port(), free_port()]
            servers = [start_sparring(["serve", "--port", str(port), "--workers", "1"],
                                      sparring_env(data_dir=root / f"web{i}", **shared), root / f"web{i}.log")
                       for i, port in enumerate(ports)]
            procs += servers
            workers = [start_sparring(["worker"], sparring_env(data_dir=root / f"worker{i}", **shared),
                                      root / f"worker{i}.log") for i in range(2)]
            procs += workers
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            for base in urls:
                wait_until(f"{base}/healthz", lambda base=base: _healthy(base), procs)
            wait_until("two registered workers",
                       lambda: scalar(db, "SELECT count(*) FROM procrastinate_workers") == 2, procs)
            queue = build_queue(Settings(data_dir=root / "test", **shared), db)  # type: ignore[arg-type]
            yield Deployment(urls[0], urls[1], workers, servers, db, queue)
            queue.dispatcher.close()  # type: ignore[attr-defined]
        finally:
            stop_all(procs)
            db.dispose()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _login(base: str, email: str) -> tuple[httpx.Cookies, str]:
    r = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return r.cookies, r.json()["csrf_token"]


def _client(base: str, cookies: httpx.Cookies, csrf: str | None = None) -> httpx.Client:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return httpx.Client(base_url=base, cookies=cookies, headers=headers, timeout=60, follow_redirects=False)


def test_a_learners_rep_goes_on_across_the_web_processes(deployment: Deployment) -> None:
    d = deployment
    cookies, csrf = _login(d.web_a, "learner@acme.test")
    with _client(d.web_a, cookies, csrf) as a, _client(d.web_b, cookies, csrf) as b:
        assert b.get("/api/me").json()["email"] == "learner@acme.test"  # the session signed by A, read by B
        started = a.post("/api/reps", json={"scenario": SCENARIO, "difficulty": "easy"})
        assert started.status_code == 201, started.text
        rep = started.json()["id"]

        turn = b.post(f"/api/reps/{rep}/turns", json={"text": "What would a good outcome look like for you?"})
        assert turn.status_code == 200, turn.text  # A's CSRF token is good on B
        assert turn.json()["reply"]["text"]
        second = a.post(f"/api/reps/{rep}/turns", json={"text": "What is driving the concern most?"})
        assert second.status_code == 200, second.text
        seen = b.get(f"/api/reps/{rep}").json()
        assert seen["turn_count"] == 5  # opening, two lines, two replies: every process sees every write

        ended = a.post(f"/api/reps/{rep}/end", json={})
        assert ended.status_code == 200, ended.text
        assert b.get(f"/api/reps/{rep}").json()["scorecard"] is not None

        # a forged token is refused on either: the check is real, not skipped behind the other server's back
        forged = b.post(f"/api/reps/{rep}/turns", json={"text": "hello"}, headers={"X-CSRF-Token": "0" * 64})
        assert forged.status_code == 403

        # the sessions live in the database: signing out on B ends the session on A
        assert b.post("/api/auth/logout").status_code == 204
        assert a.get("/api/me").status_code == 401


def test_a_form_with_the_csrf_token_of_one_server_queues_a_job_on_the_other_that_a_worker_runs(
    deployment: Deployment,
) -> None:
    d = deployment
    learner, learner_csrf = _login(d.web_b, "learner@acme.test")
    with _client(d.web_b, learner, learner_csrf) as b:
        rep = b.post("/api/reps", json={"scenario": SCENARIO, "difficulty": "easy"}).json()["id"]
        b.post(f"/api/reps/{rep}/turns", json={"text": "What matters most to you this year?"})
        assert b.post(f"/api/reps/{rep}/end", json={}).status_code == 200

    cookies, _ = _login(d.web_a, "admin@acme.test")
    with _client(d.web_a, cookies) as a, _client(d.web_b, cookies) as b:
        page = a.get("/admin/jobs")
        assert page.status_code == 200, page.text[:300]
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert match, "the admin page carries no CSRF token"
        posted = b.post("/admin/jobs/rescore", data={"rep": str(rep), "csrf_token": match.group(1)})
        assert posted.status_code == 303, posted.text[:300]
        refused = b.post("/admin/jobs/rescore", data={"rep": str(rep), "csrf_token": "0" * 64})
        assert refused.status_code == 403

    job_id = wait_until("the re-score job to be queued",
                        lambda: scalar(d.db, "SELECT id FROM jobs WHERE task = 'rescore_rep'"), d.procs)
    wait_until("a worker to run the re-score", lambda: d.queue.get(job_id).status in ("done", "failed"), d.procs)
    job = d.queue.get(job_id)
    assert job.status == "done", job.last_error
    assert job.attempts == 1


def test_two_workers_do_200_jobs_exactly_once_and_a_killed_worker_loses_nothing(deployment: Deployment) -> None:
    d = deployment
    db, queue, procs = d.db, d.queue, d.procs
    jobs = [queue.enqueue("probe_record", {"n": n, "sleep": 0.01}) for n in range(200)]
    wait_until("200 runs", lambda: scalar(db, "SELECT count(*) FROM probe_runs") >= 200, procs)
    wait_until("200 jobs done", lambda: all(queue.get(j.id).status == "done" for j in jobs), procs)
    assert scalar(db, "SELECT count(*) FROM probe_runs") == 200
    assert scalar(db, "SELECT count(DISTINCT job_id) FROM probe_runs") == 200
    assert scalar(db, "SELECT count(DISTINCT n) FROM probe_runs") == 200
    assert scalar(db, "SELECT count(DISTINCT pid) FROM probe_runs") == 2, "both workers took jobs"
    assert {r[0] for r in _rows(db, "SELECT pid FROM probe_runs")} == {w.pid for w in d.workers}

    # kill -9 the worker that runs a slow job, mid-job
    slow = queue.enqueue("probe_record", {"n": 1000, "sleep": 3})
    pid = wait_until("the slow job to start",
                     lambda: scalar(db, "SELECT pid FROM probe_started WHERE job_id = :j", j=slow.id), procs)
    victim = next(w for w in d.workers if w.pid == pid)
    victim.kill()
    more = [queue.enqueue("probe_record", {"n": 2000 + n}) for n in range(5)]
    wait_until("the killed job to be run again and finish",
               lambda: scalar(db, "SELECT count(*) FROM probe_runs WHERE job_id = :j", j=slow.id) == 1, procs,
               timeout=45)
    wait_until("the jobs queued after the kill",
               lambda: scalar(db, "SELECT count(*) FROM probe_runs WHERE n >= 2000") == 5, procs)
    # the probe's row is written inside the job, its status after it returns: wait for the status too
    wait_until("the killed job to be marked done", lambda: queue.get(slow.id).status == "done", procs)
    done = queue.get(slow.id)
    assert done.status == "done" and done.attempts == 2
    assert scalar(db, "SELECT count(*) FROM probe_started WHERE job_id = :j", j=slow.id) == 2
    assert scalar(db, "SELECT pid FROM probe_runs WHERE job_id = :j", j=slow.id) != pid
    assert scalar(db, "SELECT count(*) FROM probe_runs") == 206
    assert scalar(db, "SELECT count(DISTINCT job_id) FROM probe_runs") == 206
    wait_until("the jobs queued after the kill to be done",
               lambda: all(queue.get(j.id).status == "done" for j in more), procs)
    # the web processes kept serving throughout
    assert all(_healthy(base) for base in (d.web_a, d.web_b))


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]
