"""``sparring worker`` and ``sparring jobs list|retry|enqueue|rescore|run``: background jobs (docs/jobs.md)."""

from __future__ import annotations

import json
import logging
import signal
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sparring.jobs.queue import JobQueue

STATUSES = ("queued", "running", "done", "failed")


@contextmanager
def _job_errors() -> Iterator[None]:
    from sparring.jobs.registry import JobError
    from sparring.jobs.setup import BackendError

    with service_errors():
        try:
            yield
        except (JobError, BackendError) as exc:
            raise UserError(str(exc)) from exc


def _queue() -> JobQueue:
    from sparring.cli.context import root

    return root().jobs


def _worker(concurrency: int) -> None:
    """Run background jobs until SIGTERM or Ctrl+C (the running job finishes first)."""
    from sparring.cli.context import root

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = root().settings
    with _job_errors():
        queue = _queue()
    typer.echo(f"sparring worker: {queue.backend} backend on {queue.database.describe()}; "
               f"tasks: {', '.join(queue.registry.names()) or 'none'}", err=True)
    if queue.backend == "procrastinate":
        from sparring.jobs.procrastinate_backend import run_worker

        run_worker(queue, queue.database.url, concurrency=concurrency, lease_seconds=settings.jobs_lease_seconds,
                   poll_interval=settings.jobs_poll_interval)
        return
    from sparring.jobs.runner import InProcessRunner

    if concurrency != 1:
        raise UserError("--concurrency is for the Procrastinate backend; run more `sparring worker` processes instead")
    runner = InProcessRunner(queue, worker_id=None, poll_interval=settings.jobs_poll_interval,
                             lease_seconds=settings.jobs_lease_seconds)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: runner.request_stop())
    runner.run_forever()


def _print_jobs(jobs: list[Any], json_out: bool) -> None:
    if json_out:
        print(json.dumps([j.as_json() for j in jobs]))
        return
    if not jobs:
        print("no jobs")
    for j in jobs:
        error = f"  last error: {j.last_error}" if j.last_error else ""
        print(f"#{j.id} {j.task} {j.status}{_progress(j)} attempts {j.attempts}/{j.max_attempts} payload "
              f"{json.dumps(j.payload)}{error}")


def _progress(job: Any) -> str:
    """`` 42% (transcribing Left (2:10 of 14:00))`` for a running job that reports progress, else nothing."""
    if job.status != "running" or job.progress is None:
        return ""
    note = f" ({job.progress_note})" if job.progress_note else ""
    return f" {job.progress * 100:.0f}%{note}"


def _list(status: list[str] | None, limit: int, json_out: bool) -> None:
    for s in status or []:
        if s not in STATUSES:
            raise UserError(f"unknown status {s!r} (use: {', '.join(STATUSES)})")
    with _job_errors():
        jobs = _queue().ledger.list(status or None, limit=limit)
    _print_jobs(jobs, json_out)


def _parse_run_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--run-at: not an ISO date-time: {value[:40]!r} (e.g. 2026-12-24T09:00:00+00:00)") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        concurrency: int = typer.Option(1, "--concurrency", min=1, max=64,
                                        help="jobs run at once (Procrastinate backend)"),
    ) -> None:
        """Run background jobs: Procrastinate on PostgreSQL, the in-process runner on SQLite (docs/jobs.md)."""
        _worker(concurrency)

    group = typer.Typer(help="Background jobs: list, retry, enqueue.", no_args_is_help=True)

    @group.command("list")
    def list_jobs(
        status: list[str] | None = typer.Option(None, "--status", help="queued | running | done | failed (repeat)"),
        limit: int = typer.Option(50, "--limit", min=1, max=1000),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """List jobs, newest first (failed ones with their last error)."""
        _list(status, limit, json_out)

    @group.command("retry")
    def retry(job_id: int = typer.Argument(..., help="a failed job's id")) -> None:
        """Queue a failed job again now, with a fresh round of attempts."""
        with _job_errors():
            job = _queue().retry(job_id)
        print(f"job {job.id} ({job.task}) queued again")

    @group.command("enqueue")
    def enqueue(
        task: str = typer.Argument(..., help="task name (sparring jobs tasks)"),
        payload: str = typer.Option("{}", "--payload", help="JSON object"),
        key: str | None = typer.Option(None, "--key", help="idempotency key"),
        run_at: str | None = typer.Option(None, "--run-at", help="ISO date-time (UTC unless given)"),
        priority: int = typer.Option(0, "--priority", help="higher runs first"),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """Queue a job for a registered task."""
        try:
            body = json.loads(payload)
        except ValueError as exc:
            raise UserError(f"--payload is not JSON: {exc}") from None
        with _job_errors():
            job = _queue().enqueue(task, body, idempotency_key=key, run_at=_parse_run_at(run_at), priority=priority)
        print(json.dumps(job.as_json()) if json_out else f"job {job.id} ({job.task}) {job.status}")

    @group.command("rescore")
    def rescore(rep_id: int = typer.Argument(..., help="an ended rep's id")) -> None:
        """Queue a re-score of a stored rep with the scorer configured now."""
        from sparring.services.rescoring import enqueue_rescore
        from sparring.store.models import Rep

        with _job_errors():
            queue = _queue()
            with queue.database.read() as s:
                rep = s.get(Rep, rep_id) if 0 < rep_id < 2**63 else None
            if rep is None:
                raise UserError(f"unknown rep {rep_id}")
            job = enqueue_rescore(queue, rep.org_id, rep_id)
        print(f"job {job.id} (rescore_rep) queued for rep {rep_id}")

    @group.command("tasks")
    def tasks() -> None:
        """List the registered tasks (built-ins and plugins)."""
        with _job_errors():
            registry = _queue().registry
        for name in registry.names():
            t = registry.tasks[name]
            when = f"  [{t.schedule.describe()}]" if t.schedule else ""
            print(f"{name}: {t.description or '-'} (max {t.max_attempts} attempts){when}")

    @group.command("run")
    def run() -> None:
        """Run the due in-process jobs now and exit (in-process backend)."""
        from sparring.jobs.runner import InProcessRunner

        with _job_errors():
            queue = _queue()
            if queue.backend != "inprocess":
                raise UserError("`sparring jobs run` is for the in-process backend; start `sparring worker`")
            outcomes = InProcessRunner(queue, periodic=False).run_until_idle()
        print(f"ran {len(outcomes)} job(s): " + ", ".join(f"#{o.job_id} {o.status}" for o in outcomes))

    app.add_typer(group, name="jobs")
