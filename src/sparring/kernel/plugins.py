"""Plugins: named objects that installed packages declare as ``importlib.metadata`` entry points.

Sparring's own importers, engines, CLI command groups, web routers and job tasks are declared the same way, in
its ``pyproject.toml`` (``[project.entry-points."sparring.importers"]`` …), so a plugin package adds one by
declaring an entry point in its own ``pyproject.toml`` and editing nothing in Sparring (docs/architecture.md,
"Extension points"; docs/decisions.md, "Plugins through entry points").

A plugin that cannot be loaded (its module fails to import, the attribute is missing, it names a group's entry
twice) never stops the application: :class:`Plugins` records a :class:`PluginProblem` naming it, logs a warning
and carries on with the others. Asking for a plugin that is not there raises :class:`PluginError` naming the
group, the name and what is installed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

#: the entry point groups Sparring reads, and what each entry point names
GROUPS: dict[str, str] = {
    "sparring.importers": "a TranscriptFormat (sparring.conversation.importers): a transcript format and its suffixes",
    "sparring.persona_engines": "a callable with no arguments returning a PersonaEngine (sparring.persona.base)",
    "sparring.scorers": "a callable with no arguments returning a Scorer (sparring.scoring.base)",
    "sparring.integrations": "a callable with no arguments returning an integration object (exporters, deliveries)",
    "sparring.cli": "a function register(app: typer.Typer) that adds commands or a command group",
    "sparring.web": "a fastapi.APIRouter included in the web app",
    "sparring.tasks": "a function register(registry: TaskRegistry) that declares background-job tasks",
}

#: the distribution whose entry points come first (a plugin's web route never shadows a built-in one)
HOME_DISTRIBUTION = "sparring"


class PluginError(LookupError):
    """A plugin that was asked for is not installed or could not be loaded; the message names it."""


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be loaded: its group, its name, where it points and what went wrong."""

    group: str
    name: str
    value: str
    distribution: str | None
    error: str

    def __str__(self) -> str:
        origin = f" (from {self.distribution})" if self.distribution else ""
        return f"plugin {self.group}:{self.name} = {self.value}{origin} could not be loaded: {self.error}"


@dataclass(frozen=True)
class Plugin:
    """One loaded plugin."""

    group: str
    name: str
    value: str
    distribution: str | None
    obj: Any


def _distribution(ep: EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    return None if dist is None else str(dist.metadata["Name"])


def _ordered(eps: Iterable[EntryPoint]) -> list[EntryPoint]:
    """Sparring's own entry points first, then the others by distribution and name."""
    home = [ep for ep in eps if (_distribution(ep) or "").lower() == HOME_DISTRIBUTION]
    others = sorted((ep for ep in eps if ep not in home), key=lambda ep: ((_distribution(ep) or ""), ep.name))
    return home + others


@dataclass
class Plugins:
    """The plugins of one application, loaded per group on first use and kept. ``discover`` lists the entry points
    of a group (the installed packages' by default; tests pass their own)."""

    discover: Callable[[str], Iterable[EntryPoint]] = field(default=lambda group: entry_points(group=group))
    _loaded: dict[str, dict[str, Plugin]] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)

    def group(self, group: str) -> dict[str, Plugin]:
        """Every loadable plugin of ``group``, by name (a broken one is recorded in ``problems`` and skipped)."""
        if group not in self._loaded:
            self._loaded[group] = self._load(group)
        return self._loaded[group]

    def _load(self, group: str) -> dict[str, Plugin]:
        found: dict[str, Plugin] = {}
        for ep in _ordered(list(self.discover(group))):
            dist = _distribution(ep)
            if ep.name in found:
                self._problem(PluginProblem(group, ep.name, ep.value, dist,
                                            f"the name is already taken by {found[ep.name].value}"))
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # any failure of third-party code: report it, keep the application up
                self._problem(PluginProblem(group, ep.name, ep.value, dist, f"{type(exc).__name__}: {exc}"))
                continue
            found[ep.name] = Plugin(group, ep.name, ep.value, dist, obj)
        return found

    def _problem(self, problem: PluginProblem) -> None:
        log.warning("%s", problem)
        self.problems.append(problem)

    def instances(self, group: str, kind: type[T]) -> list[T]:
        """The objects of ``group`` that are ``kind``, in order; any other object is recorded as a problem (logged,
        listed by ``sparring plugins``) and left out."""
        usable: list[T] = []
        for plugin in self.group(group).values():
            if isinstance(plugin.obj, kind):
                usable.append(plugin.obj)
            else:
                self._problem(PluginProblem(group, plugin.name, plugin.value, plugin.distribution,
                                            f"not a {kind.__name__}: {type(plugin.obj).__name__}"))
        return usable

    def get(self, group: str, name: str, what: str = "plugin") -> Any:
        """The object named ``name`` in ``group``; PluginError naming it (and why, if it is broken) otherwise."""
        plugins = self.group(group)
        if name in plugins:
            return plugins[name].obj
        broken = [p for p in self.problems if p.group == group and p.name == name]
        if broken:
            raise PluginError(str(broken[0]))
        known = ", ".join(plugins) or "none"
        raise PluginError(f"no {what} named {name!r} is installed (entry point group {group}; installed: {known})")

    def call(self, plugin: Plugin, *args: Any) -> Any | None:
        """Call a plugin's function (e.g. a CLI ``register(app)``); a failure is recorded as a problem, not raised."""
        try:
            return plugin.obj(*args)
        except Exception as exc:
            self._problem(PluginProblem(plugin.group, plugin.name, plugin.value, plugin.distribution,
                                        f"{type(exc).__name__}: {exc}"))
            return None
