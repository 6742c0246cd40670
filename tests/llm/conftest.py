from __future__ import annotations

from collections.abc import Iterator

import pytest

from sparring.llm.breaker import reset_breakers
from sparring.testing.llm import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    """Circuit breakers are per process and per endpoint: no test inherits another's open breaker."""
    reset_breakers()
    yield
    reset_breakers()
