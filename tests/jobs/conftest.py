"""Job fixtures: the shared storage fixtures (SQLite, and PostgreSQL in a fresh schema) and a queue on them."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import sparring_test_support as support

from sparring.jobs import JobQueue, TaskRegistry
from sparring.store.db import Database

database_url = support.database_url
db = support.db


class Clock:
    """A clock the test moves by hand; starts now so that stored times look real."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry() -> TaskRegistry:
    return TaskRegistry()


@pytest.fixture
def queue(db: Database, registry: TaskRegistry, clock: Clock) -> Iterator[JobQueue]:
    db.upgrade()
    yield JobQueue(db, registry, clock=clock)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(7)
