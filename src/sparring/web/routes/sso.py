"""Single sign-on pages (docs/sso.md): finding the organisation's identity provider from a typed e-mail
(``POST /login/sso``) or its slug (``/login/sso/{org_slug}``), sending the browser there
(``/sso/{provider_id}/start``) and taking the answer (OIDC: ``/sso/oidc/{provider_id}/callback``; SAML: the ACS
``/sso/saml/{provider_id}/acs``, and the SP metadata at ``/sso/saml/{provider_id}/metadata``). The flow and the rules
are in ``sparring.services.sso_flow`` and ``sso_login``; a sign-in that works starts the same session as a password
login (no second-factor step: the identity provider does that).

The OIDC ``state`` is also kept in a short-lived cookie of this browser and must come back with the answer, so a
callback URL made in another browser (login CSRF) does not sign this one in. SAML's answer is a cross-site POST,
which carries a cookie only when it is ``SameSite=None; Secure``: the same check is made when the app runs over
HTTPS (secure cookies), and not over plain HTTP (docs/sso.md, "Limits").
"""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.services import sso_config, sso_flow
from sparring.services.errors import NotFound
from sparring.web.deps import ReadDB, form_with_csrf, render, web
from sparring.web.params import DbId
from sparring.web.routes.auth import safe_next, start_session

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "sparring_sso"
STATE_MAX_AGE = sso_flow.PENDING_SECONDS


def base_url(request: Request) -> str:
    """The address the identity provider sends people back to: SPARRING_PUBLIC_URL, else this request's."""
    public = request.app.state.settings.public_url
    return (public or str(request.base_url)).rstrip("/")


def _failed(request: Request, message: str, status_code: int = 401) -> Response:
    text = message[:1].upper() + message[1:300]
    response = render(request, "login.html", None, status_code=status_code, error=f"Single sign-on failed: {text}",
                      next="/", sso=True)
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


@router.post("/login/sso")
async def sso_by_email(request: Request) -> Response:
    """Home-realm discovery: the typed e-mail's domain → the identity provider that lists it."""
    form = await form_with_csrf(request, None)
    email, next_url = form.get("email", "")[:320], safe_next(form.get("next"))

    def find() -> list[tuple[int, str]]:
        with web(request).database().read() as s:
            return [(p.id, p.display_name) for p in sso_config.providers_for_email(s, email)]

    found = await run_in_threadpool(find)
    if len(found) == 1:
        return RedirectResponse(f"/sso/{found[0][0]}/start?next={quote(next_url)}", status_code=303)
    if not found:
        return render(request, "login.html", None, status_code=404, email=email, next=next_url, sso=True,
                      error="No single sign-on is set up for that e-mail's domain; log in with your password, or "
                            "ask your administrator for your organisation's sign-in link.")
    return render(request, "sso_choose.html", None, providers=found, next=next_url, org_name="")


@router.get("/login/sso/{org_slug}")
def sso_for_org(org_slug: str, request: Request, db: ReadDB, next: str | None = None) -> Response:
    """An organisation's sign-in link: straight to its identity provider, or a choice when it has several."""
    org, providers = sso_config.enabled_providers(db, org_slug[:80])
    if org is None or not providers:
        raise HTTPException(status_code=404, detail="no single sign-on for this organisation")
    next_url = safe_next(next)
    if len(providers) == 1:
        return RedirectResponse(f"/sso/{providers[0].id}/start?next={quote(next_url)}", status_code=303)
    return render(request, "sso_choose.html", None, providers=[(p.id, p.display_name) for p in providers],
                  next=next_url, org_name=org.name)


@router.get("/sso/{provider_id}/start")
async def sso_start(provider_id: DbId, request: Request, next: str | None = None) -> Response:
    """Send the browser to the identity provider."""
    database = web(request).database()
    try:
        begun = await run_in_threadpool(sso_flow.begin, database, provider_id, base_url(request), safe_next(next))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such identity provider") from exc
    except sso_flow.SsoFailed as exc:
        return _failed(request, str(exc), 502)
    response = RedirectResponse(begun.url, status_code=303)
    secure = web(request).secure_cookies
    if begun.kind == "oidc":  # the answer comes back as a top-level GET: a Lax cookie travels with it
        response.set_cookie(STATE_COOKIE, begun.token, max_age=STATE_MAX_AGE, httponly=True, samesite="lax",
                            secure=secure, path="/sso")
    elif secure:  # SAML's answer is a cross-site POST: only a SameSite=None cookie travels, and only over HTTPS
        response.set_cookie(STATE_COOKIE, begun.token, max_age=STATE_MAX_AGE, httponly=True, samesite="none",
                            secure=True, path="/sso")
    return response


@router.get("/sso/oidc/{provider_id}/callback")
async def oidc_callback(provider_id: DbId, request: Request, state: str = "", code: str = "",
                        error: str = "") -> Response:
    """The OIDC provider's answer: the code exchanged, the ID token verified, the person signed in."""
    state, code = state[:200], code[:2000]
    try:
        await run_in_threadpool(sso_flow.require_provider, web(request).database(), provider_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such identity provider") from exc
    cookie = request.cookies.get(STATE_COOKIE, "")
    if not state or not hmac.compare_digest(cookie.encode(), state.encode()):
        return _failed(request, "this answer does not belong to a sign-in started in this browser; start again", 400)
    try:
        done = await run_in_threadpool(sso_flow.finish_oidc, web(request).database(), provider_id,
                                       base_url(request), state, code, error[:100])
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such identity provider") from exc
    except sso_flow.SsoFailed as exc:
        return _failed(request, str(exc))
    return await run_in_threadpool(_session_for, request, done)


def _session_for(request: Request, done: sso_flow.SignedIn) -> Response:
    response = RedirectResponse(done.next_url, status_code=303)
    start_session(request, response, done.user, method="sso")
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


@router.get("/sso/saml/{provider_id}/metadata")
async def saml_metadata(provider_id: DbId, request: Request) -> Response:
    """Our SP metadata for one SAML provider: entity id and ACS URL, to load into the IdP."""
    try:
        xml = await run_in_threadpool(sso_flow.saml_metadata, web(request).database(), provider_id,
                                      base_url(request))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such SAML identity provider") from exc
    except sso_flow.SsoFailed as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    return Response(xml, media_type="application/samlmetadata+xml")


@router.post("/sso/saml/{provider_id}/acs")
async def saml_acs(provider_id: DbId, request: Request) -> Response:
    """The IdP's signed answer (HTTP-POST binding). No CSRF token: the IdP's page posts it; the response's signature
    and its InResponseTo (one of our pending sign-ins, used once) are what is checked — and over HTTPS also the
    browser's cookie from the start of the sign-in."""
    form = await request.form()
    saml_response = form.get("SAMLResponse")
    if not isinstance(saml_response, str) or not saml_response:
        return _failed(request, "the identity provider's answer has no SAMLResponse", 400)
    if web(request).secure_cookies:
        from sparring.integrations.saml import SamlError, in_response_to

        try:
            expected = in_response_to(saml_response)
        except SamlError as exc:
            return _failed(request, str(exc), 400)
        cookie = request.cookies.get(STATE_COOKIE, "")
        if not hmac.compare_digest(cookie.encode(), expected.encode()):
            return _failed(request, "this answer does not belong to a sign-in started in this browser; start again",
                           400)
    try:
        done = await run_in_threadpool(sso_flow.finish_saml, web(request).database(), provider_id,
                                       base_url(request), saml_response)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such SAML identity provider") from exc
    except sso_flow.SsoFailed as exc:
        return _failed(request, str(exc))
    return await run_in_threadpool(_session_for, request, done)
