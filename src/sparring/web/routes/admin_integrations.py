"""Admin page: the integrations in one place (docs/integrations.md) — API tokens, webhooks, xAPI delivery, LTI 1.3
platforms, SCIM provisioning and the MCP server — with each one's state, so the navigation has one "Integrations"
entry instead of one per system."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from sparring.store.api_token_models import ApiTokenRow
from sparring.store.integration_models import WebhookEndpointRow
from sparring.store.lti_models import LtiRegistrationRow
from sparring.store.scim_models import ScimTokenRow
from sparring.store.sso_models import SsoProviderRow
from sparring.web.content_scope import viewer_content
from sparring.web.deps import PageAuth, ReadDB, render, require_role

router = APIRouter(include_in_schema=False)


@router.get("/admin/integrations")
def integrations(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    require_role(auth, "admin")
    org = auth.viewer.org_id
    tokens = db.scalar(select(func.count()).select_from(ApiTokenRow).where(
        ApiTokenRow.org_id == org, ApiTokenRow.revoked_at.is_(None))) or 0
    hooks = db.scalar(select(func.count()).select_from(WebhookEndpointRow).where(
        WebhookEndpointRow.org_id == org)) or 0
    scim = db.scalar(select(func.count()).select_from(ScimTokenRow).where(
        ScimTokenRow.org_id == org, ScimTokenRow.revoked_at.is_(None))) or 0
    platforms = db.scalar(select(func.count()).select_from(LtiRegistrationRow).where(
        LtiRegistrationRow.org_id == org)) or 0
    idps = db.scalar(select(func.count()).select_from(SsoProviderRow).where(SsoProviderRow.org_id == org)) or 0
    settings = request.app.state.root.settings
    scenarios = viewer_content(request, auth.viewer).list_scenarios()
    return render(request, "admin_integrations.html", auth, active="integrations", tokens=tokens, hooks=hooks,
                  scim=scim, platforms=platforms, idps=idps, lrs=settings.xapi_lrs_url, scenarios=scenarios,
                  scorm_origins=settings.scorm_origins)
