"""How the web app answers when something goes wrong: one error format, documented in the OpenAPI.

Every error body is ``{"detail": "..."}`` (``ErrorBody``): ``detail`` is one line written for a person that
names the problem (the field, the parameter) and never repeats unbounded input. A request that does not fit
the schema (422) lists each problem in that line. A stored secret that does not open with the installation's keys
(``UnsealError``, docs/security.md "Secrets at rest") where no route mapped it is a 503 that names the column and
what an administrator can do, logged without a traceback. An unexpected exception becomes a 500 whose body also
carries ``error_id``; the server logs the traceback under that id (logger ``sparring.web``), so an operator can
find it, and the client gets a proper answer instead of a dropped connection. Pages (a browser asking for
HTML, outside /api) get the same answers as an HTML error page.

``install(app)`` registers the handlers, the 500 middleware and the OpenAPI post-processing that documents
every error response of every /api operation with ``ErrorBody``.
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sparring.kernel.sealing import UnsealError

log = logging.getLogger("sparring.web")


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: str = Field(description="what went wrong, in one line for a person; never repeats long input")
    error_id: str | None = Field(
        default=None, description="only on 500: the id under which the server logged the error"
    )


DESCRIPTIONS = {
    400: "bad input: the detail names the field and the problem",
    401: "not signed in",
    403: "not allowed: the CSRF token is missing or wrong, or the role may not do this",
    404: "no such thing, or not the caller's to see (the same answer either way)",
    409: "the request does not fit the current state (e.g. the rep has ended)",
    411: "an upload without a Content-Length header",
    413: "the request body is larger than this route accepts",
    415: "a request body that is not application/json",
    422: "a parameter or the body does not fit the schema: the detail names each problem",
    429: "too many failed attempts; try again after Retry-After seconds",
    500: "an unexpected error; the server logged it under error_id",
    503: "an engine (persona or scorer) failed; whatever was saved before stays saved",
}

#: most problems one 422 lists (a huge malformed body could otherwise produce thousands)
MAX_PROBLEMS = 10

_PAGE_MESSAGES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible now",
    422: "Bad request",
    500: "Something went wrong",
    503: "Not available",
}
_NOT_FOUND = "There is nothing here, or it is not yours to see."
_FORBIDDEN = "Your role does not give access to this page."


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each code documented with ``ErrorBody``."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


def wants_html(request: Request) -> bool:
    """A page request from a browser (not the API, not a script asking for JSON or an event stream)."""
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def _page(request: Request, status: int, message: str) -> Response:
    """The HTML error page; a bare page when even rendering fails (e.g. the database is down)."""
    from sparring.web.deps import optional_auth, render

    heading = _PAGE_MESSAGES.get(status, "Error")
    try:
        auth = optional_auth(request) if status != 500 else None
        return render(request, "error.html", auth, status_code=status, status=status, heading=heading,
                      message=message)
    except Exception:  # the page of last resort must not fail itself
        log.exception("could not render the error page")
        body = f"<!doctype html><title>{status}</title><h1>{heading}</h1><p>{html.escape(message)}</p>"
        return HTMLResponse(body, status_code=status)


def _sentence(detail: str) -> str:
    text = detail.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if wants_html(request) and exc.status_code in _PAGE_MESSAGES:
        if exc.status_code == 404:
            message = _NOT_FOUND
        elif exc.status_code == 403:
            message = _sentence(detail) if detail else _FORBIDDEN
        else:
            message = _sentence(detail)
        return _page(request, exc.status_code, message)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def validation_detail(exc: RequestValidationError) -> str:
    """Every problem as ``where: what`` in one line. Pydantic's messages name the rule, not the input."""
    problems = []
    for e in exc.errors()[:MAX_PROBLEMS]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        problems.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg", "invalid")))
    more = len(exc.errors()) - MAX_PROBLEMS
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems) or "invalid request"


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = validation_detail(exc)
    if wants_html(request):
        if all(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            # an address whose id cannot exist (a typo, a huge number): to a person that is a page not found
            return _page(request, 404, _NOT_FOUND)
        return _page(request, 422, _sentence(detail))
    return JSONResponse({"detail": detail}, status_code=422)


#: what an administrator can do about a secret that does not open (added to ``UnsealError``'s own message)
UNSEALABLE_FIX = ("an administrator can type the secret again (or rotate it) on its admin page, or restore the "
                  "installation key and run `sparring db seal-secrets` (docs/security.md, \"Secrets at rest\")")


async def unseal_error(request: Request, exc: Exception) -> Response:
    """A stored secret this installation's keys cannot open, where the route did not map it itself: 503 with the
    column, the row and the fix, never the secret (the message holds none)."""
    assert isinstance(exc, UnsealError)
    log.error("a stored secret cannot be read on %s %s: %s", request.method, request.url.path, exc)
    detail = f"a stored secret cannot be read on this server: {exc}; {UNSEALABLE_FIX}"
    if wants_html(request):
        return _page(request, 503, _sentence(detail))
    return JSONResponse({"detail": detail}, status_code=503)


def server_error(request: Request, error_id: str) -> Response:
    """The answer to an unexpected exception (already logged under ``error_id``)."""
    message = f"An unexpected error occurred; it was logged as {error_id}."
    if wants_html(request):
        return _page(request, 500, message + " Try again, or tell your administrator the id.")
    return JSONResponse({"detail": "internal error; it was logged as " + error_id, "error_id": error_id},
                        status_code=500)


class ErrorPages:
    """Turns any exception no handler took into a logged error with an id and a 500 answer.

    It sits inside the other middlewares (so the answer carries the security headers) and outside FastAPI's
    exception handlers. When the response had already started (a stream failing half-way), there is nothing
    left to answer: the error is logged with its id and re-raised, and the server closes the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_id = secrets.token_hex(6)
            log.error("unexpected error %s on %s %s", error_id, scope.get("method"), scope.get("path"),
                      exc_info=exc)
            if started:
                raise
            response = server_error(Request(scope), error_id)
            await response(scope, receive, send)


# --- the OpenAPI document -----------------------------------------------------------------------------------

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def document_errors(schema: dict[str, Any]) -> None:
    """Make every error response of every operation an ``ErrorBody`` and add the ones any operation can give:
    422 when it takes parameters or a body (a body that is not even JSON is a 422 too: FastAPI's "JSON decode
    error"), 400 (a value the service refuses) and 415 (not JSON) when it takes a JSON body, 500 always."""
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete") or not path.startswith("/api"):
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            codes = ["500"]
            if operation.get("parameters") or operation.get("requestBody"):
                codes.append("422")
            if operation.get("requestBody"):
                codes += ["400", "415"]  # 400: a value the service refuses (InvalidInput), naming the field
            for code in codes:
                responses.setdefault(code, {"description": DESCRIPTIONS[int(code)]})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    if response.get("description") in ("Validation Error", "", None):
                        response["description"] = DESCRIPTIONS.get(int(code), "error")
                    response["content"] = {"application/json": {"schema": dict(_ERROR_REF)}}
            operation["responses"] = dict(sorted(responses.items()))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    text = repr(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in text:
            components.pop(unused, None)


def install(app: FastAPI) -> None:
    """Register the error handlers, the 500 middleware and the OpenAPI post-processing on ``app``."""
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(UnsealError, unseal_error)
    # innermost of the app's middlewares: added last, but appended so the security headers wrap its answers
    app.user_middleware.append(Middleware(ErrorPages))
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_errors(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
