"""API tokens on SQLite and PostgreSQL (sparring.services.api_tokens): only a hash is stored, the role is capped at
the account's (at creation and at every use), revoked, expired and deactivated-account tokens fail, last use is
written at most once a minute, and nothing crosses organisations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from sparring.services import api_tokens, people
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.login_sessions import token_hash
from sparring.store.api_token_models import ApiTokenRow
from sparring.store.db import Database
from sparring.store.models import User

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _viewer(db: Database, email: str) -> Viewer:
    with db.read() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return Viewer.of(user)


@pytest.fixture
def org(db: Database) -> dict[str, Viewer]:
    accounts = Accounts(db)
    accounts.create_user("Acme", "ada@acme.test", None, role="admin")
    accounts.create_user("Acme", "max@acme.test", None, role="manager", team="East")
    accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    accounts.create_user("Globex", "gil@globex.test", None, role="admin")
    return {k: _viewer(db, f"{k}@{'globex' if k == 'gil' else 'acme'}.test") for k in ("ada", "max", "lee", "gil")}


def _create(db: Database, actor: Viewer, **kw: object) -> api_tokens.NewToken:
    with db.session() as s:
        return api_tokens.create_token(s, actor, now=NOW, **kw)  # type: ignore[arg-type]


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(db: Database, org: dict[str, Viewer]) -> None:
    new = _create(db, org["ada"], name="LMS sync", role="manager", user_id=org["max"].id)
    assert new.secret.startswith("spt_") and len(new.secret) > 40
    with db.read() as s:
        row = s.scalars(select(ApiTokenRow)).one()
        assert row.token_hash == token_hash(new.secret) and new.secret not in (row.token_hash, row.prefix)
        assert new.secret.startswith(row.prefix) and row.org_id == org["ada"].org_id
        assert row.created_by == org["ada"].id
    found = api_tokens.check_token(db, new.secret, now=NOW)
    assert found is not None
    assert (found.viewer.id, found.viewer.role, found.viewer.org_id) == (org["max"].id, "manager", org["max"].org_id)
    assert api_tokens.check_token(db, new.secret + "x", now=NOW) is None
    assert api_tokens.check_token(db, "not-a-token", now=NOW) is None


def test_only_admins_create_and_never_above_the_account(db: Database, org: dict[str, Viewer]) -> None:
    with pytest.raises(InvalidInput, match="only an admin"):
        _create(db, org["max"], name="x", role="learner")
    with pytest.raises(InvalidInput, match=r"^role: manager is above the role of lee@acme\.test"):
        _create(db, org["ada"], name="x", role="manager", user_id=org["lee"].id)
    with pytest.raises(InvalidInput, match=r"^role: one of"):
        _create(db, org["ada"], name="x", role="owner")
    with pytest.raises(InvalidInput, match=r"^name: give the token a name"):
        _create(db, org["ada"], name="  ", role="learner")
    with pytest.raises(InvalidInput, match=r"^user: no such account in your organisation"):
        _create(db, org["ada"], name="x", role="learner", user_id=org["gil"].id)
    with pytest.raises(InvalidInput, match=r"^expires: the date has passed"):
        _create(db, org["ada"], name="x", role="learner", expires_on=date(2026, 12, 6))


def test_role_is_capped_at_use_when_the_account_is_demoted(db: Database, org: dict[str, Viewer]) -> None:
    new = _create(db, org["ada"], name="reports", role="manager", user_id=org["max"].id)
    with db.session() as s:
        people.set_role(s, org["ada"].org_id, org["max"].id, "learner", org["ada"].id)
    found = api_tokens.check_token(db, new.secret, now=NOW)
    assert found is not None and found.viewer.role == "learner"


def test_revoked_expired_and_deactivated_tokens_fail(db: Database, org: dict[str, Viewer]) -> None:
    revoked = _create(db, org["ada"], name="a", role="admin")
    expiring = _create(db, org["ada"], name="b", role="learner", expires_on=date(2026, 12, 8))
    lees = _create(db, org["ada"], name="c", role="learner", user_id=org["lee"].id)
    with db.session() as s:
        info = api_tokens.revoke_token(s, org["ada"], revoked.info.id, now=NOW)
    assert info.status(NOW) == "revoked"
    assert api_tokens.check_token(db, revoked.secret, now=NOW) is None
    # valid through the expiry day (UTC), not after
    assert api_tokens.check_token(db, expiring.secret, now=datetime(2026, 12, 8, 23, 59, tzinfo=UTC)) is not None
    assert api_tokens.check_token(db, expiring.secret, now=datetime(2026, 12, 9, 0, 0, tzinfo=UTC)) is None
    assert api_tokens.check_token(db, lees.secret, now=NOW) is not None
    with db.session() as s:
        people.set_active(s, org["ada"].org_id, org["lee"].id, False, org["ada"].id)
    assert api_tokens.check_token(db, lees.secret, now=NOW) is None


def test_revoking_is_per_organisation(db: Database, org: dict[str, Viewer]) -> None:
    new = _create(db, org["ada"], name="a", role="learner")
    with db.session() as s, pytest.raises(NotFound):
        api_tokens.revoke_token(s, org["gil"], new.info.id)
    with db.session() as s, pytest.raises(InvalidInput):
        api_tokens.revoke_token(s, org["max"], new.info.id)
    with db.read() as s:
        assert [t.name for t in api_tokens.list_tokens(s, org["ada"].org_id)] == ["a"]
        assert api_tokens.list_tokens(s, org["gil"].org_id) == []
    assert api_tokens.check_token(db, new.secret, now=NOW) is not None


def test_last_use_is_written_at_most_once_a_minute(db: Database, org: dict[str, Viewer]) -> None:
    new = _create(db, org["ada"], name="a", role="learner")

    def last_used() -> datetime | None:
        with db.read() as s:
            value = s.scalars(select(ApiTokenRow.last_used_at)).one()
        return None if value is None else value.replace(tzinfo=UTC) if value.tzinfo is None else value

    assert last_used() is None
    api_tokens.check_token(db, new.secret, now=NOW)
    assert last_used() == NOW
    api_tokens.check_token(db, new.secret, now=NOW + timedelta(seconds=30))
    assert last_used() == NOW
    api_tokens.check_token(db, new.secret, now=NOW + timedelta(seconds=61))
    assert last_used() == NOW + timedelta(seconds=61)


def test_expiry_field_parsing() -> None:
    today = date(2026, 12, 7)
    assert api_tokens.parse_expiry("", today) is None
    assert api_tokens.parse_expiry("2026-12-07", today) == today
    for bad, message in (("tomorrow", "YYYY-MM-DD"), ("2026-12-06", "has passed"), ("2031-01-01", "at most")):
        with pytest.raises(InvalidInput, match=message):
            api_tokens.parse_expiry(bad, today)
