"""Service fixtures on both database backends, with fake engines (tests/store/sparring_test_support.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sparring_test_support as support

from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.testing.fakes import FakePersona, FakeScorer

database_url = support.database_url
db = support.db


@pytest.fixture
def content(db: Database) -> ContentService:
    svc = ContentService.installation(db)
    svc.import_paths([support.DATA / "test-rubric.yaml", support.DATA / "test-scenario.yaml"])
    return svc


@pytest.fixture
def persona() -> Any:
    return FakePersona()


@pytest.fixture
def practice(db: Database, content: ContentService, persona: Any) -> PracticeService:
    return PracticeService(db, persona=persona, scorer=FakeScorer(), content=content)


@pytest.fixture
def learner(db: Database) -> UserRecord:
    return Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")



@pytest.fixture
def tenants(practice: PracticeService, learner: UserRecord, tmp_path: Path) -> tuple[support.Tenant, support.Tenant]:
    """Acme (the ``learner``'s organisation) and Globex, each with its own content; the fixture ``content``
    imported the test scenario and rubric installation-wide."""
    other = Accounts(practice.db).create_user("Globex", "max@globex.test", None, role="learner", team="North")
    return (support.make_tenant(practice, learner, "acme", tmp_path / "acme"),
            support.make_tenant(practice, other, "globex", tmp_path / "globex"))
