"""Admin page for API tokens (docs/api.md, "API tokens"): list the organisation's tokens, create one (its secret
is shown on the answer to the create form, once, and never again), revoke one. Admins only; every token and
account it lists or acts on is the admin's own organisation's (``sparring.services.api_tokens``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sparring.inputs import InputError
from sparring.services import api_tokens
from sparring.services.errors import InvalidInput, NotFound
from sparring.store.models import Organisation
from sparring.web.deps import Auth, PageAuth, flash_after, form_with_csrf, render, require_role, web
from sparring.web.params import DbId, form_id

router = APIRouter(include_in_schema=False)


def _page(request: Request, auth: Auth, *, created: api_tokens.NewToken | None = None, error: str | None = None,
          form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with web(request).database().read() as s:
        tokens = api_tokens.list_tokens(s, auth.viewer.org_id)
        users = [(u.id, u.email, u.role) for u in api_tokens.active_users(s, auth.viewer.org_id)]
        org = s.get(Organisation, auth.viewer.org_id)
        org_name = org.name if org else "your organisation"
    return render(request, "admin_tokens.html", auth, active="integrations", status_code=status_code, tokens=tokens,
                  users=[{"id": i, "email": e, "role": r} for i, e, r in users], created=created, error=error,
                  form=form or {}, now=datetime.now(UTC), org_name=org_name)


@router.get("/admin/tokens")
def tokens_page(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    return _page(request, auth)


@router.post("/admin/tokens")
async def create_token(request: Request, auth: PageAuth) -> Response:
    """Create a token and show its secret on this answer only (no redirect: the secret never goes into a
    cookie or a URL). A wrong field re-shows the form with the problem, naming the field (400)."""
    require_role(auth, "admin")
    form = await form_with_csrf(request, auth)

    def work() -> Response:
        try:
            user_id = form_id(form, "user") if form.get("user") else None
            expires = api_tokens.parse_expiry(form.get("expires", ""), datetime.now(UTC).date())
            with web(request).database().session() as s:
                created = api_tokens.create_token(s, auth.viewer, name=form.get("name", ""),
                                                  role=form.get("role", ""), user_id=user_id, expires_on=expires)
        except (InputError, InvalidInput) as exc:  # the message names the field
            return _page(request, auth, error=str(exc), form=form, status_code=400)
        return _page(request, auth, created=created, status_code=201)

    response = await run_in_threadpool(work)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/tokens/{token_id}/revoke")
async def revoke_token(token_id: DbId, request: Request, auth: PageAuth) -> Response:
    """Revoke a token of the admin's organisation (404 for another's); back to the list with a message."""
    require_role(auth, "admin")
    await form_with_csrf(request, auth)

    def work() -> str:
        with web(request).database().session() as s:
            info = api_tokens.revoke_token(s, auth.viewer, token_id)
        return f"Token '{info.name}' is revoked: requests with it now get 401."

    try:
        return await flash_after("/admin/tokens", work, ())
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such API token") from exc
