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


# --- account inputs (services.account_inputs) and the one password check --------------------------------------


@pytest.mark.parametrize(("email", "problem"), [
    ("<script>alert(1)</script>@x", "not an e-mail address"),
    ("a@b", "not an e-mail address"),
    ("a..b@acme.test", "not an e-mail address"),
    ("ann@corp.local", "not an e-mail address"),
    ("ann\x00@acme.test", "NUL"),
    ("ann\ud800@acme.test", "surrogate"),
    ("a" * 400 + "@acme.test", "too long"),
    ("   ", "is empty"),
])
def test_bad_e_mail_addresses_are_refused_with_the_field_named(db: Database, email: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Accounts(db).create_user("Acme", email, "s3cret-pass-long")
    message = str(caught.value)
    assert message.startswith("email:") and problem in message and len(message) < 300


def test_e_mails_are_normalised_and_names_cleaned(db: Database) -> None:
    acc = Accounts(db)
    u = acc.create_user("  Acme\u202e  Corp ", " Ünal@Bücher.TEST ", "s3cret-pass-long", name=" Ünal \n Yıldız ",
                        team="East\tCoast")
    assert u.email == "ünal@bücher.test" and u.name == "Ünal Yıldız"
    with db.read() as s:
        assert s.scalar(select(Organisation.name)) == "Acme Corp"
        assert s.scalar(select(Team.name)) == "East Coast"
    for kwargs, field in (({"name": "N" * 201}, "name"), ({"name": "a\x00b"}, "name"), ({"team": "t" * 300}, "team")):
        with pytest.raises(InvalidInput, match=f"^{field}:") as caught:
            acc.create_user("Acme", f"{field}@acme.test", "s3cret-pass-long", **kwargs)  # type: ignore[arg-type]
        assert "N" * 50 not in str(caught.value) and "t" * 50 not in str(caught.value)
    with pytest.raises(InvalidInput, match=r"^organisation:"):
        acc.create_user("O" * 201, "org@acme.test", "s3cret-pass-long")


@pytest.mark.parametrize(("password", "problem"), [
    ("12345678", "too short"),
    ("short pw 11", "too short"),
    ("password1234", "common passwords"),
    ("qwertyuiop123", "common passwords"),
    ("aaaaaaaaaaaaaaaa", "too easy to guess"),
    ("abcdefghijklmnop", "too easy to guess"),
    ("x" * 257, "too long"),
    ("paper\x00lantern harbour", "NUL"),
])
def test_new_passwords_follow_the_policy_everywhere_they_are_set(db: Database, password: str, problem: str) -> None:
    acc = Accounts(db)
    u = acc.create_user("Acme", "ann@acme.test", "s3cret-pass-long", name="Ann")
    with pytest.raises(InvalidInput, match=problem) as caught:
        acc.create_user("Acme", "new@acme.test", password)
    assert password not in str(caught.value)
    with pytest.raises(InvalidInput, match=problem):
        acc.set_password(u.id, password)
    assert acc.authenticate("ann@acme.test", "s3cret-pass-long") is not None  # nothing changed


def test_the_users_own_details_make_a_weak_password(db: Database) -> None:
    with pytest.raises(InvalidInput, match="too easy to guess"):
        Accounts(db).create_user("Globex", "rosalind.okafor@globex.test", "rosalindglobex", name="Rosalind")
    Accounts(db).create_user("Globex", "someone@globex.test", "rosalindglobex ferry")  # fine for someone else


def test_an_old_password_that_breaks_todays_policy_still_logs_in(db: Database) -> None:
    import sparring.services.accounts as accounts

    acc = Accounts(db)
    u = acc.create_user("Acme", "old@acme.test", None)
    with db.session() as s:  # stored under the old 8-character rule
        s.get(User, u.id).password_hash = accounts.hash_password("12345678")  # type: ignore[union-attr]
    assert acc.authenticate("old@acme.test", "12345678") == u


def test_login_refuses_over_long_and_malformed_passwords_without_hashing(db: Database,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sparring.services.accounts as accounts

    acc = Accounts(db)
    acc.create_user("Acme", "ann@acme.test", "s3cret-pass-long")
    light = accounts._hasher()
    calls: list[int] = []

    class Counting:
        def verify_and_update(self, password: str, digest: str) -> object:
            calls.append(len(password))
            return light.verify_and_update(password, digest)

        def hash(self, password: str) -> str:
            return light.hash(password)

    counting = Counting()
    monkeypatch.setattr(accounts, "_hasher", lambda: counting)
    for password in ("y" * 1_000_000, "a\x00b", "lone \udc00"):
        assert acc.authenticate("ann@acme.test", password) is None
    assert calls == []
    assert acc.authenticate("nobody@acme.test", "s3cret-pass-long") is None and calls == [16]


def test_the_people_admin_path_uses_the_same_rules(db: Database) -> None:
    from sparring.services import people

    acc = Accounts(db)
    acc.create_user("Acme", "ann@acme.test", "s3cret-pass-long", role="admin")
    org_id = acc.org_id("Acme")
    with db.session() as s:
        for kwargs, field in (({"name": "Bad\x00Name"}, "name"), ({"email": "x\x00@acme.test"}, "email"),
                              ({"email": "<b>@x"}, "email"), ({"password": "acmeacmeacme"}, "password"),
                              ({"name": "n" * 5000}, "name")):
            args = {"email": "new@acme.test", "name": "New", "role": "learner", "password": "s3cret-pass-long",
                    **kwargs}
            with pytest.raises(people.PeopleError) as caught:
                people.create_user(s, org_id, **args)  # type: ignore[arg-type]
            assert str(caught.value).startswith(field + ":") and "n" * 50 not in str(caught.value)
        with pytest.raises(people.PeopleError, match=r"^team:"):
            people.ensure_team(s, org_id, "t\x00")
        user = people.create_user(s, org_id, "new@acme.test", " New \u202ePerson ", "learner", "s3cret-pass-long")
        assert user.name == "New Person"
        with pytest.raises(people.PeopleError, match=r"^password: too short"):
            people.reset_password(s, org_id, user.id, "short")
    local = acc.local_learner()
    assert acc.find_user("learner@localhost") == local
