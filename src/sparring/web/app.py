"""The FastAPI application: server-rendered pages, the JSON API under /api, and static files.

``create_app(settings)`` builds everything from settings and keeps no per-user state in the process
(sessions and data live in the database), so any number of workers can serve it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sparring.root import WEB_ROUTERS, Sparring
from sparring.services.login_guard import LoginGuard
from sparring.services.login_sessions import LoginSessions, SessionPolicy
from sparring.settings import Settings, get_settings
from sparring.web import errors
from sparring.web.api_docs import mount_api_docs
from sparring.web.body_limit import BodyLimit
from sparring.web.deps import NotSignedIn, WebContext
from sparring.web.headers import SecurityHeaders
from sparring.web.security import LoginThrottle, SessionCodec, load_or_create_secret, signing_keys

if TYPE_CHECKING:
    from sparring.jobs.queue import JobQueue
    from sparring.jobs.runner import InProcessRunner

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

#: settings a web server process uses unless the environment says otherwise
SERVER_ENV_DEFAULTS = {
    # one ONNX thread per embedding: a server runs many turns at once, so parallel requests (and workers) keep
    # the cores busy; a second intra-op thread per call only spins against them (measured: 2.4x the CPU per
    # learner line on a busy 2-core machine, docs/benchmarks.md "Web load")
    "SPARRING_EMBED_THREADS": "1",
}


#: the JSON API's version (docs/api.md, "Versioning"): MAJOR.MINOR; a minor release only adds (routes, optional
#: parameters, response keys), a major one may change or remove and is served beside the old one for a release
API_VERSION = "1.1"

def prepare_server_process() -> None:
    """Apply ``SERVER_ENV_DEFAULTS`` to this process (and the workers it starts); explicit settings win.
    Called by the ASGI entry point (``sparring serve`` loads it) before anything is embedded."""
    for name, value in SERVER_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)


def _templates() -> Jinja2Templates:
    from sparring.web.templating import configure

    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    configure(templates.env)
    return templates


def warm_up_engines(done: threading.Event | None = None) -> None:
    """Embed every built-in scenario's and rubric's example lines once, so the first learner after a restart
    does not wait for it. Runs on a background thread at start-up; errors surface on the request path."""
    try:
        from sparring.content.library import get_library
        from sparring.conversation.model import Conversation
        from sparring.persona import moves
        from sparring.scoring.embedded import EmbeddedScorer

        library = get_library()
        moves.warm_up(list(library.scenarios.values()))
        scorer = EmbeddedScorer()
        for rubric in library.rubrics.values():
            probe = Conversation()
            probe.add("Learner", "learner", "Thanks for the time. What matters most to you here?")
            probe.add("Counterpart", "counterpart", "Mostly the price, to be honest.")
            scorer.score(probe, rubric)
        # what is alive now (models, prototypes, the library) lives as long as the process: move it out of the
        # garbage collector's reach, so a full collection under load scans only request garbage (one such pass
        # over ~150k objects was seen to pause a worker for up to ~130 ms)
        gc.collect()
        gc.freeze()
    except Exception:  # the same work happens (and reports properly) on the first real request
        pass
    finally:
        if done is not None:
            done.set()


def start_job_runner(app: FastAPI) -> InProcessRunner | None:
    """The in-process job runner of this web process (docs/jobs.md), when jobs run in-process and the settings
    let the web app run them; None otherwise (e.g. Procrastinate: ``sparring worker`` runs them)."""
    from sparring.jobs.runner import InProcessRunner

    settings: Settings = app.state.settings
    queue = job_queue(app)
    if queue.backend != "inprocess" or not settings.jobs_in_web:
        return None
    runner = InProcessRunner(queue, poll_interval=settings.jobs_poll_interval,
                             lease_seconds=settings.jobs_lease_seconds)
    runner.start()
    return runner


def job_queue(app: FastAPI) -> JobQueue:
    """The job queue of this app (its composition root's), built on first use from its settings; tests may put
    their own on ``app.state.jobs``."""
    queue: JobQueue | None = getattr(app.state, "jobs", None)
    if queue is None:
        root: Sparring = app.state.root
        queue = app.state.jobs = root.jobs
    return queue


def include_routers(app: FastAPI, root: Sparring) -> None:
    """Every router of the ``sparring.web`` entry points (Sparring's own and plugins'). One that is not an
    APIRouter is reported (a warning and ``root.problems``) and left out; the app serves the others."""
    from fastapi import APIRouter

    for router in root.plugins.instances(WEB_ROUTERS, APIRouter):
        app.include_router(router)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.warm_up:
        threading.Thread(target=warm_up_engines, args=(app.state.warm,), name="sparring-web-warm-up",
                         daemon=True).start()
    else:
        app.state.warm.set()
    runner = None
    if app.state.run_jobs:
        try:
            runner = start_job_runner(app)
        except Exception:  # e.g. the database is down at start-up: serve anyway, requests report the problem
            log.exception("background jobs are not running in this web process")
    yield
    if runner is not None:  # graceful: the running job finishes, no new one starts
        await asyncio.to_thread(runner.stop)


def create_app(settings: Settings | None = None, secure_cookies: bool | None = None, warm_up: bool = True,
               run_jobs: bool = False, root: Sparring | None = None) -> FastAPI:
    """Build the web app. ``secure_cookies`` forces the cookie Secure flag (default: on behind HTTPS,
    i.e. when SPARRING_PUBLIC_URL starts with https, otherwise off so plain http://127.0.0.1 works).
    ``warm_up`` embeds the built-in content on a background thread when the server starts. ``run_jobs`` runs
    the in-process job runner while the server runs (``sparring serve``; docs/jobs.md). ``root``: the
    composition root to use (default: one built from ``settings``), whose database, engines, job queue and
    plugins (the ``sparring.web`` routers) the app uses."""
    if root is None:
        root = Sparring(settings or get_settings())
    settings = root.settings
    keys = signing_keys(load_or_create_secret(settings.data_dir, settings.secret_key), settings.previous_secret_keys)
    https = (settings.public_url or "").startswith("https://")
    if secure_cookies is None:
        secure_cookies = https
    app = FastAPI(
        title="Sparring",
        version=API_VERSION,
        description="Practise the conversations that drive a business. JSON API for reps, scorecards, calls, "
                    "content, people, progress, assignments and programs; sign in with a session or an API token "
                    "(`Authorization: Bearer`). Versioning policy and a Python client: docs/api.md.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served offline by mount_api_docs (FastAPI's page loads Swagger UI from a CDN)
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.warm_up = warm_up
    app.state.run_jobs = run_jobs
    app.state.settings = settings
    app.state.root = root
    app.state.warm = threading.Event()
    app.state.web = WebContext(
        codec=SessionCodec(keys, max_age=settings.session_max_hours * 3600),
        sessions=LoginSessions(SessionPolicy.of_minutes(settings.session_idle_minutes, settings.session_max_hours)),
        throttle=LoginThrottle(LoginGuard(break_glass=settings.sso_break_glass),
                               trusted_proxies=settings.trusted_proxies),
        templates=_templates(),
        secure_cookies=secure_cookies,
        database_url=root.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
    )
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, hsts=https)  # outermost: the 413 above carries the headers too
    mount_api_docs(app)  # before /static: its files live under /static/api-docs
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    root.database  # noqa: B018 (builds it: its commits fan integration events out to webhooks, sparring.root)
    include_routers(app, root)

    @app.exception_handler(NotSignedIn)
    async def _to_login(request: Request, _exc: NotSignedIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    errors.install(app)  # one error format (ErrorBody), 500s with an error id, documented in the OpenAPI

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Liveness, and whether this worker has finished embedding the built-in content."""
        return JSONResponse({"status": "ok", "warm": app.state.warm.is_set()})

    return app
