"""``sparring program certify / certification / sign-off`` and ``sparring certificates`` in-process on both database
backends: the certification stored with its bars, one-line errors naming the field, an attempt (a practice rep at
the fixed scenario and difficulty) recorded once scored, the sign-off and the certificates listed as JSON."""

from __future__ import annotations

import csv
import json

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines  # noqa: F401  (fixture)
from sqlalchemy import select

from sparring.services import certification
from sparring.settings import reset_settings_cache
from sparring.store.db import Database
from sparring.store.models import User

database_url = support.database_url
run = support.run_cli
SCENARIO = "cs-renewal-discount"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def program(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> int:
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    for email, role in (("lee@acme.test", "learner"), ("kim@acme.test", "learner")):
        code, _, err = run(capsys, "users", "create", "--org", "Acme", "--email", email, "--password", PASSWORD,
                           "--role", role, "--team", "East")
        assert code == 0, err
    code, out, err = run(capsys, "program", "create", "--org", "Acme", "--name", "Renewal sprint", "--team", "East",
                         "--scenario", SCENARIO, "--start", "2026-01-05", "--end", "2026-12-31", "--target", "3",
                         "--json")
    assert code == 0, err
    return int(json.loads(out)["program_id"])


def test_certify_stores_the_bars_and_names_bad_input(program: int, capsys: pytest.CaptureFixture[str]) -> None:
    base = ("program", "certify", str(program), "--scenario", SCENARIO, "--difficulty", "hard", "--attempts", "2")
    for extra, named in [(("--bar", "next-step=1.4"), "outside 0..1"), (("--bar", "next-step"), "CRITERION="),
                         (("--bar", "a=met", "--bar", "a=0.5"), "each criterion once"),
                         (("--bar", "tone=0.5"), "bar: unknown criterion 'tone' (the rubric renewal-value has:")]:
        code, _, err = run(capsys, *base, *extra)
        assert code == 1 and named in err, err
    code, _, err = run(capsys, "program", "certify", str(program), "--scenario", "nope", "--difficulty", "hard",
                       "--attempts", "2", "--bar", "next-step=met")
    assert code == 1 and "scenario:" in err
    code, out, err = run(capsys, *base, "--bar", "next-step=met", "--bar", "explore-before-price=0.5", "--json")
    assert code == 0, err
    assert json.loads(out) == {"program_id": program, "scenario": SCENARIO, "difficulty": "hard", "attempts": 2,
                               "bars": {"next-step": "met", "explore-before-price": 0.5}}
    code, out, err = run(capsys, "program", "certification", str(program), "--json")
    assert code == 0, err
    assert {r["user"]: (r["status"], r["left"]) for r in json.loads(out)} == {
        "lee@acme.test": ("not_started", 2), "kim@acme.test": ("not_started", 2)}


def test_an_attempt_signed_off_becomes_a_certificate(program: int, database_url: str, tmp_path: object,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "program", "certify", str(program), "--scenario", SCENARIO, "--difficulty", "hard",
                       "--attempts", "1", "--bar", "next-step=met")
    assert code == 0, err
    lines = tmp_path / "lines.txt"  # type: ignore[operator]
    lines.write_text("What would change for you?\n")  # a question: the fake scorer meets every criterion
    code, out, err = run(capsys, "practice", SCENARIO, "--difficulty", "hard", "--script", str(lines),
                         "--user", "lee@acme.test", "--json")
    assert code == 0, err
    rep_id = int(json.loads(out)["rep_id"])
    db = Database(database_url)
    with db.session() as s:  # the rep marked as Lee's attempt (the web's "Take the certification rep" does this)
        lee = s.scalar(select(User.id).where(User.email == "lee@acme.test"))
        assert lee is not None
        certification.mark_attempt(s, lee, program, rep_id)
    code, out, _ = run(capsys, "program", "certification", str(program), "--json")
    assert {r["user"]: r["status"] for r in json.loads(out)}["lee@acme.test"] == "awaiting_sign_off"
    code, _, err = run(capsys, "program", "sign-off", str(program), "--user", "kim@acme.test")
    assert code == 1 and "has not passed" in err
    code, out, err = run(capsys, "program", "sign-off", str(program), "--user", "lee@acme.test")
    assert code == 0 and "lee@acme.test is certified on Renewal sprint" in out, err
    code, out, err = run(capsys, "certificates", "--user", "lee@acme.test", "--json")
    assert code == 0, err
    [doc] = json.loads(out)
    assert (doc["program_id"], doc["user"], doc["rep_id"], doc["signed_off_by"]) == (
        program, "lee@acme.test", rep_id, "operator")
    out_dir = tmp_path / "export"  # type: ignore[operator]
    code, _, err = run(capsys, "export", "csv", "--org", "Acme", "--out", str(out_dir))
    assert code == 0, err
    with (out_dir / "certificates.csv").open(newline="") as f:
        [row] = list(csv.DictReader(f))
    assert (row["program_id"], row["user_email"], row["rep_id"], row["scenario_id"], row["difficulty"],
            row["signed_off_by"]) == (str(program), "lee@acme.test", str(rep_id), SCENARIO, "hard", "")
    code, out, _ = run(capsys, "certificates", "--program", str(program + 1), "--json")
    assert json.loads(out) == []
    code, _, err = run(capsys, "certificates", "--user", "nobody@acme.test")
    assert code == 1 and "unknown user" in err


def test_revoke_keeps_the_certificate_on_record_as_revoked(program: int, database_url: str, tmp_path: object,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "program", "certify", str(program), "--scenario", SCENARIO, "--difficulty", "hard",
                       "--attempts", "2", "--bar", "next-step=met")
    assert code == 0, err
    lines = tmp_path / "lines.txt"  # type: ignore[operator]
    lines.write_text("What would change for you?\n")
    code, out, err = run(capsys, "practice", SCENARIO, "--difficulty", "hard", "--script", str(lines),
                         "--user", "lee@acme.test", "--json")
    assert code == 0, err
    db = Database(database_url)
    with db.session() as s:
        lee = s.scalar(select(User.id).where(User.email == "lee@acme.test"))
        assert lee is not None
        certification.mark_attempt(s, lee, program, int(json.loads(out)["rep_id"]))
    code, _, err = run(capsys, "program", "revoke", str(program), "--user", "lee@acme.test", "--reason", "x")
    assert code == 1 and "lee@acme.test has no certificate on Renewal sprint to revoke" in err
    assert run(capsys, "program", "sign-off", str(program), "--user", "lee@acme.test")[0] == 0
    code, _, err = run(capsys, "program", "revoke", str(program), "--user", "lee@acme.test")
    assert code == 2 and "--reason" in err  # required
    code, _, err = run(capsys, "program", "revoke", str(program), "--user", "lee@acme.test", "--reason", " ")
    assert code == 1 and "reason: say why" in err and "Traceback" not in err
    code, out, err = run(capsys, "program", "revoke", str(program), "--user", "lee@acme.test", "--reason",
                         "scripted answers")
    assert code == 0 and "lee@acme.test's certificate on Renewal sprint revoked" in out and "scripted answers" in out
    code, _, err = run(capsys, "program", "revoke", str(program), "--user", "lee@acme.test", "--reason", "again")
    assert code == 1 and "was already revoked on" in err
    code, out, err = run(capsys, "certificates")
    assert code == 0 and "REVOKED" in out and "by operator: scripted answers" in out, out
    code, out, _ = run(capsys, "certificates", "--json")
    [doc] = json.loads(out)
    assert (doc["revoked_by"], doc["revoked_reason"]) == ("operator", "scripted answers") and doc["revoked_at"]
    code, out, _ = run(capsys, "program", "certification", str(program), "--json")
    assert {r["user"]: (r["status"], r["left"]) for r in json.loads(out)}["lee@acme.test"] == ("revoked", 1)
    out_dir = tmp_path / "export"  # type: ignore[operator]
    assert run(capsys, "export", "csv", "--org", "Acme", "--out", str(out_dir))[0] == 0
    with (out_dir / "certificates.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        [row] = list(reader)
    assert list(reader.fieldnames or [])[-4:] == ["revoked_at", "revoked_by", "revoked_by_email", "revoked_reason"]
    assert row["revoked_at"].startswith("20") and (row["revoked_by"], row["revoked_reason"]) == ("", "scripted answers")
    code, out, _ = run(capsys, "jobs", "list", "--json")  # the learner's notification is queued for each event
    tasks = [j["task"] for j in json.loads(out)]
    assert tasks.count("certification_notices") == 2, tasks
