"""SCIM 2.0 (RFC 7643, RFC 7644) as Sparring speaks it to an identity provider (docs/scim.md): the resource shapes,
the discovery documents, request bodies read into plain inputs, PATCH applied, filters evaluated, and errors.

The shapes and their validation come from ``scim2-models`` (pydantic): a POST or PUT body is validated as a
``User`` or ``Group`` in the request's context, a PATCH as a ``PatchOp`` applied to the resource's current state,
and a filter is parsed and matched by its ``ScimFilter``. Nothing here touches the database:
``sparring.services.scim`` reads and writes the accounts and teams, with these functions at its edges.

Mapping (also in docs/scim.md): ``userName`` is the e-mail address (lower-cased; when ``userName`` is not an address
the primary, else first, of ``emails`` is used); ``name.formatted``, else ``givenName familyName``, else
``displayName`` is the account's name; ``active`` is whether it may sign in; ``externalId`` is stored as given;
``roles`` (core User attribute, the value ``learner``, ``manager`` or ``admin``; the primary one if several) is the
Sparring role — absent, the role is left as it is (a new account is a learner). Groups are Sparring teams:
``displayName`` is the team's name and ``members`` its members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    Name,
    PatchOp,
    SCIMException,
    ScimFilter,
    ScimPolicy,
    User,
)
from scim2_models.path.expressions import Comparison
from scim2_models.resources.user import GroupMembership, Role

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MEDIA_TYPE = "application/scim+json"
#: the Sparring roles a ``roles`` value may name, lowest first
ROLE_VALUES = ("learner", "manager", "admin")
#: most resources one list response holds (``count`` above it is lowered to it, as RFC 7644 §3.4.2.4 allows)
MAX_RESULTS = 200
#: longest filter accepted
MAX_FILTER_CHARS = 1000
#: Entra ID removes group members with ``{"op": "Remove", "path": "members", "value": [{"value": "<id>"}]}``: the
#: value selects what to remove (RFC 7644 reads only the path; scim2-models refuses it unless told)
PATCH_POLICY = ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply)


class ScimError(Exception):
    """A SCIM error response: HTTP ``status``, the RFC 7644 ``scimType`` (or None) and a ``detail`` that names the
    attribute or value at fault."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            doc["scimType"] = self.scim_type
        return doc


def _from_scim(exc: SCIMException) -> ScimError:
    err = exc.to_error()
    return ScimError(int(err.status or 400), str(err.detail or exc), err.scim_type)


def _from_validation(exc: ValidationError) -> ScimError:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
    where = ".".join(str(p) for p in first.get("loc", ()) if not isinstance(p, int)) or "body"
    return ScimError(400, f"{where}: {first.get('msg', 'invalid')}", "invalidValue")


# --- what the services hand over and get back ------------------------------------------------------------------

#: attributes kept as the provider sent them (``attributes`` of ``scim_users`` / ``scim_groups``)
KEPT_USER = ("userName", "name", "displayName", "active", "emails", "roles")
KEPT_GROUP = ("displayName", "members")


@dataclass
class UserState:
    """An account as SCIM shows it: Sparring's fields, and what the provider last sent (``attributes``)."""

    id: int
    email: str
    name: str
    active: bool
    role: str
    external_id: str | None
    created: datetime
    user_name: str | None = None
    attributes: dict[str, Any] | None = None
    groups: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class GroupState:
    """A team as SCIM shows it: members as (user id, e-mail)."""

    id: int
    name: str
    external_id: str | None
    created: datetime
    attributes: dict[str, Any] | None = None
    members: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class UserInput:
    """What a POST, PUT or PATCH asks an account to become. ``role`` None: leave the role as it is.
    ``user_name``: the provider's userName when it is not the e-mail address. ``attributes``: to keep."""

    email: str
    name: str
    active: bool
    external_id: str | None
    role: str | None
    user_name: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupInput:
    """What a POST, PUT or PATCH asks a team to become."""

    name: str
    external_id: str | None
    member_ids: list[int]
    attributes: dict[str, Any] = field(default_factory=dict)


# --- reading a User or Group document ------------------------------------------------------------------------


def _primary(values: Any) -> dict[str, Any] | None:
    items = [v for v in values if isinstance(v, dict) and v.get("value") not in (None, "")] \
        if isinstance(values, list) else []
    return next((v for v in items if v.get("primary") is True), items[0] if items else None)


def _doc_email(doc: dict[str, Any]) -> str | None:
    user_name = str(doc.get("userName") or "").strip()
    if "@" in user_name:
        return user_name.lower()
    chosen = _primary(doc.get("emails"))
    return str(chosen["value"]).strip().lower() if chosen else None


def _doc_name(doc: dict[str, Any]) -> str:
    raw = doc.get("name")
    name: dict[str, Any] = raw if isinstance(raw, dict) else {}
    text = name.get("formatted") or " ".join(str(p) for p in (name.get("givenName"), name.get("familyName")) if p)
    return str(text or doc.get("displayName") or "").strip()


def _doc_active(doc: dict[str, Any]) -> bool:
    value = doc.get("active")
    return True if value is None else bool(value)


def _doc_role(doc: dict[str, Any]) -> str | None:
    roles = [r for r in doc.get("roles") or [] if isinstance(r, dict) and r.get("value")]
    known = [r for r in roles if str(r["value"]).strip().lower() in ROLE_VALUES]
    chosen = next((r for r in known if r.get("primary") is True), known[0] if known else None)
    if chosen is None:
        if roles:
            raise ScimError(400, f"roles: {roles[0]['value']!r} is not a Sparring role (one of "
                                 f"{', '.join(ROLE_VALUES)})", "invalidValue")
        return None
    return str(chosen["value"]).strip().lower()


def _stamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _split_name(name: str) -> dict[str, str]:
    parts = name.split(None, 1)
    out = {"formatted": name} if name else {}
    if parts:
        out["givenName"] = parts[0]
    if len(parts) > 1:
        out["familyName"] = parts[1]
    return out


def _sparring_user(state: UserState) -> dict[str, Any]:
    doc: dict[str, Any] = {"userName": state.user_name or state.email, "displayName": state.name or state.email,
                           "active": state.active, "emails": [{"value": state.email, "type": "work", "primary": True}],
                           "roles": [{"value": state.role, "primary": True}]}
    if state.name:
        doc["name"] = _split_name(state.name)
    return doc


def user_body(state: UserState) -> dict[str, Any]:
    """The account's attributes: what the provider sent where it still agrees with the account, Sparring's own
    values where the account changed since (in Sparring, or the provider never sent them). ``active`` and
    ``emails`` are always there; ``roles`` when the provider sent them or the account is not a learner."""
    if not state.attributes:
        return _sparring_user(state)
    doc = {k: v for k, v in state.attributes.items() if k in KEPT_USER}
    own = _sparring_user(state)
    if _doc_email(doc) != state.email or (state.user_name or state.email).lower() != str(
            doc.get("userName", "")).lower():
        doc["userName"], doc["emails"] = own["userName"], own["emails"]
    if _doc_name(doc) != state.name:
        doc.pop("name", None)
        doc.update({k: own[k] for k in ("name", "displayName") if k in own})
    doc["active"] = state.active  # always shown: identity providers read it back
    doc.setdefault("emails", own["emails"])
    try:
        role = _doc_role(doc)
    except ScimError:
        role = None
    if (role or "learner") != state.role:
        doc["roles"] = own["roles"]
    return doc


def user_doc(state: UserState, base_url: str) -> dict[str, Any]:
    """The User resource of an account (RFC 7643 §4.1)."""
    doc: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": str(state.id), **user_body(state)}
    if state.external_id is not None:
        doc["externalId"] = state.external_id
    if state.groups:
        doc["groups"] = [{"value": str(tid), "display": name, "$ref": f"{base_url}/Groups/{tid}", "type": "direct"}
                         for tid, name in state.groups]
    doc["meta"] = {"resourceType": "User", "created": _stamp(state.created), "lastModified": _stamp(state.created),
                   "location": f"{base_url}/Users/{state.id}"}
    return doc


def group_body(state: GroupState, base_url: str) -> dict[str, Any]:
    doc = {k: v for k, v in (state.attributes or {}).items() if k in KEPT_GROUP}
    doc["displayName"] = state.name
    members = doc.get("members")
    sent: list[Any] = members if isinstance(members, list) else []
    sent_ids = {str(m.get("value")) for m in sent if isinstance(m, dict)}
    if sent_ids != {str(uid) for uid, _ in state.members} or len(sent) != len(state.members):
        doc["members"] = [{"value": str(uid), "display": email, "type": "User", "$ref": f"{base_url}/Users/{uid}"}
                          for uid, email in state.members]
    if not doc.get("members"):
        doc.pop("members", None)
    return doc


def group_doc(state: GroupState, base_url: str) -> dict[str, Any]:
    """The Group resource of a team (RFC 7643 §4.2)."""
    doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(state.id), **group_body(state, base_url)}
    if state.external_id is not None:
        doc["externalId"] = state.external_id
    doc["meta"] = {"resourceType": "Group", "created": _stamp(state.created), "lastModified": _stamp(state.created),
                   "location": f"{base_url}/Groups/{state.id}"}
    return doc


def only_attributes(doc: dict[str, Any], attributes: str | None, excluded: str | None) -> dict[str, Any]:
    """``attributes`` / ``excludedAttributes`` (RFC 7644 §3.4.2.5) on top-level names; ``id``, ``schemas`` and
    ``meta`` always stay."""
    keep = {"id", "schemas", "meta"}
    if attributes:
        wanted = {a.strip().split(":")[-1].split(".")[0].lower() for a in attributes.split(",") if a.strip()}
        return {k: v for k, v in doc.items() if k in keep or k.lower() in wanted}
    if excluded:
        dropped = {a.strip().split(":")[-1].split(".")[0].lower() for a in excluded.split(",") if a.strip()}
        return {k: v for k, v in doc.items() if k in keep or k.lower() not in dropped}
    return doc


def list_doc(resources: list[dict[str, Any]], total: int, start_index: int) -> dict[str, Any]:
    return {"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start_index,
            "itemsPerPage": len(resources), "Resources": resources}


# --- request bodies -------------------------------------------------------------------------------------------


def _validated(model: type[Any], body: Any, ctx: Context) -> Any:
    if not isinstance(body, dict):
        raise ScimError(400, "body: a JSON object is expected", "invalidSyntax")
    try:
        return model.model_validate(body, scim_ctx=ctx)
    except SCIMException as exc:
        raise _from_scim(exc) from None
    except ValidationError as exc:
        raise _from_validation(exc) from None


def _dumped(resource: Any, kept: tuple[str, ...]) -> dict[str, Any]:
    try:
        doc = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    except (ValueError, TypeError) as exc:
        raise ScimError(400, f"body: {exc}", "invalidValue") from None
    return {k: v for k, v in doc.items() if k in kept}


def user_input(doc: dict[str, Any], external_id: str | None) -> UserInput:
    """What a User document asks for; ScimError names the attribute at fault."""
    user_name = str(doc.get("userName") or "").strip()
    if not user_name:
        raise ScimError(400, "userName: required", "invalidValue")
    email = _doc_email(doc)
    if not email:
        raise ScimError(400, "userName: not an e-mail address, and no emails value to use instead",
                        "invalidValue")
    return UserInput(email=email, name=_doc_name(doc), active=_doc_active(doc), external_id=external_id,
                     role=_doc_role(doc), user_name=None if user_name.lower() == email else user_name,
                     attributes=doc)


ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _known_schemas(body: Any, core: str) -> Any:
    """The body without extension schemas Sparring does not read (an identity provider's custom attributes):
    accepted and ignored, like the core attributes Sparring does not keep."""
    if not isinstance(body, dict) or not isinstance(body.get("schemas"), list):
        return body
    known = {core, ENTERPRISE_SCHEMA if core == USER_SCHEMA else core}
    dropped = {str(u) for u in body["schemas"] if str(u) not in known}
    out = {k: v for k, v in body.items() if k not in dropped}
    out["schemas"] = [u for u in body["schemas"] if str(u) in known] or [core]
    return out


def user_from_body(body: Any, *, replacing: bool = False) -> UserInput:
    """A POST (or, ``replacing``, a PUT) body read as a User; ScimError names the attribute at fault."""
    ctx = Context.RESOURCE_REPLACEMENT_REQUEST if replacing else Context.RESOURCE_CREATION_REQUEST
    body = _known_schemas(body, USER_SCHEMA)
    # Entra ID names the enterprise extension in every User it sends: accepted, and its attributes ignored
    user = _validated(User[EnterpriseUser], body, ctx)
    return user_input(_dumped(user, KEPT_USER), user.external_id)


def _member_ids(doc: dict[str, Any]) -> list[int]:
    out = []
    for m in doc.get("members") or []:
        raw = str(m.get("value", "") if isinstance(m, dict) else "").strip()
        if not raw.isdigit():
            raise ScimError(400, f"members: {raw!r} is not the id of a user of this organisation", "invalidValue")
        out.append(int(raw))
    return list(dict.fromkeys(out))


def group_input(doc: dict[str, Any], external_id: str | None) -> GroupInput:
    name = str(doc.get("displayName") or "").strip()
    if not name:
        raise ScimError(400, "displayName: required", "invalidValue")
    return GroupInput(name=name, external_id=external_id, member_ids=_member_ids(doc), attributes=doc)


def group_from_body(body: Any, *, replacing: bool = False) -> GroupInput:
    ctx = Context.RESOURCE_REPLACEMENT_REQUEST if replacing else Context.RESOURCE_CREATION_REQUEST
    body = _known_schemas(body, GROUP_SCHEMA)
    group = _validated(Group, body, ctx)
    return group_input(_dumped(group, KEPT_GROUP), group.external_id)


def _user_model(state: UserState) -> User[Any]:
    """The account as a ``User`` (validated from its document; built without validation for an address that the
    SCIM validator refuses, such as one at a ``.test`` domain)."""
    doc = {"schemas": [USER_SCHEMA], "id": str(state.id), **user_body(state)}
    if state.external_id is not None:
        doc["externalId"] = state.external_id
    try:
        return User.model_validate(doc)
    except (ValidationError, SCIMException):
        parts = _split_name(state.name)
        return User.model_construct(
            schemas=[USER_SCHEMA], id=str(state.id), user_name=state.user_name or state.email,
            external_id=state.external_id,
            name=Name.model_construct(formatted=parts.get("formatted"), given_name=parts.get("givenName"),
                                      family_name=parts.get("familyName")),
            display_name=state.name or None, active=state.active,
            emails=[Email.model_construct(value=state.email, type=Email.Type.work, primary=True)],
            roles=[Role.model_construct(value=state.role, primary=True)],
            groups=[GroupMembership.model_construct(value=str(t), display=n) for t, n in state.groups] or None,
        )


def _group_model(state: GroupState, base_url: str) -> Group:
    doc = {"schemas": [GROUP_SCHEMA], "id": str(state.id), **group_body(state, base_url)}
    if state.external_id is not None:
        doc["externalId"] = state.external_id
    try:
        return Group.model_validate(doc)
    except (ValidationError, SCIMException):
        return Group.model_construct(
            schemas=[GROUP_SCHEMA], id=str(state.id), display_name=state.name, external_id=state.external_id,
            members=[GroupMember.model_construct(value=str(u), display=e, type="User") for u, e in state.members],
        )


def _patch(model: type[Any], resource: Any, body: Any) -> None:
    if not isinstance(body, dict):
        raise ScimError(400, "body: a JSON object is expected", "invalidSyntax")
    ops = body.get("Operations")
    if not isinstance(ops, list) or not ops:
        raise ScimError(400, "Operations: give at least one operation", "invalidSyntax")
    body = {**body, "Operations": [_entra_op(op) for op in ops]}
    try:
        patch = PatchOp[model].model_validate(  # type: ignore[valid-type]
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=PATCH_POLICY)
        patch.patch(resource, scim_policy=PATCH_POLICY)
    except SCIMException as exc:
        raise _from_scim(exc) from None
    except ValidationError as exc:
        raise _from_validation(exc) from None


def _entra_op(op: Any) -> Any:
    """Entra ID sends ``"value": "False"`` for ``active`` (a string); read it as the boolean it means."""
    if isinstance(op, dict) and str(op.get("path", "")).lower() == "active" and isinstance(op.get("value"), str):
        text = op["value"].strip().lower()
        if text in ("true", "false"):
            return {**op, "value": text == "true"}
    return op


def patched_user(state: UserState, body: Any) -> UserInput:
    """The account after a PATCH (RFC 7644 §3.5.2): Okta's and Entra ID's operations alike. A PATCH that removes
    ``roles`` makes the account a learner (a PUT without ``roles`` leaves the role as it is)."""
    user = _user_model(state)
    _patch(User, user, body)
    wanted = user_input(_dumped(user, KEPT_USER), user.external_id)
    if wanted.role is None and not user.roles:
        wanted = UserInput(**{**wanted.__dict__, "role": "learner"})
    return wanted


def patched_group(state: GroupState, body: Any, base_url: str) -> GroupInput:
    group = _group_model(state, base_url)
    _patch(Group, group, body)
    return group_input(_dumped(group, KEPT_GROUP), group.external_id)


# --- filters --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """A parsed filter. ``equals`` is (attribute, value) for the simple ``attr eq "value"`` the providers send
    most (a database lookup); anything else is matched resource by resource."""

    text: str
    parsed: Any
    equals: tuple[str, str] | None


def parse_filter(text: str | None, resource: str) -> Filter | None:
    if text is None or not text.strip():
        return None
    if len(text) > MAX_FILTER_CHARS:
        raise ScimError(400, f"filter: longer than {MAX_FILTER_CHARS} characters", "invalidFilter")
    model = User if resource == "User" else Group
    try:
        parsed = ScimFilter[model](text)  # type: ignore[valid-type]
        ast = parsed.ast
    except SCIMException as exc:
        err = _from_scim(exc)
        raise ScimError(400, f"filter: {err.detail}", "invalidFilter") from None
    except (ValueError, TypeError) as exc:
        raise ScimError(400, f"filter: {exc}", "invalidFilter") from None
    equals = None
    if (isinstance(ast, Comparison) and str(ast.op.value) == "eq" and ast.attr_path.sub_attr is None
            and isinstance(ast.value, str)):
        equals = (str(ast.attr_path.attr).lower(), ast.value)
    return Filter(text=text, parsed=parsed, equals=equals)


def user_matches(flt: Filter, state: UserState) -> bool:
    try:
        return bool(flt.parsed.match(_user_model(state)))
    except SCIMException as exc:
        raise ScimError(400, f"filter: {_from_scim(exc).detail}", "invalidFilter") from None


def group_matches(flt: Filter, state: GroupState, base_url: str) -> bool:
    try:
        return bool(flt.parsed.match(_group_model(state, base_url)))
    except SCIMException as exc:
        raise ScimError(400, f"filter: {_from_scim(exc).detail}", "invalidFilter") from None
