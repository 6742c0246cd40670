"""``sparring audit list`` (docs/data-ownership.md, "Audit log"): an organisation's log newest first, as text or one
JSON document; an erasure from the command line is there under ``(cli)``; bad filters and an unknown organisation
are one line on stderr."""

from __future__ import annotations

import json

import pytest

from sparring.cli import main

PASSWORD = "harbour-lantern-quiet-42"


def test_audit_list(capsys: pytest.CaptureFixture[str]) -> None:
    for org, email_, role in (("Acme", "ada@acme.test", "admin"), ("Acme", "lee@acme.test", "learner"),
                              ("Globex", "gil@globex.test", "admin"), ("Globex", "gus@globex.test", "learner")):
        assert main(["users", "create", "--org", org, "--email", email_, "--password", PASSWORD, "--role", role]) == 0
    assert main(["users", "erase", "--email", "lee@acme.test", "--yes"]) == 0
    capsys.readouterr()
    assert main(["audit", "list", "--org", "acme", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)  # newest first: the erasure, then the two accounts made here
    assert main(["audit", "list", "--org", "acme", "--action", "audit.viewed", "--json"]) == 0
    reads = json.loads(capsys.readouterr().out)  # reading the log is logged, after the read (not in its own list)
    assert [(r["actor"], r["target_id"], r["via"], r["detail"]) for r in reads] == [("(cli)", "list", "cli", {})]
    assert [(r["action"], r["detail"]["email"], r["via"]) for r in rows[1:]] == \
        [("user.created", "lee@acme.test", "cli"), ("user.created", "ada@acme.test", "cli")]
    assert {k: rows[0][k] for k in ("actor", "action", "target_type", "via")} == \
        {"actor": "(cli)", "action": "user.erased", "target_type": "user", "via": "cli"}
    assert rows[0]["detail"]["email"] == "lee@acme.test"
    assert main(["audit", "list", "--org", "globex", "--json"]) == 0
    theirs = json.loads(capsys.readouterr().out)  # its own accounts only: never another organisation's rows
    assert {r["detail"]["email"] for r in theirs} == {"gil@globex.test", "gus@globex.test"}
    assert main(["audit", "list", "--org", "acme", "--action", "user.erased"]) == 0
    out = capsys.readouterr().out
    assert "user.erased" in out and "email=lee@acme.test" in out
    assert main(["audit", "list", "--org", "acme", "--since", "2001-01-01", "--until", "2001-01-02"]) == 0
    assert capsys.readouterr().out.strip() == "nothing logged"


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "acme", "--action", "rep.deleted"], "action: unknown action"),
    (["--org", "acme", "--since", "yesterday"], "since: give a date as YYYY-MM-DD"),
    (["--org", "nowhere"], "org: no organisation"),
])
def test_audit_list_refuses(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["users", "create", "--org", "Acme", "--email", "ada@acme.test", "--password", PASSWORD,
                 "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["audit", "list", *args]) != 0
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err and captured.out == ""
