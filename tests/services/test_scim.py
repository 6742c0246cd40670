"""SCIM provisioning on SQLite and PostgreSQL (sparring.services.scim, sparring.services.scim_tokens): one
organisation's accounts and teams only, e-mail unique across the installation (409 without saying whose), Okta's
and Entra ID's PATCH forms, deprovisioning that keeps reps, the last admin kept, every change audited with the
token's name, and a failing request that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sparring.integrations import scim as protocol
from sparring.integrations.scim import ScimError
from sparring.services import scim, scim_tokens
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import NotFound
from sparring.services.scim_tokens import ScimCaller
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database
from sparring.store.models import Rep, TeamMember, User

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BASE = "https://sparring.example.com/scim/v2"


def _viewer(db: Database, email: str) -> Viewer:
    with db.read() as s:
        return Viewer.of(s.scalars(select(User).where(User.email == email)).one())


@pytest.fixture
def orgs(db: Database) -> dict[str, Any]:
    accounts = Accounts(db)
    accounts.create_user("Acme", "ada@acme.example.com", None, role="admin", team="East")
    accounts.create_user("Globex", "gil@globex.example.com", None, role="admin", team="North")
    ada, gil = _viewer(db, "ada@acme.example.com"), _viewer(db, "gil@globex.example.com")
    with db.session() as s:
        _, acme = scim_tokens.create_token(s, ada, "Okta")
        _, globex = scim_tokens.create_token(s, gil, "Entra ID")
    acme_caller = scim_tokens.check_token(db, acme)
    globex_caller = scim_tokens.check_token(db, globex)
    assert acme_caller is not None and globex_caller is not None
    return {"acme": acme_caller, "globex": globex_caller, "ada": ada, "gil": gil, "secret": acme}


def _user(email: str, **extra: Any) -> protocol.UserInput:
    return protocol.user_from_body({"schemas": [protocol.USER_SCHEMA], "userName": email,
                                    "name": {"givenName": "Bo", "familyName": "Lind"}, **extra})


def _create(db: Database, caller: ScimCaller, email: str, **extra: Any) -> protocol.UserState:
    with db.session() as s:
        return scim.create_user(s, caller, _user(email, **extra))


def _tokens_are_hashed_scoped_and_revocable(db: Database, orgs: dict[str, Any]) -> None:
    secret = orgs["secret"]
    assert secret.startswith("spscim_")
    with db.read() as s:
        listed = scim_tokens.list_tokens(s, orgs["ada"].org_id)
    assert [t.name for t in listed] == ["Okta"] and secret not in listed[0].prefix + listed[0].name
    assert scim_tokens.check_token(db, "spt_" + secret[7:]) is None  # an API-token look-alike is not a SCIM token
    with db.session() as s, pytest.raises(NotFound):
        scim_tokens.revoke_token(s, orgs["gil"], listed[0].id)  # another organisation's admin
    with db.session() as s:
        scim_tokens.revoke_token(s, orgs["ada"], listed[0].id)
    assert scim_tokens.check_token(db, secret) is None
    with db.read() as s:
        actions = list(s.scalars(select(AuditRow.action).where(AuditRow.org_id == orgs["ada"].org_id)))
    assert "scim_token.created" in actions and "scim_token.revoked" in actions


def _users_are_the_callers_organisations_only(db: Database, orgs: dict[str, Any]) -> None:
    bo = _create(db, orgs["acme"], "Bo@Acme.example.com", externalId="okta-1")
    assert bo.email == "bo@acme.example.com" and bo.name == "Bo Lind" and bo.role == "learner" and bo.active
    with db.read() as s:
        mine, total = scim.list_users(s, orgs["acme"], None)
        assert total == 2 and {u.email for u in mine} == {"ada@acme.example.com", "bo@acme.example.com"}
        theirs, _ = scim.list_users(s, orgs["globex"], None)
        assert {u.email for u in theirs} == {"gil@globex.example.com"}
        with pytest.raises(ScimError) as err:
            scim.get_user(s, orgs["globex"], str(bo.id))
        assert err.value.status == 404
        flt = protocol.parse_filter('userName eq "BO@acme.example.com"', "User")
        assert [u.id for u in scim.list_users(s, orgs["acme"], flt)[0]] == [bo.id]
        assert scim.list_users(s, orgs["globex"], flt)[1] == 0
        by_ext = protocol.parse_filter('externalId eq "okta-1"', "User")
        assert [u.id for u in scim.list_users(s, orgs["acme"], by_ext)[0]] == [bo.id]
        complex_filter = protocol.parse_filter('active eq true and emails[value co "bo@"]', "User")
        assert [u.id for u in scim.list_users(s, orgs["acme"], complex_filter)[0]] == [bo.id]
        page, total = scim.list_users(s, orgs["acme"], None, start_index=2, count=1)
        assert total == 2 and [u.id for u in page] == [bo.id]


def _an_address_taken_anywhere_is_a_409_and_changes_nothing(db: Database, orgs: dict[str, Any]) -> None:
    with db.session() as s, pytest.raises(ScimError) as err:
        scim.create_user(s, orgs["acme"], _user("gil@globex.example.com"))
    assert (err.value.status, err.value.scim_type) == (409, "uniqueness") and "Globex" not in err.value.detail
    bo = _create(db, orgs["acme"], "bea@acme.example.com")
    with db.session() as s, pytest.raises(ScimError) as err:
        scim.replace_user(s, orgs["acme"], str(bo.id), _user("ada@acme.example.com"))
    assert err.value.status == 409
    with db.read() as s:
        assert s.get(User, bo.id).email == "bea@acme.example.com"  # type: ignore[union-attr]


def _okta_and_entra_patches(db: Database, orgs: dict[str, Any]) -> None:
    bo = _create(db, orgs["acme"], "bo@acme.example.com")
    entra = {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "replace", "path": "name.givenName", "value": "Bodil"},
        {"op": "Add", "path": "roles", "value": [{"value": "manager", "primary": True}]}]}
    with db.session() as s:
        after = scim.patch_user(s, orgs["acme"], str(bo.id), entra)
    assert (after.active, after.name, after.role) == (False, "Bodil Lind", "manager")
    okta = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]}
    with db.session() as s:
        after = scim.patch_user(s, orgs["acme"], str(bo.id), okta)
    assert after.active and after.role == "manager"
    bad = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False},
                                              {"op": "replace", "path": "roles", "value": [{"value": "owner"}]}]}
    with db.session() as s, pytest.raises(ScimError) as err:
        scim.patch_user(s, orgs["acme"], str(bo.id), bad)
    assert err.value.status == 400 and "owner" in err.value.detail
    with db.read() as s:
        assert s.get(User, bo.id).is_active  # type: ignore[union-attr]  # all operations or none


def _delete_deactivates_hides_and_keeps_the_reps(db: Database, orgs: dict[str, Any], practice: Any) -> None:
    bo = _create(db, orgs["acme"], "dee@acme.example.com", externalId="okta-9")
    user = Accounts(db).get_user(bo.id)
    rep = practice.start_rep(user, "test-guarded-buyer", "easy")
    with db.session() as s:
        scim.remove_user(s, orgs["acme"], str(bo.id))
    with db.read() as s:
        row = s.get(User, bo.id)
        assert row is not None and not row.is_active
        assert s.get(Rep, rep.id) is not None
        with pytest.raises(ScimError):
            scim.get_user(s, orgs["acme"], str(bo.id))
        assert scim.list_users(s, orgs["acme"], protocol.parse_filter('userName eq "dee@acme.example.com"',
                                                                        "User"))[1] == 0
    again = _create(db, orgs["acme"], "dee@acme.example.com", externalId="okta-10")  # the provider re-creates them
    assert again.id == bo.id and again.active and again.external_id == "okta-10"
    with db.read() as s:
        detail = [(a, d) for a, d in s.execute(select(AuditRow.action, AuditRow.actor_label)
                                              .where(AuditRow.target_id == str(bo.id)))]
    assert ("user.removed", "SCIM token Okta (" + orgs["secret"][:12] + "…)") in detail


def _the_last_admin_stays(db: Database, orgs: dict[str, Any]) -> None:
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    with db.session() as s, pytest.raises(ScimError) as err:
        scim.patch_user(s, orgs["acme"], str(orgs["ada"].id), off)
    assert "last active admin" in err.value.detail
    with db.session() as s, pytest.raises(ScimError):
        scim.remove_user(s, orgs["acme"], str(orgs["ada"].id))


def test_tokens_users_and_uniqueness(db: Database, orgs: dict[str, Any]) -> None:
    """Tokens are hashed, scoped and revocable; users are the caller's organisation's only; an address taken
    anywhere is a 409 that changes nothing (one test: each database costs a second or two to set up)."""
    _users_are_the_callers_organisations_only(db, orgs)
    _an_address_taken_anywhere_is_a_409_and_changes_nothing(db, orgs)
    _tokens_are_hashed_scoped_and_revocable(db, orgs)


def test_patches_deprovisioning_and_the_last_admin(db: Database, orgs: dict[str, Any], practice: Any) -> None:
    """Okta's and Entra ID's PATCH forms (all operations or none); DELETE deactivates, hides and keeps the reps,
    and a POST brings the account back; the organisation's last admin is never deactivated."""
    _okta_and_entra_patches(db, orgs)
    _delete_deactivates_hides_and_keeps_the_reps(db, orgs, practice)
    _the_last_admin_stays(db, orgs)


def test_groups_are_teams_and_members_follow(db: Database, orgs: dict[str, Any]) -> None:
    bo = _create(db, orgs["acme"], "bo@acme.example.com")
    cy = _create(db, orgs["acme"], "cy@acme.example.com")
    body = protocol.group_from_body({"displayName": "West", "externalId": "g-1", "members": [{"value": str(bo.id)}]})
    with db.session() as s:
        west = scim.create_group(s, orgs["acme"], body, BASE)
    assert west.name == "West" and [m for m, _ in west.members] == [bo.id]
    add = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": str(cy.id)}]},
                                              {"op": "remove", "path": f'members[value eq "{bo.id}"]'}]}
    with db.session() as s:
        west = scim.patch_group(s, orgs["acme"], str(west.id), add, BASE)
    assert [m for m, _ in west.members] == [cy.id]
    with db.session() as s, pytest.raises(ScimError) as err:  # another organisation's user is not a member
        scim.patch_group(s, orgs["acme"], str(west.id), {"schemas": [PATCH], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": str(orgs["gil"].id)}]}]}, BASE)
    assert err.value.status == 400
    with db.read() as s:
        assert scim.list_groups(s, orgs["globex"], None, BASE)[1] == 1  # only North
        with pytest.raises(ScimError):
            scim.get_group(s, orgs["globex"], str(west.id))
    with db.session() as s:
        scim.remove_group(s, orgs["acme"], str(west.id))
    with db.read() as s:
        assert s.scalars(select(TeamMember).where(TeamMember.team_id == west.id)).all() == []
        assert [g.name for g in scim.list_groups(s, orgs["acme"], None, BASE)[0]] == ["East"]
        assert s.get(User, cy.id).is_active  # type: ignore[union-attr]  # removing a group removes nobody
