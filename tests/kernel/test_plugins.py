"""The entry-point registry: plugins load once per group, Sparring's own first; a broken one is recorded and named."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from sparring.kernel.plugins import PluginError, Plugins

GROUP = "sparring.example"


def registry(*entries: tuple[str, str]) -> Plugins:
    eps = [EntryPoint(name, value, GROUP) for name, value in entries]
    return Plugins(discover=lambda group: eps if group == GROUP else [])


def test_loads_each_group_once_and_keeps_it() -> None:
    calls: list[str] = []
    eps = [EntryPoint("dumps", "json:dumps", GROUP)]
    plugins = Plugins(discover=lambda group: calls.append(group) or eps)
    assert plugins.get(GROUP, "dumps")([1]) == "[1]"
    assert [p.obj for p in plugins.group(GROUP).values()] == [plugins.get(GROUP, "dumps")]
    assert calls == [GROUP]


def test_a_broken_plugin_is_recorded_and_the_others_load(caplog: pytest.LogCaptureFixture) -> None:
    plugins = registry(("gone", "sparring_no_such_module:thing"), ("missing", "json:no_such_attr"),
                       ("dumps", "json:dumps"), ("dumps", "json:loads"))
    assert list(plugins.group(GROUP)) == ["dumps"]
    assert plugins.get(GROUP, "dumps").__name__ == "dumps"  # the first of two with one name wins
    assert [(p.name, p.error.split(":")[0]) for p in plugins.problems] == [  # outside plugins load by name
        ("dumps", "the name is already taken by json"), ("gone", "ModuleNotFoundError"), ("missing", "AttributeError")]
    assert "plugin sparring.example:gone = sparring_no_such_module:thing could not be loaded" in caplog.text
    with pytest.raises(PluginError, match=r"sparring\.example:gone .* could not be loaded: ModuleNotFoundError"):
        plugins.get(GROUP, "gone")
    with pytest.raises(PluginError, match=r"no thing named 'other' is installed .*installed: dumps\)"):
        plugins.get(GROUP, "other", "thing")


def test_a_plugin_that_fails_when_called_is_recorded_not_raised() -> None:
    plugins = registry(("bad", "json:loads"))
    [plugin] = plugins.group(GROUP).values()
    assert plugins.call(plugin, "{not json") is None
    assert plugins.problems[0].name == "bad" and "JSONDecodeError" in plugins.problems[0].error
