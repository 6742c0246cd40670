"""The in-process runner: the default backend on SQLite, nothing extra to start.

``sparring serve`` / ``demo`` start one in a background thread of each web process (``start``/``stop``);
``sparring worker`` runs one in the foreground (``run_forever``) where a separate process is wanted. Several
runners, in one process or many, share the ``jobs`` table safely: the claim is atomic (``JobLedger.claim_next``)
and a job whose runner died is taken over when its lease runs out.

Graceful shutdown: ``stop()`` lets the running job finish and takes no new one.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable

from sparring.jobs.execute import Outcome, run_claimed
from sparring.jobs.ledger import Job, JobLedger
from sparring.jobs.queue import JobQueue

log = logging.getLogger(__name__)


def worker_name(prefix: str = "runner") -> str:
    return f"{prefix}:{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class InProcessRunner:
    """Claims and runs jobs of ``queue`` (one at a time), schedules periodic tasks, releases expired leases."""

    def __init__(self, queue: JobQueue, *, worker_id: str | None = None, poll_interval: float = 1.0,
                 lease_seconds: float = 30.0, rng: Callable[[], float] = random.random, periodic: bool = True):
        if queue.backend != "inprocess":
            raise ValueError(f"the in-process runner runs in-process jobs, not {queue.backend} ones")
        self.queue = queue
        self.worker_id = worker_id or worker_name()
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.rng = rng
        self.periodic = periodic
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = float("-inf")
        self.busy = threading.Event()
        queue.on_enqueue(self._on_enqueue)

    @property
    def ledger(self) -> JobLedger:
        return self.queue.ledger

    def _on_enqueue(self, _job: Job) -> None:
        self._wake.set()

    # ---- one step ---------------------------------------------------------------------------------------
    def maintain(self) -> None:
        """Release expired leases (at most every third of a lease) and enqueue due periodic slots."""
        now = time.monotonic()
        if now - self._last_sweep >= self.lease_seconds / 3:
            self._last_sweep = now
            released = self.ledger.expire_leases("inprocess")
            if released:
                log.warning("released %s job(s) whose runner stopped", released)
        if self.periodic:
            self.queue.schedule_periodic()

    def run_once(self) -> Outcome | None:
        """Claim and run one due job; None when none is due."""
        self.maintain()
        if not self.ledger.has_due("inprocess"):
            return None
        job = self.ledger.claim_next(self.worker_id, self.lease_seconds, "inprocess")
        if job is None:
            return None
        self.busy.set()
        try:
            return run_claimed(self.ledger, self.queue.registry, job, self.worker_id, rng=self.rng,
                               lease=self.lease_seconds)
        finally:
            self.busy.clear()

    def run_until_idle(self, max_jobs: int = 10_000) -> list[Outcome]:
        """Run due jobs until none is left (tests, ``sparring jobs run``)."""
        done: list[Outcome] = []
        while len(done) < max_jobs:
            outcome = self.run_once()
            if outcome is None:
                break
            done.append(outcome)
        return done

    # ---- the loop ---------------------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Run jobs until ``stop()``; the job running when it is called finishes first."""
        log.info("job runner %s started", self.worker_id)
        while not self._stop.is_set():
            self._wake.clear()
            try:
                outcome = self.run_once()
            except Exception:  # the database went away for a moment: keep the runner alive, try again later
                log.exception("job runner %s: could not claim or record a job", self.worker_id)
                outcome = None
            if outcome is None and not self._stop.is_set():
                self._wake.wait(self.poll_interval)
        log.info("job runner %s stopped", self.worker_id)

    def start(self) -> None:
        """Run in a background (daemon) thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name=f"sparring-jobs-{self.worker_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Take no new job, let the running one finish (up to ``timeout`` seconds); True once stopped."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def request_stop(self) -> None:
        """For signal handlers: ask the loop to stop after the running job, without waiting."""
        self._stop.set()
        self._wake.set()
