"""SSO sign-in's group rules on SQLite and PostgreSQL (sparring.services.sso_login): a rule never demotes or
leaves without an admin the organisation's last active admin — the sign-in succeeds, the role stays and the audit
says the change was withheld and why — while with a second active admin the same rule applies; the shared rule
(accounts.leaves_no_admin) that SCIM and erasure keep too."""

from __future__ import annotations

from sqlalchemy import select

from sparring.services.accounts import LAST_ADMIN, Accounts, leaves_no_admin
from sparring.services.sso_login import Answer, sign_in
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database
from sparring.store.models import User
from sparring.store.sso_models import SsoProviderRow


def _provider(db: Database, org_id: int) -> int:
    with db.session() as s:
        row = SsoProviderRow(org_id=org_id, kind="oidc", display_name="Acme Okta", enabled=True, jit=True,
                             oidc_issuer="https://idp.acme.test", oidc_client_id="sparring",
                             role_rules=[{"group": "sparring-admins", "role": "admin"}], team_rules=[],
                             default_role="learner")
        s.add(row)
        s.flush()
        return row.id


def _sign_in(db: Database, provider_id: int, email: str, groups: list[str]) -> str:
    with db.session() as s:
        provider = s.get(SsoProviderRow, provider_id)
        assert provider is not None
        user = sign_in(s, provider, Answer(subject=email, attributes={"email": email, "groups": groups},
                                           email_verified=True))
        return user.role


def _withheld(db: Database) -> list[AuditRow]:
    with db.read() as s:
        return list(s.scalars(select(AuditRow).where(AuditRow.action == "sso.role_withheld")))


def test_the_last_admin_is_not_demoted_by_a_rule(db: Database) -> None:
    accounts = Accounts(db)
    ada = accounts.create_user("Acme", "ada@acme.test", None, role="admin")
    provider_id = _provider(db, ada.org_id)
    # Ada is no longer in the admins' group: the default role (learner) would leave Acme without an admin
    assert _sign_in(db, provider_id, "ada@acme.test", []) == "admin"
    [row] = _withheld(db)
    assert row.target_id == str(ada.id) and row.org_id == ada.org_id
    assert row.detail == {"provider": "Acme Okta", "from": "admin", "to": "learner", "reason": LAST_ADMIN}
    with db.read() as s:
        signed_in = s.scalars(select(AuditRow).where(AuditRow.action == "sso.signed_in")).one()
    assert "role" not in (signed_in.detail or {})  # nothing changed

    # another active admin: the same rule now applies, and nothing is withheld
    accounts.create_user("Acme", "bo@acme.test", None, role="admin")
    assert _sign_in(db, provider_id, "ada@acme.test", []) == "learner"
    assert len(_withheld(db)) == 1


def test_an_inactive_second_admin_does_not_count(db: Database) -> None:
    accounts = Accounts(db)
    ada = accounts.create_user("Acme", "ada@acme.test", None, role="admin")
    bo = accounts.create_user("Acme", "bo@acme.test", None, role="admin")
    accounts.set_active(bo.id, False)
    accounts.create_user("Globex", "gus@globex.test", None, role="admin")  # another organisation's admin neither
    provider_id = _provider(db, ada.org_id)
    assert _sign_in(db, provider_id, "ada@acme.test", ["other"]) == "admin"
    assert len(_withheld(db)) == 1
    with db.read() as s:
        user = s.get(User, ada.id)
        assert user is not None
        assert not leaves_no_admin(s, user, "admin", True)  # staying an active admin is always fine
        assert leaves_no_admin(s, user, "manager", True)
        assert leaves_no_admin(s, user, None, False)  # erased or removed
        learner = User(org_id=ada.org_id, role="learner", is_active=True)
        assert not leaves_no_admin(s, learner, None, False)  # only an admin can be the last admin
