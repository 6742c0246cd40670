"""SCIM 2.0 provisioning of one organisation's accounts and teams (docs/scim.md): what ``/scim/v2`` does, for the
organisation of the SCIM token that calls it and never another's.

Users are the organisation's accounts and Groups its teams — those made in Sparring too, so a provider can match
existing people by ``userName`` before it creates anyone. An e-mail address is unique across the installation:
creating or renaming to one another account has (in this organisation or another) is a 409 ``uniqueness`` error
that does not say whose it is.

Deprovisioning never loses a learner's reps: ``active: false`` deactivates the account (its sign-ins end at once);
a DELETE deactivates it too and hides it from SCIM (404 afterwards, as RFC 7644 §3.6 asks), but the account, its reps
and scorecards stay until an admin erases the person (Admin → People → Erase…). A later POST of the same address
brings the account back. A Group DELETE removes the team's members and hides it from SCIM; the team itself (its
history, programs and library) stays. Every change is written to the audit log, naming the SCIM token.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.integrations.scim import (
    MAX_RESULTS,
    Filter,
    GroupInput,
    GroupState,
    ScimError,
    UserInput,
    UserState,
    group_matches,
    patched_group,
    patched_user,
    user_matches,
)
from sparring.services import audit
from sparring.services.account_inputs import clean_name, normalise_email
from sparring.services.accounts import LAST_ADMIN, leaves_no_admin
from sparring.services.errors import InvalidInput
from sparring.services.login_sessions import end_user_sessions
from sparring.services.scim_tokens import ScimCaller
from sparring.store.models import Team, TeamMember, User
from sparring.store.scim_models import ScimGroupRow, ScimUserRow


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _record(db: Session, caller: ScimCaller, action: str, target: str, target_id: int, detail: dict[str, Any]) -> None:
    audit.record(db, None, action, target, target_id, {**detail, "via": "scim"}, via="api", org_id=caller.org_id,
                 actor_label=caller.label)


def _bad(exc: InvalidInput) -> ScimError:
    return ScimError(400, str(exc), "invalidValue")


def _id(raw: str) -> int:
    """A resource id from the path; anything no row can have is a 404 (never a database error)."""
    if not raw.isdigit() or len(raw) > 12 or not is_db_id(int(raw)):
        raise ScimError(404, f"no such resource: {raw[:40]}")
    return int(raw)


# --- users ----------------------------------------------------------------------------------------------------


def _visible_users(org_id: int) -> Any:
    return (select(User, ScimUserRow).outerjoin(ScimUserRow, ScimUserRow.user_id == User.id)
            .where(User.org_id == org_id, ScimUserRow.removed_at.is_(None)))


def _user_state(user: User, link: ScimUserRow | None, groups: list[tuple[int, str]]) -> UserState:
    return UserState(id=user.id, email=user.email, name=user.name or "", active=user.is_active, role=user.role,
                     external_id=link.external_id if link else None, created=_utc(user.created_at),
                     user_name=link.user_name if link else None, attributes=link.attributes if link else None,
                     groups=groups)


def _groups_of(db: Session, org_id: int, user_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not user_ids:
        return out
    rows = db.execute(
        select(TeamMember.user_id, Team.id, Team.name).join(Team, Team.id == TeamMember.team_id)
        .outerjoin(ScimGroupRow, ScimGroupRow.team_id == Team.id)
        .where(Team.org_id == org_id, TeamMember.user_id.in_(user_ids), ScimGroupRow.removed_at.is_(None))
        .order_by(Team.name)
    ).all()
    for uid, tid, name in rows:
        out[uid].append((tid, name))
    return out


def _page(items: list[Any], start_index: int, count: int | None) -> list[Any]:
    start = max(start_index, 1) - 1
    size = MAX_RESULTS if count is None else max(0, min(count, MAX_RESULTS))
    return items[start:start + size]


def list_users(db: Session, caller: ScimCaller, flt: Filter | None, start_index: int = 1,
               count: int | None = None) -> tuple[list[UserState], int]:
    """The organisation's users matching ``flt``, by id; one page of them and the total."""
    query = _visible_users(caller.org_id).order_by(User.id)
    equals = flt.equals if flt is not None else None
    if equals is not None and equals[0] in ("username", "emails", "externalid"):
        attr, value = equals
        if attr == "externalid":
            query = query.where(ScimUserRow.external_id == value)
        elif attr == "emails":
            query = query.where(User.email == value.strip().lower())
        else:
            query = query.where(or_(User.email == value.strip().lower(),
                                    func.lower(ScimUserRow.user_name) == value.strip().lower()))
    rows = list(db.execute(query).all())
    if flt is not None and equals is None:
        groups = _groups_of(db, caller.org_id, [u.id for u, _ in rows])
        states = [_user_state(u, link, groups.get(u.id, [])) for u, link in rows]
        matched = [s for s in states if user_matches(flt, s)]
        return _page(matched, start_index, count), len(matched)
    page = _page(rows, start_index, count)
    groups = _groups_of(db, caller.org_id, [u.id for u, _ in page])
    return [_user_state(u, link, groups.get(u.id, [])) for u, link in page], len(rows)


def _user(db: Session, caller: ScimCaller, raw_id: str) -> tuple[User, ScimUserRow | None]:
    found = db.execute(_visible_users(caller.org_id).where(User.id == _id(raw_id))).first()
    if found is None:
        raise ScimError(404, f"no such user: {raw_id[:40]}")
    return found[0], found[1]


def get_user(db: Session, caller: ScimCaller, raw_id: str) -> UserState:
    user, link = _user(db, caller, raw_id)
    return _user_state(user, link, _groups_of(db, caller.org_id, [user.id]).get(user.id, []))


def _clash(db: Session, caller: ScimCaller, user_id: int | None, want: UserInput) -> User | None:
    """The account that already has ``want``'s address or userName (None when free); a visible one is a 409."""
    other = db.scalar(select(User).where(User.email == want.email))
    if other is not None and other.id != user_id:
        link = db.get(ScimUserRow, other.id)
        if other.org_id == caller.org_id and link is not None and link.removed_at is not None and user_id is None:
            return other  # removed through SCIM: a POST brings it back
        raise ScimError(409, "userName: an account with this e-mail address already exists", "uniqueness")
    if want.user_name:
        taken = db.scalar(select(ScimUserRow.user_id).where(
            ScimUserRow.org_id == caller.org_id, func.lower(ScimUserRow.user_name) == want.user_name.lower(),
            ScimUserRow.removed_at.is_(None)))
        if taken is not None and taken != user_id:
            raise ScimError(409, "userName: another user already has this userName", "uniqueness")
    return None


def _checked(want: UserInput) -> UserInput:
    try:
        email = normalise_email(want.email, "userName")
        name = clean_name(want.name, "name")
    except InvalidInput as exc:
        raise _bad(exc) from None
    return replace(want, email=email, name=name)


def _last_admin(db: Session, user: User, want: UserInput) -> None:
    if leaves_no_admin(db, user, want.role or user.role, want.active):
        raise ScimError(400, f"active/roles: {LAST_ADMIN}", "mutability")


def _apply(db: Session, caller: ScimCaller, user: User, link: ScimUserRow, want: UserInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    sign_out = False
    if user.email != want.email:
        changes["email"] = [user.email, want.email]
        user.email = want.email
    if (user.name or "") != want.name:
        changes["name"] = [user.name, want.name]
        user.name = want.name
    role = want.role or user.role
    if user.role != role:
        _record(db, caller, "user.role_changed", "user", user.id, {"email": want.email, "from": user.role, "to": role})
        user.role = role
        sign_out = True
    if user.is_active != want.active:
        _record(db, caller, "user.reactivated" if want.active else "user.deactivated", "user", user.id,
                {"email": want.email})
        user.is_active = want.active
        sign_out = sign_out or not want.active
    if link.external_id != want.external_id:
        changes["externalId"] = [link.external_id, want.external_id]
    link.external_id, link.user_name, link.attributes = want.external_id, want.user_name, want.attributes
    db.flush()
    if changes:
        _record(db, caller, "user.updated", "user", user.id, {"email": want.email, "changed": sorted(changes)})
    if sign_out or "email" in changes:
        end_user_sessions(db, user.id)
    return changes


def create_user(db: Session, caller: ScimCaller, want: UserInput) -> UserState:
    """A new account (201), or one removed through SCIM brought back; 409 when the address is taken."""
    want = _checked(want)
    revived = _clash(db, caller, None, want)
    if revived is not None:
        link = db.get(ScimUserRow, revived.id)
        assert link is not None
        link.removed_at = None
        _record(db, caller, "user.created", "user", revived.id, {"email": want.email, "restored": True})
        _apply(db, caller, revived, link, want)
        return get_user(db, caller, str(revived.id))
    user = User(org_id=caller.org_id, email=want.email, name=want.name, role=want.role or "learner",
                password_hash=None, is_active=want.active)
    db.add(user)
    db.flush()
    db.add(ScimUserRow(user_id=user.id, org_id=caller.org_id, external_id=want.external_id, user_name=want.user_name,
                       attributes=want.attributes))
    db.flush()
    _record(db, caller, "user.created", "user", user.id, {"email": user.email, "role": user.role})
    return get_user(db, caller, str(user.id))


def _link(db: Session, caller: ScimCaller, user: User, link: ScimUserRow | None) -> ScimUserRow:
    if link is None:
        link = ScimUserRow(user_id=user.id, org_id=caller.org_id)
        db.add(link)
    return link


def replace_user(db: Session, caller: ScimCaller, raw_id: str, want: UserInput) -> UserState:
    """PUT: the account becomes ``want`` (the role stays when ``roles`` is absent)."""
    user, link = _user(db, caller, raw_id)
    want = _checked(want)
    _clash(db, caller, user.id, want)
    _last_admin(db, user, want)
    _apply(db, caller, user, _link(db, caller, user, link), want)
    return get_user(db, caller, raw_id)


def patch_user(db: Session, caller: ScimCaller, raw_id: str, body: Any) -> UserState:
    """PATCH (RFC 7644 §3.5.2), applied to the account's current state; all operations or none."""
    return replace_user(db, caller, raw_id, patched_user(get_user(db, caller, raw_id), body))


def remove_user(db: Session, caller: ScimCaller, raw_id: str, now: datetime | None = None) -> None:
    """DELETE: deactivate the account and hide it from SCIM; its reps stay (docs/scim.md, "Deprovisioning")."""
    user, link = _user(db, caller, raw_id)
    _last_admin(db, user, UserInput(email=user.email, name=user.name, active=False, external_id=None, role=None))
    link = _link(db, caller, user, link)
    link.removed_at = now or datetime.now(UTC)
    user.is_active = False
    db.flush()
    end_user_sessions(db, user.id)
    _record(db, caller, "user.removed", "user", user.id, {"email": user.email, "kept": "account and reps"})


# --- groups ---------------------------------------------------------------------------------------------------


def _visible_teams(org_id: int) -> Any:
    return (select(Team, ScimGroupRow).outerjoin(ScimGroupRow, ScimGroupRow.team_id == Team.id)
            .where(Team.org_id == org_id, ScimGroupRow.removed_at.is_(None)))


def _members_of(db: Session, team_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not team_ids:
        return out
    rows = db.execute(
        select(TeamMember.team_id, User.id, User.email).join(User, User.id == TeamMember.user_id)
        .outerjoin(ScimUserRow, ScimUserRow.user_id == User.id)
        .where(TeamMember.team_id.in_(team_ids), ScimUserRow.removed_at.is_(None)).order_by(User.id)
    ).all()
    for tid, uid, email in rows:
        out[tid].append((uid, email))
    return out


def _group_state(team: Team, link: ScimGroupRow | None, members: list[tuple[int, str]]) -> GroupState:
    return GroupState(id=team.id, name=team.name, external_id=link.external_id if link else None,
                      created=_utc(team.created_at), attributes=link.attributes if link else None, members=members)


def list_groups(db: Session, caller: ScimCaller, flt: Filter | None, base_url: str, start_index: int = 1,
                count: int | None = None, with_members: bool = True) -> tuple[list[GroupState], int]:
    query = _visible_teams(caller.org_id).order_by(Team.id)
    equals = flt.equals if flt is not None else None
    if equals is not None and equals[0] in ("displayname", "externalid"):
        attr, value = equals
        query = query.where(func.lower(Team.name) == value.lower() if attr == "displayname"
                            else ScimGroupRow.external_id == value)
    rows = list(db.execute(query).all())
    if flt is not None and (equals is None or equals[0] not in ("displayname", "externalid")):
        members = _members_of(db, [t.id for t, _ in rows])
        states = [_group_state(t, link, members.get(t.id, [])) for t, link in rows]
        matched = [s for s in states if group_matches(flt, s, base_url)]
        return _page(matched, start_index, count), len(matched)
    page = _page(rows, start_index, count)
    members = _members_of(db, [t.id for t, _ in page]) if with_members else {}
    return [_group_state(t, link, members.get(t.id, [])) for t, link in page], len(rows)


def _team(db: Session, caller: ScimCaller, raw_id: str) -> tuple[Team, ScimGroupRow | None]:
    found = db.execute(_visible_teams(caller.org_id).where(Team.id == _id(raw_id))).first()
    if found is None:
        raise ScimError(404, f"no such group: {raw_id[:40]}")
    return found[0], found[1]


def get_group(db: Session, caller: ScimCaller, raw_id: str) -> GroupState:
    team, link = _team(db, caller, raw_id)
    return _group_state(team, link, _members_of(db, [team.id]).get(team.id, []))


def _checked_group(want: GroupInput) -> GroupInput:
    try:
        return replace(want, name=clean_name(want.name, "displayName", required=True))
    except InvalidInput as exc:
        raise _bad(exc) from None


def _set_members(db: Session, caller: ScimCaller, team: Team, member_ids: list[int]) -> dict[str, list[str]]:
    wanted = set(member_ids)
    if wanted:
        found = dict(db.execute(select(User.id, User.email).outerjoin(ScimUserRow, ScimUserRow.user_id == User.id)
                                .where(User.id.in_(wanted), User.org_id == caller.org_id,
                                       ScimUserRow.removed_at.is_(None))).all())
        unknown = sorted(wanted - set(found))
        if unknown:
            raise ScimError(400, f"members: no user {unknown[0]} in this organisation", "invalidValue")
    now = dict(db.execute(select(TeamMember.user_id, User.email).join(User, User.id == TeamMember.user_id)
                          .where(TeamMember.team_id == team.id)).all())
    hidden = set(db.scalars(select(ScimUserRow.user_id).where(ScimUserRow.user_id.in_(list(now)),
                                                              ScimUserRow.removed_at.is_not(None)))) if now else set()
    added = sorted(wanted - set(now))
    removed = sorted(set(now) - wanted - hidden)
    for uid in added:
        db.add(TeamMember(team_id=team.id, user_id=uid))
    if removed:
        db.execute(delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id.in_(removed)))
    db.flush()
    emails = dict(db.execute(select(User.id, User.email).where(User.id.in_(added))).all()) if added else {}
    return {"added": [emails.get(u, str(u)) for u in added], "removed": [now[u] for u in removed]}


def _apply_group(db: Session, caller: ScimCaller, team: Team, link: ScimGroupRow, want: GroupInput,
                 created: bool = False) -> None:
    detail: dict[str, Any] = {"team": want.name}
    if team.name != want.name:
        other = db.scalar(select(Team.id).where(Team.org_id == caller.org_id, Team.id != team.id,
                                                func.lower(Team.name) == want.name.lower()))
        if other is not None:
            raise ScimError(409, "displayName: another team already has this name", "uniqueness")
        detail["renamed_from"] = team.name
        team.name = want.name
    link.external_id, link.attributes = want.external_id, want.attributes
    detail.update(_set_members(db, caller, team, want.member_ids))
    if not created and (detail.get("renamed_from") or detail["added"] or detail["removed"]):
        _record(db, caller, "team.changed", "team", team.id, detail)


def create_group(db: Session, caller: ScimCaller, want: GroupInput, base_url: str) -> GroupState:
    want = _checked_group(want)
    found = db.execute(select(Team, ScimGroupRow).outerjoin(ScimGroupRow, ScimGroupRow.team_id == Team.id)
                       .where(Team.org_id == caller.org_id, func.lower(Team.name) == want.name.lower())).first()
    if found is not None and (found[1] is None or found[1].removed_at is None):
        raise ScimError(409, "displayName: a team with this name already exists", "uniqueness")
    if found is not None:
        team, link = found[0], found[1]
        link.removed_at = None
    else:
        team = Team(org_id=caller.org_id, name=want.name)
        db.add(team)
        db.flush()
        link = ScimGroupRow(team_id=team.id, org_id=caller.org_id)
        db.add(link)
    _apply_group(db, caller, team, link, want, created=True)
    _record(db, caller, "team.created", "team", team.id, {"team": team.name, "members": len(want.member_ids),
                                                          "restored": found is not None})
    return get_group(db, caller, str(team.id))


def replace_group(db: Session, caller: ScimCaller, raw_id: str, want: GroupInput) -> GroupState:
    team, link = _team(db, caller, raw_id)
    want = _checked_group(want)
    if link is None:
        link = ScimGroupRow(team_id=team.id, org_id=caller.org_id)
        db.add(link)
    _apply_group(db, caller, team, link, want)
    return get_group(db, caller, raw_id)


def patch_group(db: Session, caller: ScimCaller, raw_id: str, body: Any, base_url: str) -> GroupState:
    return replace_group(db, caller, raw_id, patched_group(get_group(db, caller, raw_id), body, base_url))


def remove_group(db: Session, caller: ScimCaller, raw_id: str, now: datetime | None = None) -> None:
    """DELETE: the team loses its members and leaves SCIM's view; the team and its history stay."""
    team, link = _team(db, caller, raw_id)
    if link is None:
        link = ScimGroupRow(team_id=team.id, org_id=caller.org_id)
        db.add(link)
    link.removed_at = now or datetime.now(UTC)
    gone = len(list(db.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team.id))))
    db.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    db.flush()
    _record(db, caller, "team.removed", "team", team.id, {"team": team.name, "members_removed": gone,
                                                          "kept": "team and its history"})
