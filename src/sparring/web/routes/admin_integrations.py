"""Admin page: the integrations in one place (docs/integrations.md) — API tokens, webhooks, xAPI delivery and the
MCP server — with each one's state, so the navigation has one "Integrations" entry instead of one per system."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from sparring.store.api_token_models import ApiTokenRow
from sparring.store.integration_models import WebhookEndpointRow
from sparring.store.sso_models import SsoProviderRow
from sparring.web.content_scope import viewer_content
from sparring.web.deps import PageAuth, ReadDB, render, require_role
from sparring.web.routes import admin_audit, admin_sso, sso

router = APIRouter(include_in_schema=False)
router.include_router(admin_audit.router)  # the audit log's pages (/admin/audit, /admin/audit.csv), linked from here
# single sign-on: the login side (/login/sso…, /sso/…) rides on this entry point so that no new one is needed
router.include_router(sso.router)
router.include_router(admin_sso.router)  # its admin pages (/admin/sso…), linked from the hub below


@router.get("/admin/integrations")
def integrations(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "admin")
    org = auth.viewer.org_id
    tokens = db.scalar(select(func.count()).select_from(ApiTokenRow).where(
        ApiTokenRow.org_id == org, ApiTokenRow.revoked_at.is_(None))) or 0
    hooks = db.scalar(select(func.count()).select_from(WebhookEndpointRow).where(
        WebhookEndpointRow.org_id == org)) or 0
    idps = db.scalar(select(func.count()).select_from(SsoProviderRow).where(SsoProviderRow.org_id == org)) or 0
    settings = request.app.state.root.settings
    scenarios = viewer_content(request, auth.viewer).list_scenarios()
    return render(request, "admin_integrations.html", auth, active="integrations", tokens=tokens, hooks=hooks,
                  lrs=settings.xapi_lrs_url, idps=idps, scenarios=scenarios, scorm_origins=settings.scorm_origins)
