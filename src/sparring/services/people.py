"""People and teams as the web app's admin pages and the first-run set-up need them.

Passwords are hashed with argon2 by the accounts service (``sparring.services.accounts``). Every function
takes the acting admin's organisation and never touches another organisation's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.account_inputs import clean_name
from sparring.services.accounts import check_password, hash_password, normalise_email, slugify
from sparring.services.errors import InvalidInput
from sparring.services.login_sessions import end_user_sessions
from sparring.store.models import ROLES, Organisation, Team, TeamMember, User


class PeopleError(ValueError):
    """A request about people or teams that cannot be done; the message names the field."""


def _checked_password(password: str, context: tuple[str, ...]) -> None:
    try:
        check_password(password, context)
    except InvalidInput as exc:  # the message already starts with "password:"
        raise PeopleError(str(exc)) from exc


def _checked_email(email: str) -> str:
    try:
        return normalise_email(email)
    except InvalidInput as exc:  # the message already starts with "email:"
        raise PeopleError(str(exc)) from exc


def _checked_name(value: str, field: str, *, required: bool = False) -> str:
    try:
        return clean_name(value, field, required=required)
    except InvalidInput as exc:
        raise PeopleError(str(exc)) from exc


def has_any_login(db: Session) -> bool:
    """Whether any account can log in (otherwise the app offers first-run admin creation)."""
    return bool(db.scalar(select(func.count()).select_from(User).where(User.password_hash.is_not(None))))


def create_first_admin(db: Session, org_name: str, name: str, email: str, password: str) -> User:
    if has_any_login(db):
        raise PeopleError("setup: an administrator already exists; log in instead")
    org_name = _checked_name(org_name, "org")
    if len(org_name) < 2:
        raise PeopleError("org: give the organisation a name")
    try:
        slug = slugify(org_name)
    except InvalidInput as exc:
        raise PeopleError(str(exc).replace("organisation:", "org:", 1)) from exc
    org = db.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(slug=slug, name=org_name)
        db.add(org)
        db.flush()
    return create_user(db, org.id, email=email, name=name, role="admin", password=password)


def ensure_team(db: Session, org_id: int, name: str) -> Team:
    name = _checked_name(name, "team")
    if not name:
        raise PeopleError("team: give the team a name")
    team = db.scalar(select(Team).where(Team.org_id == org_id, Team.name == name))
    if team is None:
        team = Team(org_id=org_id, name=name)
        db.add(team)
        db.flush()
    return team


def create_user(
    db: Session,
    org_id: int,
    email: str,
    name: str,
    role: str,
    password: str,
    team_ids: list[int] | None = None,
    acting_admin_id: int | None = None,
) -> User:
    email = _checked_email(email)
    name = _checked_name(name, "name")
    if role not in ROLES:
        raise PeopleError(f"role: must be one of {', '.join(ROLES)}")
    org = db.get(Organisation, org_id)
    _checked_password(password, (email, name, org.name if org else ""))
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise PeopleError(f"email: an account with {email} already exists")
    user = User(org_id=org_id, email=email, name=name or email.split("@")[0][:200], role=role,
                password_hash=hash_password(password))
    db.add(user)
    db.flush()
    for team_id in team_ids or []:
        set_membership(db, org_id, user.id, team_id, True)
    audit.record(db, audit.actor_of(db, acting_admin_id), "user.created", "user", user.id,
                 {"email": user.email, "role": role}, org_id=org_id)
    return user


def org_user(db: Session, org_id: int, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise PeopleError("user: no such user in your organisation")
    return user


def org_team(db: Session, org_id: int, team_id: int) -> Team:
    team = db.get(Team, team_id)
    if team is None or team.org_id != org_id:
        raise PeopleError("team: no such team in your organisation")
    return team


def set_membership(db: Session, org_id: int, user_id: int, team_id: int, member: bool,
                   acting_admin_id: int | None = None) -> None:
    """Put a user in a team or take them out; an admin's change (``acting_admin_id``) is audited."""
    user = org_user(db, org_id, user_id)
    team = org_team(db, org_id, team_id)
    row = db.get(TeamMember, (team_id, user_id))
    if (row is None) != member:
        return
    if member:
        db.add(TeamMember(team_id=team_id, user_id=user_id))
    else:
        db.delete(row)
    db.flush()
    if acting_admin_id is not None:
        audit.record(db, audit.actor_of(db, acting_admin_id), "team.membership_changed", "user", user.id,
                     {"email": user.email, "team": team.name, "member": member}, org_id=org_id)


def reset_password(db: Session, org_id: int, user_id: int, new_password: str,
                   acting_admin_id: int | None = None) -> User:
    """An admin sets a new password; every session of that user ends."""
    user = org_user(db, org_id, user_id)
    org = db.get(Organisation, org_id)
    _checked_password(new_password, (user.email, user.name, org.name if org else ""))
    user.password_hash = hash_password(new_password)
    db.flush()
    audit.record(db, audit.actor_of(db, acting_admin_id), "user.password_changed", "user", user.id,
                 {"email": user.email, "by": "an admin"}, org_id=org_id)
    end_user_sessions(db, user.id)
    return user


def set_role(db: Session, org_id: int, user_id: int, role: str, acting_admin_id: int) -> User:
    if role not in ROLES:
        raise PeopleError(f"role: must be one of {', '.join(ROLES)}")
    user = org_user(db, org_id, user_id)
    if user.id == acting_admin_id and role != "admin":
        raise PeopleError("role: you cannot remove your own admin role")
    if user.role != role:  # a new role: the user signs in again, so no page keeps showing the old one's menus
        audit.record(db, audit.actor_of(db, acting_admin_id), "user.role_changed", "user", user.id,
                     {"email": user.email, "from": user.role, "to": role}, org_id=org_id)
        user.role = role
        db.flush()
        end_user_sessions(db, user.id)
    return user


def set_active(db: Session, org_id: int, user_id: int, active: bool, acting_admin_id: int) -> User:
    user = org_user(db, org_id, user_id)
    if user.id == acting_admin_id and not active:
        raise PeopleError("user: you cannot deactivate yourself")
    if user.is_active != active:
        audit.record(db, audit.actor_of(db, acting_admin_id), "user.reactivated" if active else "user.deactivated",
                     "user", user.id, {"email": user.email}, org_id=org_id)
    user.is_active = active
    db.flush()
    if not active:
        end_user_sessions(db, user.id)
    return user


@dataclass(frozen=True)
class PersonRow:
    user: User
    teams: list[str]


def list_people(db: Session, org_id: int) -> list[PersonRow]:
    users = list(db.scalars(select(User).where(User.org_id == org_id).order_by(User.role, User.name)))
    memberships = db.execute(
        select(TeamMember.user_id, Team.name).join(Team, Team.id == TeamMember.team_id).where(Team.org_id == org_id)
    ).all()
    by_user: dict[int, list[str]] = {}
    for user_id, team_name in memberships:
        by_user.setdefault(user_id, []).append(team_name)
    return [PersonRow(u, sorted(by_user.get(u.id, []))) for u in users]


def list_teams(db: Session, org_id: int) -> list[Team]:
    return list(db.scalars(select(Team).where(Team.org_id == org_id).order_by(Team.name)))


