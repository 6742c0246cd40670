"""Organisations, teams and users: create them, authenticate (argon2 via pwdlib), set passwords.

E-mail addresses are unique across the installation and compared lower-cased, so a login needs only the
e-mail and the password (docs/decisions.md, "Storage"). ``Accounts.authenticate`` is the one password check of
the product (the login guard, ``services.login_guard``, calls it for both web login paths): an unknown e-mail
costs the same argon2 verification as a known one. New passwords must pass ``services.passwords``; e-mails and
names are checked by ``services.account_inputs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.account_inputs import clean_name, normalise_email
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.login_sessions import end_user_sessions
from sparring.services.passwords import check_new_password, login_password_problem
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import ROLES, Organisation, Team, TeamMember, User

#: the account CLI reps belong to when no --user is given; it has no password and cannot log in
LOCAL_ORG = "local"
LOCAL_LEARNER_EMAIL = "learner@localhost"
__all__ = ["LAST_ADMIN", "Accounts", "CredentialCheck", "KnownAccount", "check_password", "ensure_org", "ensure_team",
           "hash_password", "leaves_no_admin", "normalise_email", "slugify", "verify_password"]

#: why a change that would leave an organisation without an active admin is refused (or, at SSO sign-in, withheld)
LAST_ADMIN = "this is the organisation's last active admin; make another admin first"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, a stronger hash to store or None). Without a stored hash (unknown e-mail, an account that
    cannot log in) it verifies against a dummy hash made by the same hasher, so every call costs one argon2
    verification whatever the account."""
    hasher = _hasher()
    if password_hash is None:
        hasher.verify_and_update(password, _dummy_hash(hasher))
        return False, None
    return hasher.verify_and_update(password, password_hash)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not slug:
        raise InvalidInput("organisation: the name has no letters or digits")
    return slug[:80]


def check_password(password: str, context: tuple[str, ...] = ()) -> None:
    """The password policy for a new password (``services.passwords``); InvalidInput names the rule."""
    check_new_password(password, context)


def _record(s: Session, user: User) -> UserRecord:
    org = s.get(Organisation, user.org_id)
    assert org is not None
    team_ids = s.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id).order_by(TeamMember.team_id))
    return UserRecord(
        id=user.id,
        org_id=user.org_id,
        org_slug=org.slug,
        email=user.email,
        name=user.name,
        role=user.role,
        is_active=user.is_active,
        team_ids=list(team_ids),
    )


def leaves_no_admin(s: Session, user: User, role: str | None, active: bool) -> bool:
    """Whether ``user`` becoming ``role`` (None: erased or removed) and ``active`` would leave its organisation
    without an active admin: it is an admin now, would no longer be an active admin, and no other active admin
    exists. The one rule of SCIM, SSO group rules and erasure (``LAST_ADMIN`` says why)."""
    if user.role != "admin" or (active and role == "admin"):
        return False
    others = s.scalar(select(func.count()).select_from(User).where(
        User.org_id == user.org_id, User.role == "admin", User.is_active.is_(True), User.id != user.id))
    return not others


def ensure_org(s: Session, name: str) -> Organisation:
    """The organisation with this name's slug, created if missing."""
    name = clean_name(name, "organisation", required=True)
    slug = slugify(name)
    org = s.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(slug=slug, name=name)
        s.add(org)
        s.flush()
    return org


def ensure_team(s: Session, org: Organisation, name: str) -> Team:
    name = clean_name(name, "team", required=True)
    team = s.scalar(select(Team).where(Team.org_id == org.id, Team.name == name))
    if team is None:
        team = Team(org_id=org.id, name=name)
        s.add(team)
        s.flush()
    return team


@dataclass(frozen=True)
class KnownAccount:
    """An existing account, as much as a failed sign-in's audit entry names."""

    id: int
    email: str
    org_id: int


@dataclass(frozen=True)
class CredentialCheck:
    """What ``Accounts.check_credentials`` found. ``user``: the active account when the password is right. Else
    ``account``: the account of the address, if there is one (active or not, with a password or not), and
    ``email``: the address as looked up (None when it is not a valid address and nothing was looked up)."""

    user: UserRecord | None
    email: str | None = None
    account: KnownAccount | None = None


class Accounts:
    def __init__(self, db: Database):
        self.db = db

    def create_user(
        self,
        org: str,
        email: str,
        password: str | None,
        role: str = "learner",
        team: str | None = None,
        name: str = "",
    ) -> UserRecord:
        """Create a user, and the organisation and team when they do not exist yet."""
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r} (use one of: {', '.join(ROLES)})")
        email_n = normalise_email(email)
        name = clean_name(name, "name")
        if password is not None:
            check_password(password, (email_n, name, org))
        with self.db.session() as s:
            if s.scalar(select(User.id).where(User.email == email_n)) is not None:
                raise Conflict(f"a user with e-mail {email_n} already exists")
            organisation = ensure_org(s, org)
            user = User(
                org_id=organisation.id,
                email=email_n,
                name=name,
                role=role,
                password_hash=hash_password(password) if password is not None else None,
                is_active=True,
            )
            s.add(user)
            s.flush()
            if team:
                s.add(TeamMember(team_id=ensure_team(s, organisation, team).id, user_id=user.id))
                s.flush()
            detail = {"email": user.email, "role": role, **({"team": team} if team else {})}
            audit.record(s, None, "user.created", "user", user.id, detail, "cli", org_id=organisation.id)
            return _record(s, user)

    def add_to_team(self, user_id: int, team: str) -> UserRecord:
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"unknown user {user_id}")
            org = s.get(Organisation, user.org_id)
            assert org is not None
            t = ensure_team(s, org, team)
            if s.get(TeamMember, (t.id, user.id)) is None:
                s.add(TeamMember(team_id=t.id, user_id=user.id))
                s.flush()
                audit.record(s, None, "team.membership_changed", "user", user.id,
                             {"email": user.email, "team": t.name, "member": True}, "cli", org_id=user.org_id)
            return _record(s, user)

    def authenticate(self, email: str, password: str) -> UserRecord | None:
        """The active user with these credentials, or None. An unknown or malformed e-mail, an inactive user
        and one without a password cost the same argon2 verification (against a dummy hash) as a real one, so
        the answer time tells nothing about which accounts exist. A password the login policy refuses before
        hashing (NUL, lone surrogate, over-long: ``services.passwords.login_password_problem``) is never
        hashed and matches nothing; the login guard answers those with 422 before calling this."""
        return self.check_credentials(email, password).user

    def check_credentials(self, email: str, password: str) -> CredentialCheck:
        """``authenticate``, also saying which account a wrong password was for (the login guard logs the
        failure in that account's organisation without looking the address up again)."""
        if login_password_problem(password):
            return CredentialCheck(None)
        try:
            email_n: str | None = normalise_email(email)
        except InvalidInput:
            email_n = None
        with self.db.read() as s:
            user = s.scalar(select(User).where(User.email == email_n)) if email_n else None
            usable = user is not None and user.is_active and user.password_hash is not None
            ok, new_hash = verify_password(password, user.password_hash if usable and user else None)
            if not ok or user is None:
                found = KnownAccount(user.id, user.email, user.org_id) if user is not None else None
                return CredentialCheck(None, email_n, found)
            record = _record(s, user)
        if new_hash is not None:  # parameters changed since it was hashed: store the stronger hash
            with self.db.session() as s:
                u = s.get(User, record.id)
                if u is not None:
                    u.password_hash = new_hash
        return CredentialCheck(record, email_n)

    def set_password(self, user_id: int, password: str) -> None:
        """Set a new password (the policy of ``services.passwords``); every session of the user ends."""
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"unknown user {user_id}")
            org = s.get(Organisation, user.org_id)
            check_password(password, (user.email, user.name, org.name if org else ""))
            user.password_hash = hash_password(password)
            s.flush()
            end_user_sessions(s, user_id)
            audit.record(s, None, "user.password_changed", "user", user.id, {"email": user.email, "by": "the operator"},
                         "cli", org_id=user.org_id)

    def set_active(self, user_id: int, active: bool) -> None:
        """Activate or deactivate a user; deactivating ends every session of the user."""
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"unknown user {user_id}")
            user.is_active = active
            if not active:
                s.flush()
                end_user_sessions(s, user_id)

    def org_id(self, name: str) -> int:
        """The id of the organisation with this name or slug."""
        slug = slugify(name)
        with self.db.read() as s:
            org_id = s.scalar(select(Organisation.id).where(Organisation.slug == slug))
        if org_id is None:
            raise NotFound(f"unknown organisation '{name}' (it is created with its first user: sparring users create)")
        return org_id

    def get_user(self, user_id: int) -> UserRecord:
        with self.db.read() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"unknown user {user_id}")
            return _record(s, user)

    def find_user(self, email: str) -> UserRecord:
        email_n = LOCAL_LEARNER_EMAIL if email.strip().lower() == LOCAL_LEARNER_EMAIL else normalise_email(email)
        with self.db.read() as s:
            user = s.scalar(select(User).where(User.email == email_n))
            if user is None:
                raise NotFound(f"unknown user {email_n} (create it with: sparring users create)")
            return _record(s, user)

    def list_users(self, org_id: int | None = None) -> list[UserRecord]:
        with self.db.read() as s:
            q = select(User).order_by(User.org_id, User.email)
            if org_id is not None:
                q = q.where(User.org_id == org_id)
            return [_record(s, u) for u in s.scalars(q)]

    def local_learner(self) -> UserRecord:
        """The default learner of CLI reps (no password, cannot log in), created on first use."""
        try:
            return self._local_learner()
        except IntegrityError:  # another process created it at the same moment
            return self._local_learner()

    def _local_learner(self) -> UserRecord:
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == LOCAL_LEARNER_EMAIL))
            if user is None:
                org = ensure_org(s, LOCAL_ORG)
                user = User(org_id=org.id, email=LOCAL_LEARNER_EMAIL, name="You", role="learner", password_hash=None)
                s.add(user)
                s.flush()
            return _record(s, user)


_DUMMY: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHash) -> str:
    """A hash of a random password made by ``hasher`` (so with the same parameters and cost as a real one),
    made once per hasher."""
    key = id(hasher)
    if key not in _DUMMY:
        import secrets

        _DUMMY.clear()  # one hasher at a time (tests swap in a light one)
        _DUMMY[key] = hasher.hash(secrets.token_urlsafe(24))
    return _DUMMY[key]
