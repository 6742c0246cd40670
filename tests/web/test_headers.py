"""Response headers (sparring.web.headers) and /.well-known/security.txt: no-store on every dynamic answer,
HSTS only behind https, no Server banner from the real HTTP server, security.txt only with a contact."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from sparring.server import SERVER_OPTIONS
from sparring.settings import Settings
from sparring.testing.web import World, login
from sparring.web.app import create_app
from sparring.web.routes.wellknown import security_txt


def test_dynamic_answers_are_not_cached_static_files_may_be(world: World) -> None:
    anonymous = TestClient(world.app)
    learner = login(world.app, "learner_a1")
    for response in (anonymous.get("/login"), learner.get("/"), learner.get("/history"), learner.get("/api/reps"),
                     learner.get("/api/reps/999999"), anonymous.get("/api/me")):
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-frame-options"] == "DENY"
    static = anonymous.get("/static/practice.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


def test_hsts_only_when_the_public_url_is_https(tmp_path: Path) -> None:
    plain = TestClient(create_app(Settings(data_dir=tmp_path / "a"), warm_up=False))
    assert "strict-transport-security" not in plain.get("/login").headers
    secure = TestClient(create_app(Settings(data_dir=tmp_path / "b", public_url="https://sparring.example.com"),
                                   warm_up=False))
    response = secure.get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "secure" in response.headers.get("set-cookie", "").lower()  # the pre-login cookie is Secure too


def test_security_txt_is_served_only_with_a_contact(tmp_path: Path) -> None:
    none = TestClient(create_app(Settings(data_dir=tmp_path / "a"), warm_up=False))
    assert none.get("/.well-known/security.txt").status_code == 404
    app = create_app(Settings(data_dir=tmp_path / "b", security_contact="security@acme.test",
                              public_url="https://sparring.acme.test/"), warm_up=False)
    r = TestClient(app).get("/.well-known/security.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    fields = dict(line.split(": ", 1) for line in r.text.strip().splitlines())
    assert fields["Contact"] == "mailto:security@acme.test"
    assert fields["Canonical"] == "https://sparring.acme.test/.well-known/security.txt"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 300 < (expires - datetime.now(UTC)).days <= 365


def test_security_txt_keeps_a_uri_contact() -> None:
    text = security_txt(Settings(security_contact="https://acme.test/report"), datetime(2026, 1, 1, tzinfo=UTC))
    assert text is not None
    assert "Contact: https://acme.test/report\n" in text and "Expires: 2027-01-01T00:00:00Z" in text
    assert "Canonical" not in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_http_server_sends_no_server_banner(tmp_path: Path) -> None:
    """The banner is added by uvicorn below the app; only the server options can remove it."""
    port = _free_port()
    app = create_app(Settings(data_dir=tmp_path), warm_up=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **SERVER_OPTIONS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        response = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 200
        assert "server" not in response.headers
    finally:
        server.should_exit = True
        thread.join(timeout=10)

