"""``sparring users erase`` (docs/data-ownership.md): without --yes it says what would go and changes nothing; with
--yes the person and their reps are gone; the organisation's last admin is kept; an unknown address is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.cli import main

PASSWORD = "harbour-lantern-quiet-42"


def _users(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["users", "list", "--json"]) == 0
    return [u["email"] for u in json.loads(capsys.readouterr().out)]


def test_erase_a_person(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for email, role in (("ada@acme.test", "admin"), ("lee@acme.test", "learner")):
        assert main(["users", "create", "--org", "Acme", "--email", email, "--password", PASSWORD, "--role", role]) == 0
    script = tmp_path / "lines.txt"
    script.write_text("What would change for your team if the price stayed the same?\n", encoding="utf-8")
    assert main(["practice", "cs-renewal-discount", "--user", "lee@acme.test", "--script", str(script),
                 "--json"]) == 0
    capsys.readouterr()
    assert main(["users", "erase", "--email", "lee@acme.test"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("would erase lee@acme.test: ") and "1 users" in out and "1 reps" in out
    assert "run again with --yes" in out
    assert "lee@acme.test" in _users(capsys)
    assert main(["users", "erase", "--email", "lee@acme.test", "--yes", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["erased"] is True and done["deleted"]["users"] == 1
    assert "lee@acme.test" not in _users(capsys)


def test_erase_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "create", "--org", "Acme", "--email", "ada@acme.test", "--password", PASSWORD,
                 "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["users", "erase", "--email", "ada@acme.test", "--yes"]) == 1
    assert "last admin cannot be erased" in capsys.readouterr().err
    assert main(["users", "erase", "--email", "nobody@acme.test"]) == 1
    err = capsys.readouterr().err
    assert "unknown user nobody@acme.test" in err and "Traceback" not in err
