"""The API reference at ``/api/docs``, served offline.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline script: blocked by the app's
Content-Security-Policy (``script-src 'self'``) and unreachable offline, so the page was blank. Here Swagger UI's
files come from the ``fastapi-offline`` package (only its static files are used), mounted under ``/static``, and
the page starts it from ``static/api-docs.js``. docs/api.md, "The API reference".
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Swagger UI's bundle, stylesheet and icon, as the package ships them
SWAGGER_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
#: where they are served (before the app's own ``/static`` mount, which would otherwise answer 404 for them)
ASSETS = "/static/api-docs"
DOCS_URL = "/api/docs"


def page(openapi_url: str, title: str) -> str:
    """The reference page: Swagger UI's files and Sparring's starter script, nothing inline."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)} · API reference</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body data-openapi="{escape(openapi_url)}">
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""


def mount_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI's files and the reference page on ``app`` (whose ``docs_url`` must be None)."""
    if not (SWAGGER_DIR / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"Swagger UI's files are missing from {SWAGGER_DIR} (the fastapi-offline package)")
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_DIR)), name="api-docs-assets")
    html = page(app.openapi_url or "/api/openapi.json", app.title)

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(html)
