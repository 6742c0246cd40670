"""The deployment files in ``deploy/`` (docs/deployment.md) checked against the code they start.

No container runtime runs here, so these tests check what can go stale without one: every ``sparring`` command
line in the compose file, the systemd units and the image parses with the real CLI (the command exists, every
option is known and its value valid); every ``SPARRING_*`` variable they set is a real setting with a valid value;
the proxy points at the web service's port; the image installs the pinned set; and the systemd units pass
``systemd-analyze verify`` (when systemd's tools are installed).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from sparring.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _parse_command(argv: list[str]) -> Any:
    """Parse ``sparring ARGS`` with the real command line (no command runs) and return the command's context; a
    usage error (unknown command or option, bad value) raises. Typer carries its own click, so groups are told
    apart by their ``commands``."""
    from sparring.cli import app

    assert argv[0].endswith("sparring"), argv
    cmd: Any = typer.main.get_command(app)
    name, rest = "sparring", list(argv[1:])
    while hasattr(cmd, "commands"):  # descend through command groups (e.g. `sparring db upgrade`)
        assert rest and rest[0] in cmd.commands, f"unknown command {rest[:1]} under {name!r}"
        name, cmd, rest = rest[0], cmd.commands[rest[0]], rest[1:]
    return cmd.make_context(name, rest)


def _settings_from(env: dict[str, str]) -> Settings:
    fields = Settings.model_fields
    unknown = [k for k in env if k.startswith("SPARRING_") and k[len("SPARRING_"):].lower() not in fields]
    assert not unknown, f"not Sparring settings: {unknown}"
    values = {k[len("SPARRING_"):].lower(): v for k, v in env.items() if k.startswith("SPARRING_") and v != ""}
    return Settings.model_validate(values)


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _interpolated(value: str) -> str:
    """Compose's ``${VAR:?message}`` / ``${VAR:-default}`` with a stand-in for required variables."""
    return re.sub(r"\$\{(\w+)(?::([?-])([^}]*))?\}", lambda m: m.group(3) if m.group(2) == "-" else "stand-in", value)


def test_every_compose_command_parses_with_the_cli() -> None:
    services = _compose()["services"]
    commands = {name: svc["command"] for name, svc in services.items() if name != "db" and "command" in svc}
    assert set(commands) == {"migrate", "web", "worker"}
    for name, argv in commands.items():
        ctx = _parse_command(argv)
        assert ctx.command.name, name
    web = _parse_command(services["web"]["command"])
    assert web.params["host"] == "0.0.0.0" and web.params["port"] == 8000
    assert _parse_command(services["worker"]["command"]).params["concurrency"] == 2


def test_the_compose_environment_is_valid_settings() -> None:
    env = {k: _interpolated(str(v)) for k, v in _compose()["x-sparring"]["environment"].items()}
    settings = _settings_from(env)
    assert settings.resolved_database_url.startswith("postgresql+psycopg://sparring:")
    assert settings.jobs_backend == "procrastinate" and settings.secret_key == "stand-in"


def test_the_proxy_points_at_the_web_service_port() -> None:
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    web = _parse_command(_compose()["services"]["web"]["command"])
    assert re.search(r"\bname web\b", caddy) and re.search(rf"\bport {web.params['port']}\b", caddy)
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in _compose()["services"]["proxy"]["volumes"]


def test_the_image_installs_the_pinned_set_and_starts_the_web_app() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    runs = [line for line in lines if line.startswith("RUN ")]
    assert "ARG LOCK=requirements-full.lock" in lines  # the deployed extras by default (tests/test_lock.py)
    assert any('--require-hashes -r "$LOCK"' in r for r in runs)
    assert any("libpango" in r and "xmlsec1" in r for r in runs)  # weasyprint's and pysaml2's Debian libraries
    assert any("pip install --no-deps ." in r for r in runs)  # Sparring itself, without resolving again
    root = DEPLOY.parent
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (root / source).exists(), f"Dockerfile copies {source}, which is not in the repository"
    cmd = next(line for line in lines if line.startswith("CMD "))
    _parse_command(yaml.safe_load(cmd[len("CMD "):]))


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_units_start_a_real_command_with_real_settings(unit: Path) -> None:
    text = unit.read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert exec_start is not None
    _parse_command(shlex.split(exec_start.group(1).replace("%i", "8001")))
    env_file = re.search(r"^EnvironmentFile=(.+)$", text, re.MULTILINE)
    assert env_file is not None and env_file.group(1) == "/etc/sparring/sparring.env"
    example = (DEPLOY / "systemd" / "sparring.env.example").read_text(encoding="utf-8")
    pairs = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    _settings_from(pairs)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    sparring = shutil.which("sparring") or str(Path(__import__("sys").executable).parent / "sparring")
    names = []
    for unit in UNITS:
        # the units name the installed path (/opt/sparring/venv); point them at this environment's command
        (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace(
            "/opt/sparring/venv/bin/sparring", sparring), encoding="utf-8")
        names.append(unit.name.replace("@.", "@8001."))
    result = subprocess.run(["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
