"""The lock files pin every dependency pyproject.toml declares, at a version inside the declared range, with hashes:
requirements-full.lock (the deployed set with the server's extras — what ./dev demo, ./dev test and the image
install) and requirements.lock (the core alone, for a slim image). Regenerate both with ``./dev lock`` after a
dependency change."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _deployed_extras() -> list[str]:
    """The extras ./dev locks into requirements-full.lock (its ``DEPLOYED_EXTRAS``)."""
    m = re.search(r"^DEPLOYED_EXTRAS=\(([^)]*)\)", (ROOT / "dev").read_text(encoding="utf-8"), re.MULTILINE)
    assert m, "./dev names no DEPLOYED_EXTRAS"
    return shlex.split(m.group(1))


#: each lock file and the extras whose dependencies it must pin
LOCKS = {"requirements.lock": [], "requirements-full.lock": _deployed_extras()}


def _pins(lock: str) -> dict[str, list[tuple[str, str | None]]]:
    pins: dict[str, list[tuple[str, str | None]]] = {}
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            pins.setdefault(canonicalize_name(m.group(1)), []).append((m.group(2), m.group(3)))
    return pins


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_declared_dependency_is_pinned_inside_its_range(lock: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in LOCKS[lock]:
        declared += project["optional-dependencies"][extra]
    pins = _pins(lock)
    for raw in declared:
        req = Requirement(raw)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but not in {lock}: run ./dev lock"
        for version, marker in pins[name]:
            if marker and not Marker(marker).evaluate({"python_full_version": "3.11.0", "python_version": "3.11"}):
                continue  # a pin for another Python
            assert req.specifier.contains(version, prereleases=True), f"{name}=={version} is outside {req.specifier}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_has_hashes_and_a_removed_dependency_stays_out(lock: str) -> None:
    text = (ROOT / lock).read_text(encoding="utf-8")
    assert "vadersentiment" not in {canonicalize_name(n) for n in _pins(lock)}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert blocks and all("--hash=sha256:" in b for b in blocks if PIN.match(b.splitlines()[0]))


def test_the_full_set_differs_from_the_core_only_where_an_extra_needs_it() -> None:
    """The core's pins are the full set's where both pin a package, but for the few an extra forces (pyOpenSSL,
    which pysaml2 needs, caps cryptography)."""
    core, full = _pins("requirements.lock"), _pins("requirements-full.lock")
    assert set(core) <= set(full)
    differ = sorted(name for name in core if core[name] != full[name])
    assert differ in ([], ["cryptography"]), differ
    assert "pysaml2" in full and "weasyprint" in full and "faster-whisper" in full and "piper-tts" not in full
