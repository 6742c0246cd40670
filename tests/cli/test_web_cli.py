"""``sparring serve`` and ``sparring demo`` as commands: clear one-line errors, demo logins printed."""

from __future__ import annotations

import socket

import pytest

from sparring.cli import main
from sparring.settings import reset_settings_cache
from sparring.testing.processes import free_port


def test_serve_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "sparring: --port must be between 1 and 65535 (got 70000)"


def test_serve_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sparring: cannot listen on 127.0.0.1:{port}") and "Traceback" not in err


def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from sparring import server

    def refuse(*args: object) -> None:
        raise AssertionError("the server must not start with a bad configuration")

    monkeypatch.setattr(server, "run", refuse)


def test_serve_stops_on_a_bad_setting_before_any_worker_starts(capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _no_server(monkeypatch)
    monkeypatch.setenv("SPARRING_SESSION_IDLE_MINUTES", "abc")
    reset_settings_cache()
    try:
        assert main(["serve", "--port", str(free_port()), "--workers", "2"]) == 1
    finally:
        monkeypatch.delenv("SPARRING_SESSION_IDLE_MINUTES")
        reset_settings_cache()
    err = capsys.readouterr().err
    assert err.strip() == ("sparring: setting SPARRING_SESSION_IDLE_MINUTES: Input should be a valid integer, unable "
                           "to parse string as an integer (got 'abc')")


def test_serve_stops_when_the_database_cannot_be_opened(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _no_server(monkeypatch)
    monkeypatch.setenv("SPARRING_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:5432/no_such_database")
    reset_settings_cache()
    try:
        assert main(["serve", "--port", str(free_port()), "--workers", "2"]) == 1
    finally:
        monkeypatch.delenv("SPARRING_DATABASE_URL")
        reset_settings_cache()
    err = capsys.readouterr().err
    assert err.startswith("sparring: cannot open postgresql+psycopg://nobody@127.0.0.1:5432/no_such_database")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_demo_prints_the_logins(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sparring.services import demo

    calls: list[object] = []

    def fake_seed(database: object) -> demo.DemoResult:
        calls.append(database)
        return demo.DemoResult(False, [(u.role, u.email, demo.DEMO_PASSWORD) for u in demo.DEMO_USERS], 0)

    monkeypatch.setattr(demo, "seed_demo", fake_seed)
    assert main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "It already exists." in out and "manager@northwind.example" in out and demo.DEMO_PASSWORD in out
    assert len(calls) == 1

    logins = [("admin", "admin@northwind.example", demo.DEMO_PASSWORD)]
    for result, said in [(demo.DemoResult(True, logins, 13, 4, 2), "Created it with 13 scored reps, 4 real calls and "
                                                                     "2 coaching loops."),
                         (demo.DemoResult(False, logins, 0, 4, 2), "It already exists; added 4 real calls and 2 "
                                                                     "coaching loops."),
                         (demo.DemoResult(True, logins, 13, 4, 2, 7, 24), "Created it with 13 scored reps, 4 real "
                          "calls and 2 coaching loops, a practice sprint (/programs/7) with 24 reps so far."),
                         (demo.DemoResult(False, logins, 0, 0, 0, 7, 24), "It already exists; added a practice "
                          "sprint (/programs/7) with 24 reps so far.")]:
        monkeypatch.setattr(demo, "seed_demo", lambda database, result=result: result)
        assert main(["demo", "--no-serve"]) == 0
        assert said in capsys.readouterr().out
