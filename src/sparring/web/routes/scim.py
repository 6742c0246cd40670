"""SCIM 2.0 service provider at ``/scim/v2`` (RFC 7644; docs/scim.md): discovery, Users and Groups for the
organisation of the calling SCIM token. Authentication is ``Authorization: Bearer <SCIM token>`` only — no cookie,
no API token — so these routes need no CSRF token. Every answer is ``application/scim+json``; every error is a SCIM
Error (``urn:ietf:params:scim:api:messages:2.0:Error`` with ``status`` and, where RFC 7644 defines one,
``scimType``), 401 included. The work is in ``sparring.services.scim`` (one transaction per request: a request that
fails changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sparring.integrations import scim as protocol
from sparring.integrations import scim_discovery as discovery
from sparring.integrations.scim import MEDIA_TYPE, Filter, ScimError
from sparring.services import scim, scim_tokens
from sparring.services.scim_tokens import ScimCaller
from sparring.web.deps import bearer_token, web

router = APIRouter(prefix="/scim/v2", include_in_schema=False)
#: what a request does once its token is checked: (session, caller, base URL) -> the answer
Work = Callable[[Session, ScimCaller, str], Response]

def _json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(doc), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _error(exc: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if exc.status == 401 else None
    return _json(exc.body(), exc.status, headers)


def base_url(request: Request) -> str:
    public = request.app.state.root.settings.public_url
    return (public or str(request.base_url)).rstrip("/") + "/scim/v2"


def _caller(request: Request) -> ScimCaller:
    secret = bearer_token(request)
    found = scim_tokens.check_token(web(request).database(), secret) if secret else None
    if found is None:
        raise ScimError(401, "a SCIM token is needed: Authorization: Bearer <token> (Admin → Integrations → SCIM); "
                             "this one is missing, unknown or revoked")
    return found


#: the largest request body read (a SCIM user or group, or a PATCH of a large group's members)
MAX_BODY_BYTES = 1_000_000


async def _body(request: Request) -> Any:
    """The request's JSON body, read in chunks and refused (413) as soon as it passes ``MAX_BODY_BYTES``: a declared
    length over it is refused before anything is read, and nothing larger is ever held in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ScimError(413, "body: larger than 1 MB", "tooLarge")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise ScimError(413, "body: larger than 1 MB", "tooLarge")
    try:
        return json.loads(bytes(raw) or b"null")
    except ValueError as exc:
        raise ScimError(400, f"body: not JSON ({exc})", "invalidSyntax") from None


async def _run(request: Request, work: Work, *, write: bool = False, caller: ScimCaller | None = None) -> Response:
    def run() -> Response:
        try:
            who = caller if caller is not None else _caller(request)
            database = web(request).database()
            with database.session() if write else database.read() as s:
                return work(s, who, base_url(request))
        except ScimError as exc:
            return _error(exc)

    return await run_in_threadpool(run)


def _int(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ScimError(400, f"{name}: not a whole number: {raw[:20]!r}", "invalidValue") from None


def _paging(request: Request) -> tuple[int, int | None]:
    start = _int(request, "startIndex", 1) or 1
    return max(start, 1), _int(request, "count", None)


def _shown(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    return protocol.only_attributes(doc, request.query_params.get("attributes"),
                                    request.query_params.get("excludedAttributes"))


# --- discovery ------------------------------------------------------------------------------------------------


@router.get("/ServiceProviderConfig")
async def service_provider_config(request: Request) -> Response:
    return await _run(request, lambda s, c, base: _json(discovery.service_provider_config(base)))


def _listing(docs: list[dict[str, Any]]) -> Response:
    return _json(protocol.list_doc(docs, len(docs), 1))


def _one(docs: list[dict[str, Any]], key: str, what: str) -> Response:
    found = next((d for d in docs if d["id"] == key), None)
    if found is None:
        raise ScimError(404, f"no such {what}: {key[:80]}")
    return _json(found)


@router.get("/ResourceTypes")
async def resource_types(request: Request) -> Response:
    return await _run(request, lambda s, c, base: _listing(discovery.resource_types(base)))


@router.get("/ResourceTypes/{name}")
async def resource_type(request: Request, name: str) -> Response:
    return await _run(request, lambda s, c, base: _one(discovery.resource_types(base), name, "resource type"))


@router.get("/Schemas")
async def schemas(request: Request) -> Response:
    return await _run(request, lambda s, c, base: _listing(discovery.schemas(base)))


@router.get("/Schemas/{schema_id}")
async def schema(request: Request, schema_id: str) -> Response:
    return await _run(request, lambda s, c, base: _one(discovery.schemas(base), schema_id, "schema"))


# --- Users and Groups: the shared plumbing -------------------------------------------------------------------

State = TypeVar("State", protocol.UserState, protocol.GroupState)


@dataclass(frozen=True)
class _Query:
    """What a list asks for: a GET's query parameters or a POST …/.search body. ``with_members``: whether a
    Groups list reads the members (a GET whose ``excludedAttributes`` names them does not)."""

    flt: Filter | None
    start: int
    count: int | None
    attributes: str | None
    excluded: str | None
    with_members: bool = True


@dataclass(frozen=True)
class _Kind(Generic[State]):
    """A resource type: its SCIM name, how a page of it is found and how one is shown."""

    name: str
    find: Callable[[Session, ScimCaller, _Query, str], tuple[list[State], int]]
    doc: Callable[[State, str], dict[str, Any]]


def _find_users(s: Session, caller: ScimCaller, query: _Query, base: str) -> tuple[list[protocol.UserState], int]:
    return scim.list_users(s, caller, query.flt, query.start, query.count)


def _find_groups(s: Session, caller: ScimCaller, query: _Query, base: str) -> tuple[list[protocol.GroupState], int]:
    return scim.list_groups(s, caller, query.flt, base, query.start, query.count, with_members=query.with_members)


USERS = _Kind("User", _find_users, protocol.user_doc)
GROUPS = _Kind("Group", _find_groups, protocol.group_doc)


def _query(request: Request, resource: str) -> _Query:
    """A GET list's query parameters (the filter is checked first, then the paging)."""
    flt = protocol.parse_filter(request.query_params.get("filter"), resource)
    start, count = _paging(request)
    excluded = request.query_params.get("excludedAttributes")
    return _Query(flt, start, count, request.query_params.get("attributes"), excluded,
                  with_members="members" not in (excluded or "").lower())


def _search_query(body: dict[str, Any], resource: str) -> _Query:
    """POST …/.search (RFC 7644 §3.4.3): the query of a GET as a SearchRequest body."""

    def number(name: str, default: int | None) -> int | None:
        value = body.get(name, default)
        if value is not None and not isinstance(value, int):
            raise ScimError(400, f"{name}: not a whole number", "invalidValue")
        return value

    def listed(name: str) -> str | None:
        value = body.get(name)
        return ",".join(str(v) for v in value) if isinstance(value, list) else value

    flt = protocol.parse_filter(body.get("filter"), resource)
    start = max(number("startIndex", 1) or 1, 1)
    count = number("count", None)
    return _Query(flt, start, count, listed("attributes"), listed("excludedAttributes"))


def _page(s: Session, caller: ScimCaller, base: str, kind: _Kind[State], query: _Query) -> Response:
    found, total = kind.find(s, caller, query, base)
    docs = [protocol.only_attributes(kind.doc(x, base), query.attributes, query.excluded) for x in found]
    return _json(protocol.list_doc(docs, total, query.start))


async def _with_body(request: Request, work: Callable[[Any], Work], *, write: bool = True) -> Response:
    """Check the token, then read the JSON body and run what ``work(body)`` returns: a caller without a valid token
    gets 401 before a byte of the body is read; a body too large or not JSON (and whatever ``work`` refuses before
    it returns) is answered next."""
    try:
        caller = await run_in_threadpool(_caller, request)
        job = work(await _body(request))
    except ScimError as exc:
        return _error(exc)
    return await _run(request, job, write=write, caller=caller)


async def _list(request: Request, kind: _Kind[State]) -> Response:
    return await _run(request, lambda s, c, base: _page(s, c, base, kind, _query(request, kind.name)))


async def _search(request: Request, kind: _Kind[State]) -> Response:
    def work(body: Any) -> Work:
        if not isinstance(body, dict):
            raise ScimError(400, "body: a SearchRequest object is expected", "invalidSyntax")
        return lambda s, c, base: _page(s, c, base, kind, _search_query(body, kind.name))

    return await _with_body(request, work, write=False)


async def _get(request: Request, kind: _Kind[State], fetch: Callable[[Session, ScimCaller], State]) -> Response:
    return await _run(request, lambda s, c, base: _json(_shown(request, kind.doc(fetch(s, c), base))))


async def _write(request: Request, kind: _Kind[State], change: Callable[[Session, ScimCaller, str, Any], State], *,
                 created: bool = False) -> Response:
    """POST, PUT or PATCH of one resource: ``change(session, caller, base, body)`` and the resource as it is now
    (201 with its Location when ``created``)."""

    def work(body: Any) -> Work:
        def run(s: Session, caller: ScimCaller, base: str) -> Response:
            doc = kind.doc(change(s, caller, base, body), base)
            return _json(doc, 201, {"Location": doc["meta"]["location"]}) if created else _json(doc)

        return run

    return await _with_body(request, work)


async def _delete(request: Request, remove: Callable[[Session, ScimCaller], None]) -> Response:
    def work(s: Session, caller: ScimCaller, base: str) -> Response:
        remove(s, caller)
        return Response(status_code=204)

    return await _run(request, work, write=True)


# --- users ----------------------------------------------------------------------------------------------------


@router.get("/Users")
async def list_users(request: Request) -> Response:
    return await _list(request, USERS)


@router.post("/Users/.search")
async def search_users(request: Request) -> Response:
    return await _search(request, USERS)


@router.get("/Users/{user_id}")
async def get_user(request: Request, user_id: str) -> Response:
    return await _get(request, USERS, lambda s, c: scim.get_user(s, c, user_id))


@router.post("/Users")
async def create_user(request: Request) -> Response:
    return await _write(request, USERS, lambda s, c, base, body: scim.create_user(
        s, c, protocol.user_from_body(body)), created=True)


@router.put("/Users/{user_id}")
async def replace_user(request: Request, user_id: str) -> Response:
    return await _write(request, USERS, lambda s, c, base, body: scim.replace_user(
        s, c, user_id, protocol.user_from_body(body, replacing=True)))


@router.patch("/Users/{user_id}")
async def patch_user(request: Request, user_id: str) -> Response:
    return await _write(request, USERS, lambda s, c, base, body: scim.patch_user(s, c, user_id, body))


@router.delete("/Users/{user_id}")
async def delete_user(request: Request, user_id: str) -> Response:
    return await _delete(request, lambda s, c: scim.remove_user(s, c, user_id))


# --- groups ---------------------------------------------------------------------------------------------------


@router.get("/Groups")
async def list_groups(request: Request) -> Response:
    return await _list(request, GROUPS)


@router.post("/Groups/.search")
async def search_groups(request: Request) -> Response:
    return await _search(request, GROUPS)


@router.get("/Groups/{group_id}")
async def get_group(request: Request, group_id: str) -> Response:
    return await _get(request, GROUPS, lambda s, c: scim.get_group(s, c, group_id))


@router.post("/Groups")
async def create_group(request: Request) -> Response:
    return await _write(request, GROUPS, lambda s, c, base, body: scim.create_group(
        s, c, protocol.group_from_body(body), base), created=True)


@router.put("/Groups/{group_id}")
async def replace_group(request: Request, group_id: str) -> Response:
    return await _write(request, GROUPS, lambda s, c, base, body: scim.replace_group(
        s, c, group_id, protocol.group_from_body(body, replacing=True)))


@router.patch("/Groups/{group_id}")
async def patch_group(request: Request, group_id: str) -> Response:
    return await _write(request, GROUPS, lambda s, c, base, body: scim.patch_group(s, c, group_id, body, base))


@router.delete("/Groups/{group_id}")
async def delete_group(request: Request, group_id: str) -> Response:
    return await _delete(request, lambda s, c: scim.remove_group(s, c, group_id))


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def unknown(request: Request, rest: str) -> Response:
    """Anything else under /scim/v2: a SCIM 404 (after the token check: 401 first)."""

    def work(s: Session, caller: ScimCaller, base: str) -> Response:
        first = rest.strip("/").split("/")[0]
        if rest.strip("/") == ".search" and request.method == "POST":
            raise ScimError(501, "POST /.search across resource types is not supported: use /Users/.search or "
                                 "/Groups/.search")
        if first in ("ServiceProviderConfig", "ResourceTypes", "Schemas", "Users", "Groups"):
            raise ScimError(405, f"{request.method} is not allowed on /scim/v2/{rest[:80]}")
        raise ScimError(404, f"no such SCIM endpoint: /scim/v2/{rest[:80]} (this server serves Users, Groups, "
                             "ServiceProviderConfig, ResourceTypes and Schemas; no Bulk, no /Me)")

    return await _run(request, work)
