"""The composition root and plugins: a plugin package installed next to Sparring adds a transcript format, a CLI
command and a web route without any edit to Sparring; the settings given to the app choose the engines; a broken
plugin is named, never a crash.

The plugin (``tests/plugins/echo_plugin``, a package with its own pyproject.toml) is installed the way pip lays a
package out (the package directory plus a ``.dist-info`` holding its metadata and ``entry_points.txt``) into a
temporary directory put on the path. That is offline and takes milliseconds; ``pip install`` would need the
setuptools build backend, which the test environment does not have without reaching the package registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import EntryPoint, distributions
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparring.conversation.importers import read_transcript
from sparring.kernel.plugins import PluginError, Plugins
from sparring.root import SCORERS, Sparring
from sparring.settings import Settings

PLUGIN = Path(__file__).parent / "plugins" / "echo_plugin"
TRANSCRIPT = "Dana >> What matters most to you this quarter?\nBuyer >> Mostly the price, honestly.\n"


def install(project: Path, site: Path) -> Path:
    """Lay ``project`` out in ``site`` as an installed distribution: its package and a ``.dist-info`` with the
    metadata and the entry points its pyproject.toml declares (what pip writes for a wheel)."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    for package in (project / "src").iterdir():
        shutil.copytree(package, site / package.name)
    info = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    lines = []
    for group, entries in meta.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {value}" for name, value in entries.items()]
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines))
    return site


def discover_in(site: Path) -> Plugins:
    """A registry that sees the installed packages and those in ``site`` (as if ``site`` were site-packages)."""
    from importlib.metadata import entry_points

    def discover(group: str) -> list[EntryPoint]:
        extra = [ep for dist in distributions(path=[str(site)]) for ep in dist.entry_points if ep.group == group]
        return [*entry_points(group=group), *extra]

    return Plugins(discover=discover)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    target = install(PLUGIN, tmp_path / "site")
    monkeypatch.syspath_prepend(str(target))  # the plugin's module imports like an installed one
    yield target
    for name in [m for m in sys.modules if m.startswith("sparring_echo_plugin")]:
        del sys.modules[name]


def _cli(site: Path, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """``sparring ARGS`` in a fresh interpreter whose path holds the installed plugin."""
    env = {**os.environ, **env_vars,
           "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", "import sys; from sparring.cli import main; sys.exit(main())",
                           *args], capture_output=True, text=True, timeout=120, env=env)


def test_an_installed_plugin_adds_its_command_and_its_transcript_format(site: Path, tmp_path: Path) -> None:
    help_text = _cli(site, "--help")
    assert help_text.returncode == 0, help_text.stderr
    assert "echo-hello" in help_text.stdout and "warning" not in help_text.stderr
    hello = _cli(site, "echo-hello", "Dana")
    assert (hello.returncode, hello.stdout.strip()) == (0, "hello Dana from the echo plugin")
    listed = json.loads(_cli(site, "plugins", "--json").stdout)
    assert {"name": "echo", "value": "sparring_echo_plugin:ECHO", "distribution": "sparring-echo-plugin"} in \
        listed["groups"]["sparring.importers"]
    assert {p["name"] for p in listed["groups"]["sparring.importers"]} >= {"txt", "json", "vtt", "srt", "echo"}
    assert listed["problems"] == []
    call = tmp_path / "call.echo"
    call.write_text(TRANSCRIPT)
    scored = _cli(site, "score", str(call), "--rubric", "discovery", "--rep", "Dana", "--json")
    assert scored.returncode == 0, scored.stderr
    quotes = {e["quote"] for c in json.loads(scored.stdout)["criteria"] for e in c["evidence"]}
    assert quotes <= {"What matters most to you this quarter?", "Mostly the price, honestly."}


def test_without_the_plugin_the_suffix_and_the_command_are_unknown(tmp_path: Path) -> None:
    call = tmp_path / "call.echo"
    call.write_text(TRANSCRIPT)
    root = Sparring(Settings())
    assert root.formats.for_suffix(".echo") is None and root.formats.for_suffix(".vtt") == "vtt"
    plain = _cli(tmp_path, "--help")
    assert plain.returncode == 0 and "echo-hello" not in plain.stdout


def test_the_root_reads_the_plugin_format_and_the_web_app_serves_its_route(site: Path, tmp_path: Path) -> None:
    root = Sparring(Settings(), plugins=discover_in(site))
    assert root.formats.for_suffix(".echo") == "echo"
    call = tmp_path / "call.echo"
    call.write_text(TRANSCRIPT)
    conv = read_transcript(call, rep="Dana", formats=root.formats)
    assert [(t.speaker, t.role) for t in conv.turns] == [("Dana", "learner"), ("Buyer", "counterpart")]
    assert conv.notes == ["read by the echo plugin"]
    from sparring.web.app import create_app

    with TestClient(create_app(root=root, warm_up=False)) as client:
        assert client.get("/plugins/echo").json() == {"plugin": "echo"}
        assert client.get("/healthz").status_code == 200


def test_the_settings_given_to_the_app_choose_the_engines() -> None:
    from sparring.web.app import create_app

    fake = EntryPoint("fake", "sparring_test_support:FakeScorer", SCORERS)
    plugins = Plugins(discover=lambda group: [fake] if group == SCORERS else [])
    app = create_app(Settings(scorer="fake"), warm_up=False)
    assert app.state.root.settings.scorer == "fake"
    with pytest.raises(PluginError, match=r"no scorer named 'fake' is installed .*installed: embedded"):
        _ = app.state.root.scorer
    root = Sparring(Settings(scorer="fake"), plugins=plugins)
    assert root.scorer.name == "fake"
    assert Sparring(Settings()).scorer.name == "embedded"


def test_a_plugin_engine_gets_the_settings_and_its_options_from_the_config_file(tmp_path: Path) -> None:
    from sparring.configfile import ConfigError

    config = tmp_path / "sparring.toml"
    config.write_text('scorer = "tuned"\n\n[plugins.tuned]\nlabel = "tuned-for-acme"\n')
    tuned = EntryPoint("tuned", "sparring_test_support:configured_scorer", SCORERS)
    plugins = Plugins(discover=lambda group: [tuned] if group == SCORERS else [])
    root = Sparring(Settings(config=config, scorer="tuned"), plugins=plugins)
    assert root.scorer.name == "tuned-for-acme"
    assert Settings(config=config).plugin_options("other") == {}
    config.write_text('[plugins]\ntuned = "loud"\n')
    with pytest.raises(ConfigError, match=r"plugins\.tuned: must be a table of options"):
        Settings(config=config).plugin_options("tuned")


def test_a_broken_plugin_is_named_and_the_rest_of_the_app_works(tmp_path: Path) -> None:
    site = tmp_path / "broken-site"
    site.mkdir()
    info = site / "sparring_broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sparring-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[sparring.cli]\nbroken = sparring_no_such_module:register\n\n"
                                           "[sparring.importers]\nodd = json:dumps\n")
    result = _cli(site, "--help")
    assert result.returncode == 0 and "scenarios" in result.stdout
    assert "plugin sparring.cli:broken = sparring_no_such_module:register (from sparring-broken) could not be " \
           "loaded: ModuleNotFoundError" in result.stderr
    root = Sparring(Settings(), plugins=discover_in(site))
    assert root.formats.for_suffix(".txt") == "txt"
    assert [(p.group, p.name) for p in root.problems] == [("sparring.importers", "odd")]
    assert "not a TranscriptFormat" in root.problems[0].error
    call = tmp_path / "call.txt"
    call.write_text("Dana: What matters most to you?\nBuyer: The price.\n")
    unknown = _cli(site, "score", str(call), "--rubric", "discovery", "--rep", "Dana", SPARRING_SCORER="nope")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert unknown.stderr.splitlines()[-1] == ("sparring: no scorer named 'nope' is installed (entry point group "
                                               "sparring.scorers; installed: embedded)")


def test_persona_engines_and_integrations_come_from_their_groups() -> None:
    from sparring.root import INTEGRATIONS, PERSONA_ENGINES

    eps = {PERSONA_ENGINES: [EntryPoint("fake", "sparring_test_support:FakePersona", PERSONA_ENGINES)],
           INTEGRATIONS: [EntryPoint("ledger", "collections:OrderedDict", INTEGRATIONS),
                          EntryPoint("crash", "json:loads", INTEGRATIONS)]}
    root = Sparring(Settings(persona_engine="fake"), plugins=Plugins(discover=lambda group: eps.get(group, [])))
    assert type(root.persona).__name__ == "FakePersona"
    assert list(root.integrations) == ["ledger"]  # json.loads() without its argument fails to start: reported
    assert [(p.name, "failed to start" in p.error) for p in root.problems] == [("crash", True)]
    practice = root.practice()
    assert practice.persona is root.persona
