"""Signing a person in from an identity provider's verified answer (docs/sso.md, "Accounts and mapping"): the same
path for OIDC and SAML.

1. The identity (provider, subject) already linked → that user.
2. Otherwise an account with the answer's e-mail **in the provider's organisation** — only when the provider vouches
   for the e-mail (OIDC ``email_verified``, or the provider is marked as trusted for e-mails; SAML assertions are
   signed by the organisation's own IdP) — is linked. An e-mail that belongs to another organisation is refused,
   never linked or moved.
3. Otherwise, with just-in-time accounts on, a new account is created (its e-mail must be in one of the provider's
   e-mail domains when it lists any), with an unusable random password.

Then, on every sign-in, the group rules are applied: the role of the first matching role rule in order admin,
manager, learner (the highest wins; none matching: the provider's default role), and membership of every team a
matching team rule names (teams named by some rule but not matched are left; teams no rule names are untouched).
A role rule never demotes the organisation's last active admin (``accounts.leaves_no_admin``, the rule SCIM and
erasure keep too): the sign-in goes on with the role unchanged and the audit gets ``sso.role_withheld`` saying why.
Deactivated accounts are refused. The caller starts the session; the audit gets ``sso.signed_in``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.account_inputs import clean_name, normalise_email
from sparring.services.accounts import LAST_ADMIN, ensure_team, hash_password, leaves_no_admin
from sparring.services.errors import InvalidInput, ServiceError
from sparring.services.login_sessions import end_user_sessions
from sparring.services.sso_config import domains_of
from sparring.store.models import Organisation, Team, TeamMember, User
from sparring.store.sso_models import SsoIdentityRow, SsoProviderRow

ROLE_RANK = {"learner": 0, "manager": 1, "admin": 2}


class SsoRefused(ServiceError):
    """The provider's answer is genuine but this person may not sign in here; the message says why."""


@dataclass(frozen=True)
class Answer:
    """What a provider said about the person, already verified by the protocol layer."""

    subject: str
    attributes: dict[str, Any]
    #: the provider vouches for the e-mail (OIDC email_verified; SAML: the org's own IdP signed it)
    email_verified: bool


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _groups(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def mapped_role(provider: SsoProviderRow, groups: Iterable[str]) -> str | None:
    """The role the rules give for these groups (the highest matched), or None when no rule matches."""
    have = set(groups)
    roles = [r["role"] for r in provider.role_rules or [] if r.get("group") in have]
    return max(roles, key=lambda r: ROLE_RANK.get(r, 0)) if roles else None


def _apply_teams(s: Session, provider: SsoProviderRow, user: User, groups: set[str]) -> None:
    rules = provider.team_rules or []
    if not rules:
        return
    org = s.get(Organisation, user.org_id)
    assert org is not None
    wanted = {r["team"] for r in rules if r.get("group") in groups}
    governed = {r["team"] for r in rules}
    for name in wanted:
        team = ensure_team(s, org, name)
        if s.get(TeamMember, (team.id, user.id)) is None:
            s.add(TeamMember(team_id=team.id, user_id=user.id))
    leave = governed - wanted
    if leave:
        ids = list(s.scalars(select(Team.id).where(Team.org_id == user.org_id, Team.name.in_(leave))))
        if ids:
            s.execute(delete(TeamMember).where(TeamMember.user_id == user.id, TeamMember.team_id.in_(ids)))
    s.flush()


def _find_or_create(s: Session, provider: SsoProviderRow, answer: Answer, email: str,
                    name: str) -> tuple[User, str]:
    """The user and how they were found: ``linked`` (known identity), ``matched`` (by e-mail, now linked) or
    ``created``."""
    link = s.scalar(select(SsoIdentityRow).where(SsoIdentityRow.provider_id == provider.id,
                                                 SsoIdentityRow.subject == answer.subject))
    if link is not None:
        user = s.get(User, link.user_id)
        assert user is not None
        link.last_login_at = datetime.now(UTC)
        return user, "linked"
    if not email:
        raise SsoRefused(f"the identity provider sent no e-mail (claim {provider.claim_email!r}); "
                         "ask your administrator to check the claim mapping")
    existing = s.scalar(select(User).where(User.email == email))
    if existing is not None and existing.org_id != provider.org_id:
        raise SsoRefused("this e-mail belongs to an account of another organisation; it cannot sign in here")
    if existing is not None:
        if not answer.email_verified:
            raise SsoRefused("the identity provider did not say this e-mail is verified, so it cannot be linked "
                             "to the existing account; ask your administrator")
        user, how = existing, "matched"
    else:
        if not provider.jit:
            raise SsoRefused("there is no Sparring account for this e-mail; ask your administrator to create one")
        domains = domains_of(provider)
        if domains and email.rpartition("@")[2] not in domains:
            raise SsoRefused("this e-mail's domain is not one of the identity provider's domains")
        user = User(org_id=provider.org_id, email=email, name=name, role=provider.default_role,
                    password_hash=hash_password(secrets.token_urlsafe(32)), is_active=True)
        s.add(user)
        s.flush()
        how = "created"
    s.add(SsoIdentityRow(provider_id=provider.id, user_id=user.id, subject=answer.subject,
                         last_login_at=datetime.now(UTC)))
    s.flush()
    return user, how


def sign_in(s: Session, provider: SsoProviderRow, answer: Answer, via: str = "web") -> User:
    """The user this verified answer signs in (found, linked or created), with the group rules applied; raises
    SsoRefused with the reason otherwise. Runs in the caller's transaction."""
    if not provider.enabled:
        raise SsoRefused("this identity provider is turned off")
    if not answer.subject or len(answer.subject) > 255:
        raise SsoRefused("the identity provider sent no usable subject")
    attrs = answer.attributes
    raw_email = _first(attrs.get(provider.claim_email))
    try:
        email = normalise_email(raw_email, provider.claim_email) if raw_email else ""
    except InvalidInput as exc:
        raise SsoRefused(f"the identity provider's e-mail cannot be used ({exc})") from exc
    try:
        name = clean_name(_first(attrs.get(provider.claim_name))[:200], provider.claim_name)
    except InvalidInput:
        name = ""
    user, how = _find_or_create(s, provider, answer, email, name)
    if not user.is_active:
        raise SsoRefused("this account is deactivated; ask your administrator")
    if user.password_hash is None:
        # an account made without a password (e.g. provisioned): sessions need a hash (login_sessions), so it gets
        # an unusable random one; it still cannot log in with a password
        user.password_hash = hash_password(secrets.token_urlsafe(32))
    groups = set(_groups(attrs.get(provider.claim_groups)))
    role = mapped_role(provider, groups) if provider.role_rules else None
    if provider.role_rules and role is None:
        role = provider.default_role
    old_role = user.role
    if role is not None and role != user.role and leaves_no_admin(s, user, role, True):
        # the rules would leave the organisation without an active admin: the sign-in goes on, the change does not
        audit.record(s, Viewer.of(user), "sso.role_withheld", "user", user.id,
                     {"provider": provider.display_name, "from": user.role, "to": role, "reason": LAST_ADMIN}, via)
        role = None
    if role is not None and role != user.role:
        user.role = role
        s.flush()
        end_user_sessions(s, user.id)  # as a role change by an admin does: the old sessions carried the old role
    if name and not user.name:
        user.name = name
    _apply_teams(s, provider, user, groups)
    detail: dict[str, Any] = {"provider": provider.display_name, "kind": provider.kind, "account": how}
    if old_role != user.role and how != "created":
        detail["role"] = f"{old_role}->{user.role}"
    audit.record(s, Viewer.of(user), "sso.signed_in", "user", user.id, detail, via)
    return user
