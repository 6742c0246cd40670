"""Admin page for SCIM provisioning (docs/scim.md): the base URL to paste into Okta or Entra ID, the organisation's
SCIM tokens (a new one's secret is shown on the answer to the create form, once), and revoking one. Admins only;
every token listed or revoked is the admin's own organisation's (``sparring.services.scim_tokens``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sparring.services import scim_tokens
from sparring.services.errors import InvalidInput, NotFound
from sparring.web.deps import Auth, PageAuth, flash_after, form_with_csrf, render, require_role, web
from sparring.web.params import DbId
from sparring.web.routes.scim import base_url

router = APIRouter(include_in_schema=False)


def _page(request: Request, auth: Auth, *, secret: str | None = None, name: str = "", error: str | None = None,
          status_code: int = 200) -> Response:
    with web(request).database().read() as s:
        tokens = scim_tokens.list_tokens(s, auth.viewer.org_id)
    return render(request, "admin_scim.html", auth, active="integrations", status_code=status_code, tokens=tokens,
                  secret=secret, name=name, error=error, base_url=base_url(request),
                  public_url=request.app.state.root.settings.public_url)


@router.get("/admin/scim")
def scim_page(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    return _page(request, auth)


@router.post("/admin/scim/tokens")
async def create_token(request: Request, auth: PageAuth) -> Response:
    """Create a SCIM token and show its secret on this answer only (never in a cookie or a URL)."""
    require_role(auth, "admin")
    form = await form_with_csrf(request, auth)

    def work() -> Response:
        try:
            with web(request).database().session() as s:
                info, secret = scim_tokens.create_token(s, auth.viewer, form.get("name", ""))
        except InvalidInput as exc:  # names the field
            return _page(request, auth, error=str(exc), name=form.get("name", ""), status_code=400)
        return _page(request, auth, secret=secret, name=info.name, status_code=201)

    response = await run_in_threadpool(work)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/scim/tokens/{token_id}/revoke")
async def revoke_token(token_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    await form_with_csrf(request, auth)

    def work() -> str:
        with web(request).database().session() as s:
            info = scim_tokens.revoke_token(s, auth.viewer, token_id)
        return f"SCIM token '{info.name}' is revoked: the identity provider's requests with it now get 401."

    try:
        return await flash_after("/admin/scim", work, ())
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such SCIM token") from exc
