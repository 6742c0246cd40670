"""How a uvicorn server runs the web app (``sparring serve``, ``sparring demo``).

The app is named by its ASGI path, as a deployment names it (``uvicorn sparring.web.asgi:app``), and never
imported here: the command line starts the web app without importing web code (docs/architecture.md, "Layers").
The ASGI module applies the server process defaults and builds the app when uvicorn loads it, in each worker.
"""

from __future__ import annotations

from typing import Any

#: the web app, as uvicorn loads it
ASGI_APP = "sparring.web.asgi:app"
#: options for every uvicorn server that runs the app: no ``Server`` banner (uvicorn adds it below the ASGI
#: app, where a middleware cannot remove it; sparring.web.headers)
SERVER_OPTIONS: dict[str, Any] = {"server_header": False}


def run(host: str, port: int, workers: int = 1) -> None:
    """Serve the web app until interrupted; ``workers`` processes share the port."""
    import uvicorn

    uvicorn.run(ASGI_APP, host=host, port=port, workers=workers, log_level="warning", **SERVER_OPTIONS)
