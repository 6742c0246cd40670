"""Accounts: organisations, teams, users, argon2 passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sparring.services.accounts import LOCAL_LEARNER_EMAIL, Accounts
from sparring.services.accounts import _hasher as REAL_HASHER
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.store.db import Database
from sparring.store.models import Organisation, Team, User


def test_create_user_creates_org_and_team_once(db: Database) -> None:
    acc = Accounts(db)
    a = acc.create_user("Acme Corp", "  Ann@Acme.TEST ", "s3cret-pass-long", role="manager", team="East", name="Ann")
    b = acc.create_user("acme corp", "bob@acme.test", "s3cret-pass-long", team="East")
    assert a.email == "ann@acme.test" and a.org_slug == "acme-corp" and a.role == "manager"
    assert a.org_id == b.org_id and a.team_ids == b.team_ids and len(a.team_ids) == 1
    with db.read() as s:
        assert s.scalar(select(Organisation.name)) == "Acme Corp"
        assert [t.name for t in s.scalars(select(Team))] == ["East"]
        assert s.scalar(select(User.password_hash).where(User.id == a.id)).startswith("$argon2")


def test_bad_users_are_refused(db: Database) -> None:
    acc = Accounts(db)
    acc.create_user("Acme", "ann@acme.test", "s3cret-pass-long")
    with pytest.raises(Conflict, match="already exists"):
        acc.create_user("Other", "ANN@acme.test", "s3cret-pass-long")  # unique across organisations
    with pytest.raises(InvalidInput, match="unknown role"):
        acc.create_user("Acme", "x@acme.test", "s3cret-pass-long", role="owner")
    with pytest.raises(InvalidInput, match="not an e-mail"):
        acc.create_user("Acme", "not-an-email", "s3cret-pass-long")
    with pytest.raises(InvalidInput, match="too short"):
        acc.create_user("Acme", "y@acme.test", "short")
    with pytest.raises(InvalidInput, match="no letters"):
        acc.create_user("!!!", "z@acme.test", "s3cret-pass-long")


def test_authenticate_and_set_password(db: Database) -> None:
    acc = Accounts(db)
    u = acc.create_user("Acme", "ann@acme.test", "first-pass-phrase")
    assert acc.authenticate("ANN@acme.test", "first-pass-phrase") == u
    assert acc.authenticate("ann@acme.test", "wrong-pass-phrase") is None
    assert acc.authenticate("nobody@acme.test", "first-pass-phrase") is None
    acc.set_password(u.id, "second-pass-phrase")
    assert acc.authenticate("ann@acme.test", "first-pass-phrase") is None
    assert acc.authenticate("ann@acme.test", "second-pass-phrase") is not None
    acc.set_active(u.id, False)
    assert acc.authenticate("ann@acme.test", "second-pass-phrase") is None
    with pytest.raises(NotFound):
        acc.set_password(999, "whatever-pass-phrase")


def test_local_learner_is_created_once_and_cannot_log_in(db: Database) -> None:
    acc = Accounts(db)
    a, b = acc.local_learner(), acc.local_learner()
    assert a == b and a.email == LOCAL_LEARNER_EMAIL and a.role == "learner"
    assert acc.authenticate(LOCAL_LEARNER_EMAIL, "") is None


def test_add_to_team_and_find(db: Database) -> None:
    acc = Accounts(db)
    u = acc.create_user("Acme", "ann@acme.test", "first-pass-phrase")
    assert u.team_ids == []
    u2 = acc.add_to_team(u.id, "West")
    assert len(u2.team_ids) == 1 and acc.add_to_team(u.id, "West") == u2
    assert acc.find_user("ann@acme.test") == u2 and acc.get_user(u.id) == u2
    with pytest.raises(NotFound, match="sparring users create"):
        acc.find_user("ghost@acme.test")


def test_production_hashing_is_argon2id_with_strong_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    import sparring.services.accounts as accounts

    monkeypatch.setattr(accounts, "_hasher", REAL_HASHER)  # undo the light test hasher of conftest.py
    digest = accounts.hash_password("correct horse battery")
    assert digest.startswith("$argon2id$") and "m=65536" in digest
    assert REAL_HASHER().verify("correct horse battery", digest)
