"""The cap on request bodies (sparring.web.body_limit; docs/security.md, "Request size"): a body over a route's cap is
refused with 413 before any route reads it — by its declared length, or while it streams in without one — for
anyone, signed in or not; the routes that take files keep their larger limits and their own messages."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from sparring.testing.web import World, login
from sparring.web.body_limit import DEFAULT_MAX_BYTES, EDITOR_MAX_BYTES, cap_for


def _stream(total: int, piece: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(piece, total - sent)
        sent += piece


def test_a_large_body_is_refused_before_any_route_reads_it(world: World) -> None:
    anonymous = TestClient(world.app)
    big = b'{"email": "' + b"a" * (DEFAULT_MAX_BYTES + 10) + b'", "password": "x"}'
    declared = anonymous.post("/api/auth/login", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and "1,048,576 bytes" in declared.json()["detail"]
    assert declared.headers["x-frame-options"] == "DENY" and declared.headers["cache-control"] == "no-store"
    streamed = anonymous.post("/api/auth/login", content=_stream(2 * DEFAULT_MAX_BYTES),
                              headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    learner = login(world.app, "learner_a1")
    form = learner.post("/lines", data={"csrf_token": learner.headers["X-CSRF-Token"], "text": "x" * DEFAULT_MAX_BYTES})
    assert form.status_code == 413
    small = anonymous.post("/api/auth/login", json={"email": "nobody@example.com", "password": "wrong"})
    assert small.status_code == 401  # an ordinary body goes through untouched


def test_routes_that_take_files_keep_their_own_limits(world: World) -> None:
    assert cap_for("/calls/upload") > 100_000_000 and cap_for("/api/calls") > 100_000_000
    assert cap_for("/api/reps/12/speech") > 12 * 1024 * 1024 and cap_for("/api/reps/12/turns") == DEFAULT_MAX_BYTES
    assert cap_for("/admin/content/publish") == EDITOR_MAX_BYTES and cap_for("/scim/v2/Users") == 2 * DEFAULT_MAX_BYTES
    learner = login(world.app, "learner_a1")
    take = learner.post("/api/reps/999999/speech", files={"audio": ("t.webm", b"x" * (3 * DEFAULT_MAX_BYTES),
                                                                    "audio/webm")})
    assert take.status_code == 404  # past the cap: the route's own checks answer (no such rep)


def test_a_length_that_is_not_a_number_is_refused(world: World) -> None:
    anonymous = TestClient(world.app)
    r = anonymous.post("/api/auth/login", content=b"{}", headers={"content-type": "application/json",
                                                                  "content-length": "lots"})
    assert r.status_code in (400, 413) and r.status_code != 500
