"""sparring.server: uvicorn is handed the web app's ASGI path (the command line never imports the web package),
and that path loads a working app."""

from __future__ import annotations

import os
from typing import Any

import pytest
import uvicorn
from uvicorn.importer import import_from_string

from sparring import server


def test_run_hands_uvicorn_the_asgi_path_and_the_server_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    server.run("127.0.0.1", 8123, workers=2)
    [(args, kwargs)] = calls
    assert args == ("sparring.web.asgi:app",)
    assert kwargs["host"] == "127.0.0.1" and kwargs["port"] == 8123 and kwargs["workers"] == 2
    assert kwargs["server_header"] is False  # no Server banner (sparring.web.headers)


def test_the_asgi_path_loads_the_web_app() -> None:
    from fastapi import FastAPI

    before = dict(os.environ)  # loading it applies the server process defaults to the environment
    try:
        assert isinstance(import_from_string(server.ASGI_APP), FastAPI)
    finally:
        os.environ.clear()
        os.environ.update(before)
