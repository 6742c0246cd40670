"""The task registry: task functions by name, with their retry policy and optional schedule.

A registry is an ordinary object that whoever builds the application creates and passes on (the web app, the CLI,
the worker, a test). Nothing registers into a module global: built-in tasks and plugins alike provide a function
``register(registry)``, found through the ``sparring.tasks`` entry point group of installed packages or named in
the ``SPARRING_JOBS_TASK_MODULES`` setting (``load_task_plugins``)::

    def register(registry: TaskRegistry) -> None:
        @registry.task("send_digest", max_attempts=3, cron="0 7 * * 1")
        def send_digest(ctx: TaskContext, payload: dict) -> dict | None:
            ...
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sparring.store.db import Database

#: the entry point group a package names its ``register(registry)`` function in
ENTRY_POINT_GROUP = "sparring.tasks"
TASK_NAME = re.compile(r"^[a-z][a-z0-9_.:-]{0,119}$")
DEFAULT_MAX_ATTEMPTS = 5


class JobError(Exception):
    """A job API call was given something unusable (unknown task, bad payload, bad option); the message says what."""


class PermanentError(Exception):
    """Raised by a task when retrying cannot help (the rep was deleted, the input is invalid): the job fails at
    once, without using its remaining attempts."""


@dataclass(frozen=True)
class TaskContext:
    """What a running task gets besides its payload."""

    job_id: int
    task: str
    #: 1 on the first run
    attempt: int
    max_attempts: int
    database: Database
    #: the organisation the job was enqueued for (None: installation-wide)
    org_id: int | None = None
    #: the application the worker runs (``sparring.root.Sparring``: its settings, engines, content), when the
    #: registry was built by one; tasks take what they need from it instead of reading settings themselves
    app: Any = None
    #: where ``progress`` goes (the runner sets it: the job's row, throttled); None: progress is not recorded
    reporter: Callable[[float, str | None], None] | None = None

    def progress(self, fraction: float, note: str | None = None) -> None:
        """Say how far the task is: ``fraction`` from 0 to 1 and, optionally, what it is doing now (a short note,
        e.g. "transcribing call.wav (2:10 of 14:00)"). Shown by ``sparring jobs list``, the admin jobs page and
        the job's JSON (``progress``, ``progress_note``). Cheap to call often: writes are throttled."""
        if self.reporter is not None:
            self.reporter(fraction, note)


TaskFunction = Callable[[TaskContext, dict[str, Any]], Any]


@dataclass(frozen=True)
class Schedule:
    """When a periodic task is enqueued: every ``every`` (slots aligned to the Unix epoch) or by a 5-field cron
    expression read in UTC."""

    every: timedelta | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise JobError("a schedule needs exactly one of every= or cron=")
        if self.every is not None and self.every.total_seconds() < 1:
            raise JobError(f"every= must be at least one second (got {self.every})")
        if self.cron is not None:
            from croniter import croniter

            if not croniter.is_valid(self.cron):
                raise JobError(f"invalid cron expression {self.cron!r}")

    def latest_slot(self, now: float) -> float:
        """The most recent time at or before ``now`` this schedule fires (Unix seconds)."""
        if self.every is not None:
            step = self.every.total_seconds()
            return (now // step) * step
        from croniter import croniter

        assert self.cron is not None
        return float(croniter(self.cron, now).get_prev(float))

    def describe(self) -> str:
        return f"every {self.every}" if self.every is not None else f"cron {self.cron}"


@dataclass(frozen=True)
class Task:
    name: str
    fn: TaskFunction
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: backoff before retry n (n >= 1): min(cap, base * 2 ** (n - 1)), scaled by a random factor in [0.5, 1]
    retry_base: float = 2.0
    retry_cap: float = 600.0
    schedule: Schedule | None = None
    description: str = ""

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): exponential, capped, with jitter
        so that jobs that failed together do not retry together."""
        raw: float = min(self.retry_cap, self.retry_base * 2.0 ** max(0, attempt - 1))
        return raw * (0.5 + 0.5 * rng())


@dataclass
class TaskRegistry:
    """Task functions by name. Create one per application; see the module docstring."""

    tasks: dict[str, Task] = field(default_factory=dict)
    #: the application whose tasks these are (set by the composition root; handed to each task as ``ctx.app``)
    app: Any = None

    def add(self, task: Task) -> Task:
        if not TASK_NAME.match(task.name):
            raise JobError(f"invalid task name {task.name!r}: lower-case letters, digits and _ . : - (max 120)")
        if task.max_attempts < 1:
            raise JobError(f"task {task.name}: max_attempts must be at least 1")
        if task.name in self.tasks and self.tasks[task.name].fn is not task.fn:
            raise JobError(f"task {task.name!r} is already registered")
        self.tasks[task.name] = task
        return task

    def task(
        self,
        name: str,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retry_base: float = 2.0,
        retry_cap: float = 600.0,
        every: timedelta | None = None,
        cron: str | None = None,
        description: str = "",
    ) -> Callable[[TaskFunction], TaskFunction]:
        """Decorator: register ``fn(ctx, payload)`` as task ``name``. ``every=``/``cron=`` make it periodic
        (enqueued once per slot by whichever runner or worker gets there first)."""
        schedule = Schedule(every=every, cron=cron) if every is not None or cron is not None else None

        def decorate(fn: TaskFunction) -> TaskFunction:
            self.add(Task(name=name, fn=fn, max_attempts=max_attempts, retry_base=retry_base, retry_cap=retry_cap,
                          schedule=schedule, description=description or (fn.__doc__ or "").strip().split("\n")[0]))
            return fn

        return decorate

    def get(self, name: str) -> Task:
        try:
            return self.tasks[name]
        except KeyError:
            known = ", ".join(sorted(self.tasks)) or "none registered"
            raise JobError(f"unknown task {name[:120]!r} (known: {known})") from None

    def periodic(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.schedule is not None]

    def __contains__(self, name: object) -> bool:
        return name in self.tasks

    def names(self) -> list[str]:
        return sorted(self.tasks)


def _load(spec: str) -> Callable[[TaskRegistry], Any]:
    module, _, attr = spec.partition(":")
    try:
        obj = importlib.import_module(module.strip())
    except ImportError as exc:
        raise JobError(f"cannot import task module {module!r}: {exc}") from exc
    fn = getattr(obj, (attr or "register").strip(), None)
    if not callable(fn):
        raise JobError(f"task module {module!r} has no function {(attr or 'register')!r}")
    register: Callable[[TaskRegistry], Any] = fn
    return register


def load_task_plugins(registry: TaskRegistry, extra: Iterable[str] = (), *, installed: bool = True) -> TaskRegistry:
    """Call every ``register(registry)`` of the ``sparring.tasks`` entry points (``installed``), then the ones
    named in ``extra`` (``module`` or ``module:function``). Returns the registry."""
    if installed:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            ep.load()(registry)
    for spec in extra:
        if spec.strip():
            _load(spec)(registry)
    return registry


def split_modules(setting: str | None) -> list[str]:
    return [s.strip() for s in (setting or "").split(",") if s.strip()]
