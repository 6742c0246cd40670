"""The built-in housekeeping task: finished jobs are deleted after their keep time, failed ones stay."""

from __future__ import annotations

from typing import Any

from sparring.jobs import InProcessRunner, JobQueue, PermanentError, TaskRegistry
from sparring.jobs.maintenance import register


def test_purge_deletes_old_done_jobs_only(queue: JobQueue, registry: TaskRegistry, clock: Any) -> None:
    register(registry)
    registry.task("ok")(lambda ctx, payload: None)

    def broken(ctx: Any, payload: Any) -> None:
        raise PermanentError("no")

    registry.task("broken")(broken)
    clock.now -= 15 * 86400  # these finish 15 days ago (the task itself reads the wall clock)
    old_done, old_failed = queue.enqueue("ok", {}), queue.enqueue("broken", {})
    runner = InProcessRunner(queue, worker_id="t", periodic=False)
    runner.run_until_idle()
    clock.now += 15 * 86400
    recent = queue.enqueue("ok", {})
    runner.run_until_idle()
    purge = queue.enqueue("purge_finished_jobs", {})
    runner.run_until_idle()
    assert queue.get(purge.id).result == {"deleted": 1, "keep_days": 14}
    left = {j.id for j in queue.ledger.list()}
    assert old_done.id not in left and {old_failed.id, recent.id, purge.id} <= left
    bad = queue.enqueue("purge_finished_jobs", {"keep_days": "forever"})
    runner.run_until_idle()
    assert queue.get(bad.id).status == "failed" and "keep_days must be" in (queue.get(bad.id).last_error or "")


def test_purge_is_periodic(queue: JobQueue, registry: TaskRegistry, clock: Any) -> None:
    register(registry)
    slot = (clock.now // (6 * 3600)) * 6 * 3600
    clock.now = slot + 5 * 60
    assert [j.task for j in queue.schedule_periodic()] == ["purge_finished_jobs"]
    assert queue.schedule_periodic() == []
    clock.now = slot + 6 * 3600 + 11 * 60  # a slot first seen more than 10 minutes late is skipped
    assert queue.schedule_periodic() == []
