"""Hashed bearer tokens (sparring.services.hashed_tokens), on SQLite and PostgreSQL: the format and the stored hash
are what API and SCIM tokens were made with before the shared module, so a token already in a database keeps
working (fixed token/hash pairs computed by the earlier code), and a new token has the same shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from sparring.services import api_tokens, scim_tokens
from sparring.services.accounts import Accounts
from sparring.services.hashed_tokens import MAX_CHARS, TokenKind, token_hash
from sparring.store.api_token_models import ApiTokenRow
from sparring.store.db import Database
from sparring.store.models import User
from sparring.store.scim_models import ScimTokenRow

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
# made by the code before hashed_tokens existed (services.login_sessions.token_hash of these secrets)
OLD_API = ("spt_Jk3v9QeX2mB7wLr0TzYc5uNa8HdPf4sGiKo1VxRb6Eq",
           "6e77b30bdaaefc7d67fb6507e3666b2ace235e19b293423241f81d1e499a21f4")
OLD_SCIM = ("spscim_Jk3v9QeX2mB7wLr0TzYc5uNa8HdPf4sGiKo1VxRb6Eq",
            "bd50341bd2e7d3a06753178df06373d40607269d51df6b77b2e7035373af1c98")


def test_hash_and_new_tokens_keep_the_old_format() -> None:
    assert token_hash(OLD_API[0]) == OLD_API[1] and token_hash(OLD_SCIM[0]) == OLD_SCIM[1]
    for module, kind, shown in ((api_tokens, api_tokens.KIND, 10), (scim_tokens, scim_tokens.KIND, 12)):
        issued = kind.issue()
        assert re.fullmatch(re.escape(module.TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}", issued.secret)
        assert issued.token_hash == token_hash(issued.secret) and len(issued.token_hash) == 64
        assert issued.prefix == issued.secret[:shown] and issued.prefix.startswith(module.TOKEN_PREFIX)
        assert kind.lookup_hash(issued.secret) == issued.token_hash


def test_lookup_refuses_what_cannot_be_a_token_of_the_kind() -> None:
    kind = TokenKind(prefix="spx_", shown_chars=8, noun="test token", audit_type="test_token")
    assert kind.lookup_hash("spt_abc") is None and kind.lookup_hash("") is None
    assert kind.lookup_hash("spx_" + "a" * (MAX_CHARS - 4)) == token_hash("spx_" + "a" * (MAX_CHARS - 4))
    assert kind.lookup_hash("spx_" + "a" * (MAX_CHARS - 3)) is None


def test_tokens_stored_by_the_earlier_code_still_verify(db: Database) -> None:
    Accounts(db).create_user("Acme", "ada@acme.test", None, role="admin")
    with db.session() as s:
        ada = s.scalars(select(User).where(User.email == "ada@acme.test")).one()
        s.add(ApiTokenRow(org_id=ada.org_id, user_id=ada.id, created_by=ada.id, name="old", role="admin",
                          token_hash=OLD_API[1], prefix=OLD_API[0][:10], created_at=NOW))
        s.add(ScimTokenRow(org_id=ada.org_id, created_by=ada.id, name="old", token_hash=OLD_SCIM[1],
                           prefix=OLD_SCIM[0][:12], created_at=NOW))
    found = api_tokens.check_token(db, OLD_API[0], now=NOW)
    assert found is not None and found.viewer.email == "ada@acme.test" and found.viewer.role == "admin"
    caller = scim_tokens.check_token(db, OLD_SCIM[0], now=NOW)
    assert caller is not None and caller.label == f"SCIM token old ({OLD_SCIM[0][:12]}…)"
    assert api_tokens.check_token(db, OLD_SCIM[0], now=NOW) is None
    assert scim_tokens.check_token(db, OLD_API[0], now=NOW) is None
    with db.read() as s:
        assert s.scalars(select(ApiTokenRow.last_used_at)).one() is not None
        assert s.scalars(select(ScimTokenRow.last_used_at)).one() is not None
