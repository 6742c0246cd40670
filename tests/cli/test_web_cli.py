"""``sparring serve`` and ``sparring demo`` as commands: clear one-line errors, demo logins printed."""

from __future__ import annotations

import socket

import pytest

from sparring.cli import main


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
