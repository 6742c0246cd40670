"""The ASGI entry point for running several workers (``uvicorn sparring.web.asgi:app --workers N``)."""

from __future__ import annotations

from sparring.web.app import create_app, prepare_server_process

prepare_server_process()
app = create_app(run_jobs=True)  # each worker process runs its in-process job runner (docs/jobs.md)
