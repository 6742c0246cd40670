"""Organisations, teams and users: create them, authenticate (argon2 via pwdlib), set passwords.

E-mail addresses are unique across the installation and compared lower-cased, so a login needs only the
e-mail and the password (docs/decisions.md, "Storage").
"""

from __future__ import annotations

import re
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.login_sessions import end_user_sessions
from sparring.services.records import UserRecord
from sparring.store.db import Database, get_database
from sparring.store.models import ROLES, Organisation, Team, TeamMember, User

#: the account CLI reps belong to when no --user is given; it has no password and cannot log in
LOCAL_ORG = "local"
LOCAL_LEARNER_EMAIL = "learner@localhost"
MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not slug:
        raise InvalidInput(f"organisation name {name!r} has no letters or digits")
    return slug[:80]


def normalise_email(email: str) -> str:
    e = email.strip().lower()
    if not _EMAIL.match(e) or len(e) > 320:
        raise InvalidInput(f"not an e-mail address: {email!r}")
    return e


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")


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


def ensure_org(s: Session, name: str) -> Organisation:
    """The organisation with this name's slug, created if missing."""
    slug = slugify(name)
    org = s.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(slug=slug, name=name.strip())
        s.add(org)
        s.flush()
    return org


def ensure_team(s: Session, org: Organisation, name: str) -> Team:
    name = name.strip()
    if not name:
        raise InvalidInput("team name is empty")
    team = s.scalar(select(Team).where(Team.org_id == org.id, Team.name == name))
    if team is None:
        team = Team(org_id=org.id, name=name)
        s.add(team)
        s.flush()
    return team


class Accounts:
    def __init__(self, db: Database | None = None):
        self.db = db or get_database()

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
        if password is not None:
            check_password(password)
        with self.db.session() as s:
            if s.scalar(select(User.id).where(User.email == email_n)) is not None:
                raise Conflict(f"a user with e-mail {email_n} already exists")
            organisation = ensure_org(s, org)
            user = User(
                org_id=organisation.id,
                email=email_n,
                name=name.strip(),
                role=role,
                password_hash=hash_password(password) if password is not None else None,
                is_active=True,
            )
            s.add(user)
            s.flush()
            if team:
                s.add(TeamMember(team_id=ensure_team(s, organisation, team).id, user_id=user.id))
                s.flush()
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
            return _record(s, user)

    def authenticate(self, email: str, password: str) -> UserRecord | None:
        """The active user with these credentials, or None. Takes the same time whether or not the user exists."""
        try:
            email_n = normalise_email(email)
        except InvalidInput:
            return None
        with self.db.read() as s:
            user = s.scalar(select(User).where(User.email == email_n))
            if user is None or user.password_hash is None or not user.is_active:
                _hasher().verify_and_update(password, _dummy_hash())
                return None
            ok, new_hash = _hasher().verify_and_update(password, user.password_hash)
            if not ok:
                return None
            record = _record(s, user)
        if new_hash is not None:  # parameters changed since it was hashed: store the stronger hash
            with self.db.session() as s:
                u = s.get(User, record.id)
                if u is not None:
                    u.password_hash = new_hash
        return record

    def set_password(self, user_id: int, password: str) -> None:
        """Set a new password; every session of the user ends."""
        check_password(password)
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"unknown user {user_id}")
            user.password_hash = hash_password(password)
            s.flush()
            end_user_sessions(s, user_id)

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
        email_n = normalise_email(email)
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


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
