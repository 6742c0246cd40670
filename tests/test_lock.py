"""requirements.lock (the deployed set, ./dev demo installs it) pins every dependency pyproject.toml declares, at a
version inside the declared range, with hashes; regenerate it with ``./dev lock`` after a dependency change."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _pins() -> dict[str, list[tuple[str, str | None]]]:
    pins: dict[str, list[tuple[str, str | None]]] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            pins.setdefault(canonicalize_name(m.group(1)), []).append((m.group(2), m.group(3)))
    return pins


def test_every_declared_dependency_is_pinned_inside_its_range() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = _pins()
    for raw in declared:
        req = Requirement(raw)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but not locked: run ./dev lock"
        for version, marker in pins[name]:
            if marker and not Marker(marker).evaluate({"python_full_version": "3.11.0", "python_version": "3.11"}):
                continue  # a pin for another Python
            assert req.specifier.contains(version, prereleases=True), f"{name}=={version} is outside {req.specifier}"


def test_every_pin_has_hashes_and_a_removed_dependency_stays_out() -> None:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "vadersentiment" not in {canonicalize_name(n) for n in _pins()}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert blocks and all("--hash=sha256:" in b for b in blocks if PIN.match(b.splitlines()[0]))
