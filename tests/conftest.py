"""Test-wide guards: an isolated data directory per test and no network except loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparring.settings import reset_settings_cache
from sparring.testing.fakes import FakeClock

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # unix sockets


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise OSError(f"tests must not reach the network (tried {address!r})")
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_loopback(address):
        raise OSError(f"tests must not reach the network (tried {address!r})")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data directory and the embedded engines, whatever the caller's env says."""
    data = tmp_path / "sparring-data"
    monkeypatch.setenv("SPARRING_DATA_DIR", str(data))
    for var in (
        "SPARRING_DATABASE_URL",
        "SPARRING_LLM_PROVIDER",
        "SPARRING_LLM_BASE_URL",
        "SPARRING_LLM_API_KEY",
        "SPARRING_PERSONA_MODEL",
        "SPARRING_JUDGE_MODEL",
        "SPARRING_CONFIG",
    ):
        monkeypatch.delenv(var, raising=False)
    reset_settings_cache()
    yield data
    reset_settings_cache()


@pytest.fixture
def clock() -> FakeClock:
    """A hand-moved clock (``sparring.testing.fakes.FakeClock``) for code with an injectable ``clock``."""
    return FakeClock()
