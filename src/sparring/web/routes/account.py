"""The signed-in user's account page: two-factor sign-in (TOTP) enrolment, recovery codes, switching it off.

Enrolment: *Set up* stores a new secret (still off) and shows it as text, as an ``otpauth://`` URI and as a QR
code drawn on the server (segno, SVG: no script, no CDN); the factor is switched on only when a code from the
app checks, and the ten recovery codes are shown once, on that answer. Switching it off or making new recovery
codes asks for the password and a current code, through the login guard (so those guesses are throttled like a
login). Any role may use it; admins should.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.services.errors import ServiceError
from sparring.services.second_factor import Enrolment, SecondFactor
from sparring.web.deps import Auth, PageAuth, form_with_csrf, render, set_flash, web
from sparring.web.login import throttled_message

router = APIRouter(include_in_schema=False)


def _factor(request: Request) -> SecondFactor:
    """The second-factor service on the login guard's clock (one clock for enrolment and login)."""
    return SecondFactor(web(request).database(), clock=web(request).throttle.guard.clock)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (only paths: nothing of the input is written as text)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#111", light="#fff"))


def _page(request: Request, auth: Auth, *, status_code: int = 200, error: str | None = None,
          codes: list[str] | None = None) -> Response:
    factor = _factor(request)
    status = factor.status(auth.viewer.id)
    pending: Enrolment | None = factor.pending(auth.viewer.id) if status.pending else None
    return render(request, "account.html", auth, active="account", status_code=status_code, status=status,
                  pending=pending, qr=qr_svg(pending.uri) if pending else None, error=error, codes=codes)


@router.get("/account")
def account_page(request: Request, auth: PageAuth) -> Response:
    return _page(request, auth)


@router.post("/account/totp/begin")
async def totp_begin(request: Request, auth: PageAuth) -> Response:
    await form_with_csrf(request, auth)

    def work() -> Response:
        try:
            _factor(request).begin(auth.viewer.id)
        except ServiceError as exc:
            return _page(request, auth, status_code=409, error=str(exc))
        return RedirectResponse("/account#two-factor", status_code=303)

    return await run_in_threadpool(work)


@router.post("/account/totp/confirm")
async def totp_confirm(request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)

    def work() -> Response:
        try:
            codes = _factor(request).confirm(auth.viewer.id, form.get("code", "")[:40])
        except ServiceError as exc:
            return _page(request, auth, status_code=400, error=str(exc))
        return _page(request, auth, codes=codes)

    return await run_in_threadpool(work)


def _reauthenticated(request: Request, auth: Auth, form: dict[str, str]) -> Response | None:
    """None when the form's password and code are right; otherwise the page with the reason."""
    throttle = web(request).throttle
    result = throttle.guard.login(web(request).database(), auth.viewer.email, form.get("password", ""),
                                  throttle.client(request), form.get("code", "") or None)
    if result.outcome == "ok" and result.user is not None and result.user.id == auth.viewer.id:
        return None
    if result.outcome == "throttled":
        response = _page(request, auth, status_code=429, error=throttled_message(result).capitalize() + ".")
        response.headers["Retry-After"] = result.retry_after_header
        return response
    error: Any = {"invalid": result.problem, "code_required": "Give a current code from your authenticator app.",
                  "factor_unreadable": result.problem,
                  "wrong_code": "Wrong or already used code."}.get(result.outcome, "Wrong password.")
    status = {"invalid": 422, "factor_unreadable": 403}.get(result.outcome, 401)
    return _page(request, auth, status_code=status, error=str(error)[:400])


@router.post("/account/totp/disable")
async def totp_disable(request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)

    def work() -> Response:
        refused = _reauthenticated(request, auth, form)
        if refused is not None:
            return refused
        _factor(request).disable(auth.viewer.id)
        response = RedirectResponse("/account", status_code=303)
        set_flash(response, "ok", "Two-factor sign-in is off.")
        return response

    return await run_in_threadpool(work)


@router.post("/account/totp/recovery-codes")
async def totp_new_codes(request: Request, auth: PageAuth) -> Response:
    form = await form_with_csrf(request, auth)

    def work() -> Response:
        refused = _reauthenticated(request, auth, form)
        if refused is not None:
            return refused
        codes = _factor(request).regenerate_recovery_codes(auth.viewer.id)
        return _page(request, auth, codes=codes)

    return await run_in_threadpool(work)
