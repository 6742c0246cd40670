"""Admin pages for single sign-on (docs/sso.md): the organisation's identity providers (add, edit, delete), their claim
mapping and group rules, the password-login switch, and the values to paste into the identity provider (redirect
URI, sign-in link). The rules are in ``sparring.services.sso_config``; this module adapts them to pages and forms.
Every change is audited there. The client secret is never shown back, only its last four characters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sparring.services import sso_config, sso_flow
from sparring.services.errors import NotFound
from sparring.store.sso_models import SsoProviderRow
from sparring.web.deps import PageAuth, admin_action, render, require_role, web
from sparring.web.params import DbId
from sparring.web.routes.sso import base_url

router = APIRouter(include_in_schema=False)
BASE = "/admin/sso"


def _view(row: SsoProviderRow, base: str, org_slug: str) -> dict[str, Any]:
    return {
        "id": row.id, "kind": row.kind, "display_name": row.display_name, "enabled": row.enabled, "jit": row.jit,
        "email_domains": row.email_domains.replace(",", ", "), "oidc_issuer": row.oidc_issuer or "",
        "oidc_client_id": row.oidc_client_id or "", "secret_hint": sso_config.secret_hint(row),
        "oidc_scopes": row.oidc_scopes, "trust_email": row.trust_email, "claim_email": row.claim_email,
        "claim_name": row.claim_name, "claim_groups": row.claim_groups, "default_role": row.default_role,
        "role_rules": sso_config.rules_text(row.role_rules, "role"),
        "team_rules": sso_config.rules_text(row.team_rules, "team"),
        "redirect_uri": sso_flow.oidc_redirect_uri(base, row.id),
        "saml_idp_entity_id": row.saml_idp_entity_id or "", "saml_sso_url": row.saml_sso_url or "",
        "saml_idp_cert": row.saml_idp_cert or "", "saml_idp_metadata": row.saml_idp_metadata or "",
        "saml_sp_entity_id": row.saml_sp_entity_id or "",
        "sp_entity_id": sso_flow.saml_sp_entity_id(row, base), "acs_url": sso_flow.saml_acs_url(base, row.id),
        "metadata_url": sso_flow.saml_metadata_url(base, row.id),
        "sign_in_link": f"{base}/login/sso/{org_slug}",
    }


def _org_slug(request: Request, org_id: int) -> str:
    from sparring.store.models import Organisation

    with web(request).database().read() as s:
        org = s.get(Organisation, org_id)
        return org.slug if org else ""


@router.get(BASE)
def sso_page(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    base, slug = base_url(request), _org_slug(request, auth.viewer.org_id)
    with web(request).database().read() as s:
        providers = [_view(p, base, slug) for p in sso_config.list_providers(s, auth.viewer.org_id)]
        password_login = sso_config.password_login(s, auth.viewer.org_id)
    return render(request, "admin_sso.html", auth, active="integrations", providers=providers,
                  password_login=password_login, sign_in_link=f"{base}/login/sso/{slug}",
                  break_glass=request.app.state.settings.sso_break_glass,
                  redirect_pattern=sso_flow.oidc_redirect_uri(base, 0).replace("/0/", "/{id}/"),
                  acs_pattern=sso_flow.saml_acs_url(base, 0).replace("/0/", "/{id}/"))


@router.get(BASE + "/{provider_id}")
def provider_page(provider_id: DbId, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    base, slug = base_url(request), _org_slug(request, auth.viewer.org_id)
    with web(request).database().read() as s:
        try:
            row = sso_config.get_provider(s, auth.viewer.org_id, provider_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such identity provider") from exc
        provider = _view(row, base, slug)
    return render(request, "admin_sso_provider.html", auth, active="integrations", p=provider)


@router.post(BASE)
async def create_provider(request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            row = sso_config.create_provider(s, auth.viewer, form.get("kind", "oidc"), form)
            return f"Identity provider {row.id} ({row.display_name}) added."

    return await admin_action(request, auth, BASE, act)


@router.post(BASE + "/password-login")
async def password_login(request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        allowed = form.get("password_login") == "on"
        with web(request).database().session() as s:
            sso_config.set_password_login(s, auth.viewer, allowed)
        return "Password login is on." if allowed else "Password login is off: people sign in with single sign-on."

    return await admin_action(request, auth, BASE, act)


@router.post(BASE + "/{provider_id}")
async def update_provider(provider_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            sso_config.update_provider(s, auth.viewer, provider_id, form)
        return "Identity provider saved."

    return await admin_action(request, auth, f"{BASE}/{provider_id}", act)


@router.post(BASE + "/{provider_id}/delete")
async def delete_provider(provider_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(_form: dict[str, str]) -> str:
        with web(request).database().session() as s:
            sso_config.delete_provider(s, auth.viewer, provider_id)
        return f"Identity provider {provider_id} deleted; its linked identities go with it (the accounts stay)."

    return await admin_action(request, auth, BASE, act)
