"""``sparring jobs ...`` and ``sparring worker`` (in-process backend; the Procrastinate workers are tested in
tests/jobs/test_procrastinate_backend.py), and ``sparring db upgrade`` applying Procrastinate's schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sparring_test_support import drop_pg_schema, make_pg_schema, require_pg
from sqlalchemy import text

from sparring.cli import main
from sparring.settings import reset_settings_cache
from sparring.store.db import Database, forget_databases


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    yield
    forget_databases()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_enqueue_run_list_and_retry(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "jobs", "enqueue", "rescore_rep", "--payload", '{"rep_id": 5}', "--key", "k1", "--json")
    assert code == 0
    job = json.loads(out)
    assert job["task"] == "rescore_rep" and job["status"] == "queued" and job["idempotency_key"] == "k1"
    code, out, _ = _run(capsys, "jobs", "enqueue", "rescore_rep", "--payload", '{"rep_id": 6}', "--key", "k1", "--json")
    assert json.loads(out)["id"] == job["id"], "the same key returns the same job"
    assert _run(capsys, "jobs", "run")[1].strip() == f"ran 1 job(s): #{job['id']} failed"
    code, out, _ = _run(capsys, "jobs", "list", "--status", "failed", "--json")
    [failed] = json.loads(out)
    assert failed["last_error"] == "PermanentError: unknown rep 5" and failed["attempts"] == 1
    assert _run(capsys, "jobs", "retry", str(job["id"]))[1].strip() == f"job {job['id']} (rescore_rep) queued again"
    code, _, err = _run(capsys, "jobs", "retry", str(job["id"]))
    assert code == 1 and err.strip() == f"sparring: job {job['id']} is queued; only failed jobs can be retried"
    assert "rescore_rep: Score an ended rep again" in _run(capsys, "jobs", "tasks")[1]


@pytest.mark.parametrize(("argv", "message"), [
    (["jobs", "enqueue", "nope"],
     "sparring: unknown task 'nope' (known: assignment_reminders, certification_notices, deliver_webhook, "
     "import_call, lti_post_score, lti_sweep, lti_sync_roster, org_export, program_reminders, purge_finished_jobs, "
     "render_report, rescore_rep, retention_sweep, webhook_sweep, xapi_deliver, xapi_sweep)"),
    (["jobs", "enqueue", "rescore_rep", "--payload", "{oops"], "sparring: --payload is not JSON"),
    (["jobs", "enqueue", "rescore_rep", "--payload", "[1]"], "sparring: payload must be a JSON object"),
    (["jobs", "enqueue", "rescore_rep", "--run-at", "tomorrow"], "sparring: --run-at: not an ISO date-time"),
    (["jobs", "list", "--status", "lost"], "sparring: unknown status 'lost'"),
    (["jobs", "retry", "12345"], "sparring: unknown job 12345"),
    (["jobs", "rescore", "12345"], "sparring: unknown rep 12345"),
])
def test_user_errors_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 1 and err.startswith(message) and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_procrastinate_on_sqlite_is_refused_with_what_to_set(capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_JOBS_BACKEND", "procrastinate")
    reset_settings_cache()
    code, _, err = _run(capsys, "jobs", "list")
    assert code == 1 and "needs PostgreSQL" in err


@pytest.mark.postgres
def test_db_upgrade_applies_procrastinate_s_schema_on_postgresql(capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    require_pg()
    schema, url = make_pg_schema()
    try:
        monkeypatch.setenv("SPARRING_DATABASE_URL", url)
        reset_settings_cache()
        code, out, _ = _run(capsys, "db", "upgrade")
        assert code == 0 and "Procrastinate schema created at 3.10" in out
        code, out, _ = _run(capsys, "db", "upgrade")
        assert code == 0 and "Procrastinate schema already at 3.10" in out
        db = Database(url)
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM procrastinate_jobs")) == 0
        db.dispose()
    finally:
        forget_databases()
        drop_pg_schema(schema)


def test_in_process_worker_finishes_the_running_job_on_sigterm(tmp_path: Path) -> None:
    from sparring.jobs import JobQueue, TaskRegistry
    from sparring.testing import probe_tasks
    from sparring.testing.processes import sparring_env, start_sparring, stop_all, wait_until

    registry = TaskRegistry()
    probe_tasks.register(registry)
    data = tmp_path / "data"
    db = Database(f"sqlite:///{data / 'sparring.db'}")
    db.upgrade()
    probe_tasks.create_tables(db)
    queue = JobQueue(db, registry)
    slow = queue.enqueue("probe_record", {"n": 1, "sleep": 2})
    env = sparring_env(data_dir=data, jobs_task_modules="sparring.testing.probe_tasks", jobs_poll_interval=0.1)
    env.pop("SPARRING_DATABASE_URL", None)
    proc = start_sparring(["worker"], env, tmp_path / "worker.log")
    try:
        wait_until("the slow job to run", lambda: queue.get(slow.id).status == "running", [proc], interval=0.05)
        waiting = queue.enqueue("probe_record", {"n": 2})
        assert proc.terminate(30) == 0, proc.tail(2000)
    finally:
        stop_all([proc])
    assert queue.get(slow.id).status == "done"
    assert queue.get(waiting.id).status == "queued"
    assert "sparring worker: inprocess backend" in proc.log.read_text()
    db.dispose()


def test_list_shows_the_progress_of_a_running_job(capsys: pytest.CaptureFixture[str]) -> None:
    from sparring.cli.context import root

    _code, out, _ = _run(capsys, "jobs", "enqueue", "rescore_rep", "--payload", '{"rep_id": 5}', "--json")
    job = json.loads(out)
    ledger = root().jobs.ledger
    assert ledger.claim_next("w1", lease=300) is not None
    assert ledger.set_progress(job["id"], "w1", 0.42, "call.wav: transcribing Left (0:30 of 1:10)")
    code, out, _ = _run(capsys, "jobs", "list")
    assert code == 0
    assert out.startswith(f"#{job['id']} rescore_rep running 42% (call.wav: transcribing Left (0:30 of 1:10)) "
                          "attempts 1/")
    [listed] = json.loads(_run(capsys, "jobs", "list", "--json")[1])
    assert (listed["progress"], listed["progress_note"]) == (0.42, "call.wav: transcribing Left (0:30 of 1:10)")
