"""``sparring org export`` / ``sparring org import`` (docs/org-export.md): an organisation written to a JSON file
and imported by another instance; the audit logs say so; the file is never left half-written; user errors are one
line on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sparring.cli import main
from sparring.settings import reset_settings_cache
from sparring.store.models import User


def _accounts() -> None:
    """Two organisations, made through the service (``users create`` is tested elsewhere; it is slower)."""
    from sparring.cli.context import root
    from sparring.services.accounts import Accounts

    accounts = Accounts(root().database)
    for org, email_, role in (("Acme", "ada@acme.test", "admin"), ("Acme", "lee@acme.test", "learner"),
                              ("Globex", "gil@globex.test", "admin")):
        accounts.create_user(org, email_, None, role=role, team="East")


def test_export_then_import_on_another_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _accounts()
    out = tmp_path / "acme.json"
    capsys.readouterr()
    assert main(["org", "export", "--org", "acme", "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["org"] == "acme" and printed["rows"]["users"] == 2 and printed["rows"]["team_members"] == 2
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [u["email"] for u in doc["tables"]["users"]] == ["ada@acme.test", "lee@acme.test"]
    assert not list(tmp_path.glob("*.partial"))
    assert main(["audit", "list", "--org", "acme", "--action", "org.exported", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["detail"] == {"rows": sum(printed["rows"].values()),
                                                                "credentials": False}

    assert main(["org", "import", str(out)]) == 1  # the same instance has it
    err = capsys.readouterr().err
    assert "organisation.slug: an organisation 'acme' already exists here" in err and "Traceback" not in err

    monkeypatch.setenv("SPARRING_DATABASE_URL", f"sqlite:///{tmp_path / 'other' / 'sparring.db'}")
    reset_settings_cache()
    assert main(["org", "import", str(out), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["org"] == "acme" and done["rows"]["users"] == 2 and done["unlinked"] == {}
    assert main(["users", "list", "--org", "acme"]) == 0
    listed = capsys.readouterr().out
    assert "ada@acme.test" in listed and "lee@acme.test" in listed and "gil@globex.test" not in listed
    assert main(["audit", "list", "--org", "acme", "--action", "org.imported", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    for args, message in [
        (["export", "--org", "acme", "--out", f"{tmp_path}/x.csv"], "--out: "),
        (["export", "--org", "nowhere", "--out", f"{tmp_path}/x.json"], "org: no organisation 'nowhere'"),
        (["import", f"{tmp_path}/absent.json"], "absent.json: no such file"),
        (["import", f"{tmp_path}/bad.json"], "bad.json:1: not JSON"),
    ]:
        assert main(["org", *args]) != 0, args
        captured = capsys.readouterr()
        assert message in captured.err and "Traceback" not in captured.err and captured.out == "", args
    assert not list(tmp_path.rglob("x.json*"))  # never a half-written file


def test_an_export_with_credentials_that_cannot_be_unsealed_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A TOTP secret sealed with a key this installation lost: the export with credentials stops with one line
    naming the column and what to do (no traceback, no file left)."""
    from sparring.cli.context import root
    from sparring.services.second_factor import SecondFactor

    _accounts()
    db = root().database
    with db.read() as s:
        ada = s.scalars(select(User.id).where(User.email == "ada@acme.test")).one()
    SecondFactor(db).begin(ada)
    monkeypatch.setenv("SPARRING_SECRET_KEY", "a key that sealed nothing here")
    reset_settings_cache()
    out = tmp_path / "acme.json"
    assert main(["org", "export", "--org", "acme", "--out", str(out), "--include-credentials"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "users.totp_secret (row" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.partial"))
