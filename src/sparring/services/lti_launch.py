"""LTI 1.3 launches (docs/lti.md, "What happens at a launch"): the OIDC third-party login initiation, the id_token
checks against the registration and what was stored at login, the link from the platform's person to a Sparring
user (made just in time in the registration's organisation), and the record of the launch.

1. ``login_initiation``: the platform calls ``/lti/login`` with ``iss``, ``login_hint``, ``target_link_uri`` (and
   ``client_id``, ``lti_deployment_id``, ``lti_message_hint``). Sparring finds the registration, stores a fresh
   state and nonce (``lti_login_states``) and redirects to the platform's auth URL.
2. ``verify_launch``: the platform POSTs ``id_token`` and ``state`` to ``/lti/launch``. The state must be one
   Sparring issued, unused and at most ``STATE_TTL`` old; the id_token is checked (``integrations.lti``) against
   the platform's JWKS and the registration; its nonce must be the state's; its deployment id must be registered.
   The state is then used up in the same transaction, so neither the state nor the id_token works twice.
3. ``person_for``: the (registration, sub) link gives the Sparring user; a new person gets an account in the
   organisation (the platform's e-mail when no account holds it, else a placeholder address), with the role of
   their LTI roles (Instructor/Administrator → manager, else learner) and membership of the course's team.
   An existing account keeps its role (a launch never raises anyone's rights). A new account gets the hash of a
   random password nobody knows (sessions need one): it signs in through the course, or after a password reset.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sparring.integrations import lti
from sparring.integrations.lti_http import HttpConfig, LtiHttpError, fetch_jwks
from sparring.services import audit
from sparring.services.accounts import hash_password
from sparring.store.db import Database
from sparring.store.lti_models import (
    LtiContextRow,
    LtiLaunchRow,
    LtiLoginStateRow,
    LtiRegistrationRow,
    LtiUserLinkRow,
)
from sparring.store.models import Organisation, Team, TeamMember, User, utcnow

#: how long a login initiation's state stays usable
STATE_TTL = timedelta(minutes=10)
#: custom parameters a resource link names its target with (deep linking writes them)
CUSTOM_SCENARIO = "sparring_scenario"
CUSTOM_PROGRAM = "sparring_program"
CUSTOM_DIFFICULTY = "sparring_difficulty"
#: the JWKS of each platform is kept this long, then fetched again (and at once when a kid is missing)
JWKS_TTL = 300.0
_jwks_cache: dict[str, tuple[float, dict[str, Any]]] = {}


class LaunchRefused(Exception):
    """A login initiation or launch Sparring refuses; the text names what failed. ``org_id`` is the organisation
    whose audit log records it, when the registration is known."""

    def __init__(self, message: str, org_id: int | None = None):
        super().__init__(message)
        self.org_id = org_id


def _one(params: dict[str, str], name: str) -> str:
    value = (params.get(name) or "").strip()
    if not value:
        raise LaunchRefused(f"{name}: missing from the platform's login request")
    if len(value) > 2000:
        raise LaunchRefused(f"{name}: longer than 2000 characters")
    return value


def find_registration(s: Session, issuer: str, client_id: str | None) -> LtiRegistrationRow:
    q = select(LtiRegistrationRow).where(LtiRegistrationRow.issuer == issuer, LtiRegistrationRow.active.is_(True))
    if client_id:
        q = q.where(LtiRegistrationRow.client_id == client_id)
    rows = list(s.scalars(q.limit(2)))
    if not rows:
        detail = f" with client id {client_id!r}" if client_id else ""
        raise LaunchRefused(f"iss: no active LTI registration for the platform {issuer[:200]!r}{detail}; an "
                            "administrator registers it under Admin → Integrations → LTI")
    if len(rows) > 1:
        raise LaunchRefused(f"client_id: the platform {issuer[:200]!r} has several registrations; it must send "
                            "client_id")
    return rows[0]


def login_initiation(database: Database, params: dict[str, str], launch_url: str) -> str:
    """Store a state and nonce for this login and return the platform auth URL to redirect the browser to."""
    issuer, login_hint = _one(params, "iss"), _one(params, "login_hint")
    target = _one(params, "target_link_uri")
    with database.session() as s:
        reg = find_registration(s, issuer, params.get("client_id"))
        deployment = params.get("lti_deployment_id")
        if deployment and deployment not in reg.deployment_ids:
            raise LaunchRefused(f"lti_deployment_id: {deployment[:200]!r} is not registered for {reg.name}",
                                reg.org_id)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        s.add(LtiLoginStateRow(state=state, nonce=nonce, registration_id=reg.id, target_link_uri=target[:2000]))
        query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                 "client_id": reg.client_id, "redirect_uri": launch_url, "login_hint": login_hint, "state": state,
                 "nonce": nonce}
        if params.get("lti_message_hint"):
            query["lti_message_hint"] = params["lti_message_hint"]
        url = reg.auth_login_url
    return url + ("&" if "?" in url else "?") + urlencode(query)


def platform_jwks(url: str, http: HttpConfig, *, fresh: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    cached = _jwks_cache.get(url)
    if cached is not None and not fresh and now - cached[0] < JWKS_TTL:
        return cached[1]
    doc = fetch_jwks(url, http)
    _jwks_cache[url] = (now, doc)
    return doc


@dataclass(frozen=True)
class VerifiedLaunch:
    registration_id: int
    org_id: int
    claims: dict[str, Any]

    @property
    def message_type(self) -> str:
        return str(self.claims[lti.MESSAGE_TYPE])

    @property
    def custom(self) -> dict[str, str]:
        custom = self.claims.get(lti.CUSTOM)
        return {str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {}


def verify_launch(database: Database, http: HttpConfig, id_token: str, state: str) -> VerifiedLaunch:
    """Check a launch (state, id_token, nonce, deployment) and use its state up; LaunchRefused naming the problem."""
    if not state:
        raise LaunchRefused("state: missing (the platform must post back the state of the login)")
    with database.read() as s:
        row = s.scalar(select(LtiLoginStateRow).where(LtiLoginStateRow.state == state[:64]))
        reg = s.get(LtiRegistrationRow, row.registration_id) if row is not None else None
        if row is None or reg is None:
            raise LaunchRefused("state: unknown; start the activity again from the course")
        if row.used_at is not None:
            raise LaunchRefused("state: already used (a launch is accepted once); start the activity again",
                                reg.org_id)
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=utcnow().tzinfo)
        if utcnow() - created > STATE_TTL:
            raise LaunchRefused("state: expired (more than 10 minutes since the login); start the activity again",
                                reg.org_id)
        nonce, reg_id, org_id = row.nonce, reg.id, reg.org_id
        issuer, client_id, jwks_url, deployments = reg.issuer, reg.client_id, reg.jwks_url, list(reg.deployment_ids)
        if not reg.active:
            raise LaunchRefused(f"registration: {reg.name} is turned off", org_id)
    try:
        header, _ = lti.peek(id_token)
        jwks = platform_jwks(jwks_url, http)
        if header.get("kid") and not any(k.get("kid") == header["kid"] for k in jwks.get("keys", [])):
            jwks = platform_jwks(jwks_url, http, fresh=True)  # the platform rotated its key
        claims = lti.verify_id_token(id_token, jwks, issuer=issuer, client_id=client_id)
    except (lti.LtiError, LtiHttpError) as exc:
        raise LaunchRefused(str(exc), org_id) from exc
    if claims.get("nonce") != nonce:
        raise LaunchRefused("id_token: nonce does not match the one of this login (a replayed id_token?)", org_id)
    if claims[lti.DEPLOYMENT_ID] not in deployments:
        raise LaunchRefused(f"id_token: deployment id {str(claims[lti.DEPLOYMENT_ID])[:200]!r} is not registered "
                            "(add it to the registration's deployment ids)", org_id)
    with database.session() as s:
        used = s.execute(update(LtiLoginStateRow).where(LtiLoginStateRow.state == state[:64],
                                                        LtiLoginStateRow.used_at.is_(None))
                         .values(used_at=utcnow()))
        if getattr(used, "rowcount", 1) != 1:
            raise LaunchRefused("state: already used (a launch is accepted once); start the activity again", org_id)
    return VerifiedLaunch(reg_id, org_id, claims)


# ---- people ------------------------------------------------------------------------------------------------------


@functools.cache
def _unusable_hash() -> str:
    """The password hash of accounts made by LTI: an argon2 hash of a random password made and forgotten at once
    (one per process: hashing is slow on purpose, and a roster brings many people). No one can sign in with it."""
    return hash_password(secrets.token_urlsafe(32))


def _placeholder_email(reg: LtiRegistrationRow, sub: str) -> str:
    digest = hashlib.sha256(f"{reg.issuer}|{sub}".encode()).hexdigest()[:16]
    return f"lti-{reg.id}-{digest}@lti.invalid"


def person_for(s: Session, reg: LtiRegistrationRow, *, sub: str, name: str | None, email: str | None,
               roles: list[str]) -> tuple[User, bool]:
    """The Sparring user linked to the platform person ``sub``, linking or creating one; (user, created)."""
    link = s.scalar(select(LtiUserLinkRow).where(LtiUserLinkRow.registration_id == reg.id,
                                                 LtiUserLinkRow.sub == sub[:255]))
    if link is not None:
        user = s.get(User, link.user_id)
        if user is not None:
            return user, False
    user = None
    mail = (email or "").strip().lower()[:320]
    if mail and "@" in mail:
        user = s.scalar(select(User).where(User.email == mail))
        if user is not None and user.org_id != reg.org_id:
            user, mail = None, ""  # someone of another organisation: never link across organisations
    created = user is None
    if user is None:
        if not mail or s.scalar(select(User.id).where(User.email == mail)) is not None:
            mail = _placeholder_email(reg, sub)
        user = s.scalar(select(User).where(User.email == mail))
        if user is None:
            user = User(org_id=reg.org_id, email=mail, name=(name or "").strip()[:200], role=lti.role_of(roles),
                        password_hash=_unusable_hash(), is_active=True)
            s.add(user)
            s.flush()
    s.add(LtiUserLinkRow(registration_id=reg.id, sub=sub[:255], user_id=user.id))
    s.flush()
    return user, created


def context_team(s: Session, reg: LtiRegistrationRow, context: dict[str, Any] | None,
                 memberships_url: str | None) -> LtiContextRow | None:
    """The course of a launch (stored with its roster URL) and its team (``<title> (LTI)``), or None."""
    if not isinstance(context, dict) or not isinstance(context.get("id"), str):
        return None
    cid = context["id"][:255]
    title = str(context.get("title") or context.get("label") or cid)[:180]
    row = s.scalar(select(LtiContextRow).where(LtiContextRow.registration_id == reg.id,
                                               LtiContextRow.context_id == cid))
    if row is None:
        row = LtiContextRow(registration_id=reg.id, context_id=cid)
        s.add(row)
    row.title, row.updated_at = title, utcnow()
    if memberships_url:
        row.memberships_url = memberships_url[:2000]
    if row.team_id is None or s.get(Team, row.team_id) is None:
        org = s.get(Organisation, reg.org_id)
        assert org is not None
        name = f"{title} (LTI)"
        team = s.scalar(select(Team).where(Team.org_id == org.id, Team.name == name))
        if team is None:
            team = Team(org_id=org.id, name=name)
            s.add(team)
            s.flush()
        row.team_id = team.id
    s.flush()
    return row


def join_team(s: Session, team_id: int | None, user: User) -> None:
    if team_id is not None and s.get(TeamMember, (team_id, user.id)) is None:
        s.add(TeamMember(team_id=team_id, user_id=user.id))
        s.flush()


@dataclass(frozen=True)
class LaunchRecord:
    launch_id: int
    user_id: int
    org_id: int
    created_user: bool


def record_launch(database: Database, verified: VerifiedLaunch, target: str) -> LaunchRecord:
    """Link or create the person, put them in the course's team, and store the launch (with its grade line item)."""
    c = verified.claims
    with database.session() as s:
        reg = s.get(LtiRegistrationRow, verified.registration_id)
        if reg is None:
            raise LaunchRefused("registration: deleted during the launch", verified.org_id)
        roles = [r for r in c.get(lti.ROLES, []) if isinstance(r, str)] if isinstance(c.get(lti.ROLES), list) else []
        user, created = person_for(s, reg, sub=c["sub"], name=c.get("name"), email=c.get("email"), roles=roles)
        if not user.is_active:
            raise LaunchRefused("account: the Sparring account of this person is deactivated", reg.org_id)
        nrps = _claim(c, lti.NRPS)
        url = nrps.get("context_memberships_url")
        ctx = context_team(s, reg, c.get(lti.CONTEXT), url if isinstance(url, str) else None)
        join_team(s, ctx.team_id if ctx else None, user)
        ags = _claim(c, lti.AGS_ENDPOINT)
        link = _claim(c, lti.RESOURCE_LINK)
        detail: dict[str, Any] | None = None
        if verified.message_type == lti.DEEP_LINKING_REQUEST:
            settings = _claim(c, lti.DL_SETTINGS)
            return_url = settings.get("deep_link_return_url")
            if not isinstance(return_url, str) or not return_url.startswith(("https://", "http://")):
                raise LaunchRefused(f"id_token: {lti.DL_SETTINGS} has no deep_link_return_url", reg.org_id)
            detail = {"return_url": return_url, "data": settings.get("data"), "answered": False}
        scopes = [x for x in ags.get("scope", []) if isinstance(x, str)] if isinstance(ags.get("scope"), list) else []
        lineitem = ags.get("lineitem") if isinstance(ags.get("lineitem"), str) else None
        row = LtiLaunchRow(registration_id=reg.id, user_id=user.id, sub=c["sub"][:255],
                           deployment_id=str(c[lti.DEPLOYMENT_ID])[:255],
                           context_id=ctx.context_id if ctx else None,
                           resource_link_id=str(link["id"])[:255] if link.get("id") else None, target=target[:200],
                           lineitem_url=lineitem[:2000] if lineitem else None, ags_scopes=scopes, detail=detail)
        s.add(row)
        s.flush()
        audit.record(s, None, "lti.launched", "lti_launch", row.id,
                     {"registration": reg.id, "user": user.email, "target": target, "new_account": created},
                     org_id=reg.org_id)
        return LaunchRecord(row.id, user.id, reg.org_id, created)


def _claim(claims: dict[str, Any], name: str) -> dict[str, Any]:
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def attach_rep(database: Database, launch_id: int, rep_id: int) -> None:
    with database.session() as s:
        row = s.get(LtiLaunchRow, launch_id)
        if row is not None:
            row.rep_id = rep_id


def refused(database: Database, exc: LaunchRefused) -> None:
    """Record a refused launch in the organisation's audit log (when the registration is known)."""
    if exc.org_id is None:
        return
    with database.session() as s:
        audit.record(s, None, "lti.refused", "lti_launch", "", {"reason": str(exc)[:500]}, org_id=exc.org_id)
