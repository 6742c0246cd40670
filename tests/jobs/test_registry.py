"""The task registry: names, schedules, backoff, plugins loaded like the built-ins."""

from __future__ import annotations

import random
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sparring.jobs.registry import JobError, Schedule, Task, TaskRegistry, load_task_plugins


def _noop(ctx, payload):  # type: ignore[no-untyped-def]
    return None


def test_decorator_registers_and_unknown_names_say_what_exists() -> None:
    reg = TaskRegistry()

    @reg.task("send_digest", max_attempts=2)
    def send_digest(ctx, payload):  # type: ignore[no-untyped-def]
        """Send the weekly digest."""

    assert reg.get("send_digest").max_attempts == 2
    assert reg.get("send_digest").description == "Send the weekly digest."
    with pytest.raises(JobError, match=r"unknown task 'nope' \(known: send_digest\)"):
        reg.get("nope")


@pytest.mark.parametrize("name", ["", "Upper", "has space", "x" * 121, "1starts-with-digit"])
def test_bad_task_names_are_refused(name: str) -> None:
    with pytest.raises(JobError, match="invalid task name"):
        TaskRegistry().add(Task(name=name, fn=_noop))


def test_a_name_cannot_be_taken_twice_by_different_functions() -> None:
    reg = TaskRegistry()
    reg.add(Task(name="a", fn=_noop))
    reg.add(Task(name="a", fn=_noop))  # the same function again (a module imported twice) is fine
    with pytest.raises(JobError, match="already registered"):
        reg.add(Task(name="a", fn=lambda c, p: None))


def test_backoff_is_exponential_capped_and_jittered() -> None:
    task = Task(name="t", fn=_noop, retry_base=2.0, retry_cap=30.0)
    top = [task.backoff(n, lambda: 1.0) for n in range(1, 7)]
    assert top == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    low = [task.backoff(n, lambda: 0.0) for n in range(1, 4)]
    assert low == [1.0, 2.0, 4.0]
    rng = random.Random(1)
    spread = {round(task.backoff(3, rng.random), 3) for _ in range(20)}
    assert len(spread) > 10 and all(4.0 <= d <= 8.0 for d in spread)


def test_schedules() -> None:
    every = Schedule(every=timedelta(minutes=10))
    now = datetime(2026, 12, 7, 3, 27, 5, tzinfo=UTC).timestamp()
    assert every.latest_slot(now) == datetime(2026, 12, 7, 3, 20, tzinfo=UTC).timestamp()
    cron = Schedule(cron="0 3 * * *")
    assert cron.latest_slot(now) == datetime(2026, 12, 7, 3, 0, tzinfo=UTC).timestamp()
    with pytest.raises(JobError, match="exactly one"):
        Schedule()
    with pytest.raises(JobError, match="invalid cron"):
        Schedule(cron="every day")
    with pytest.raises(JobError, match="at least one second"):
        Schedule(every=timedelta(milliseconds=10))


def test_built_in_tasks_come_from_entry_points_like_a_plugin() -> None:
    reg = load_task_plugins(TaskRegistry())
    assert {"purge_finished_jobs", "rescore_rep"} <= set(reg.names())
    assert reg.get("purge_finished_jobs").schedule is not None


def test_extra_task_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_jobs_plugin.py").write_text(textwrap.dedent("""
        def setup(registry):
            registry.task("plugin_task")(lambda ctx, payload: {"ok": True})
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        reg = load_task_plugins(TaskRegistry(), ["my_jobs_plugin:setup"], installed=False)
        assert reg.names() == ["plugin_task"]
        with pytest.raises(JobError, match="cannot import task module 'no_such_module_x'"):
            load_task_plugins(TaskRegistry(), ["no_such_module_x"], installed=False)
        with pytest.raises(JobError, match="has no function 'register'"):
            load_task_plugins(TaskRegistry(), ["my_jobs_plugin"], installed=False)
    finally:
        sys.modules.pop("my_jobs_plugin", None)
