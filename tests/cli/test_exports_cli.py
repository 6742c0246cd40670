"""``sparring export csv`` in-process on both database backends (CONTRACT.md, "Exports"): the three files with
their headers, filters, ``--org`` with several organisations, and one-line errors that leave no file behind."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines  # noqa: F401  (fixture)

from sparring.reports.exports import COLUMNS
from sparring.settings import reset_settings_cache

database_url = support.database_url
run = support.run_cli
PASSWORD = "correct horse battery staple"


@pytest.fixture
def url(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> str:
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    assert run(capsys, "content", "import", str(support.DATA))[0] == 0
    for email, team in (("lee@acme.test", "East"), ("ola@acme.test", "West")):
        code, _, err = run(capsys, "users", "create", "--org", "Acme", "--email", email, "--password", PASSWORD,
                           "--role", "learner", "--team", team)
        assert code == 0, err
        script = tmp_path / f"{email}.txt"
        script.write_text("What matters most to you this quarter?\n", encoding="utf-8")
        code, _, err = run(capsys, "practice", support.TEST_SCENARIO, "--script", str(script), "--user", email,
                           "--json")
        assert code == 0, err
    return database_url


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_writes_three_files_that_join(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "export"
    code, stdout, err = run(capsys, "export", "csv", "--out", str(out), "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["out"] == str(out) and doc["files"]["reps.csv"] == 2
    for kind, columns in COLUMNS.items():
        path = out / f"{kind}.csv"
        assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(columns)
        assert len(_rows(path)) == doc["files"][f"{kind}.csv"]
    reps = _rows(out / "reps.csv")
    assert {r["user_email"] for r in reps} == {"lee@acme.test", "ola@acme.test"}
    cards = {c["scorecard_id"] for c in _rows(out / "scorecards.csv")}
    assert {r["scorecard_id"] for r in reps} == cards
    assert {r["scorecard_id"] for r in _rows(out / "criterion_results.csv")} == cards
    assert sorted(p.name for p in out.iterdir()) == ["certificates.csv", "criterion_results.csv", "reps.csv",
                                                     "scorecards.csv"]


def test_filters_and_readable_output(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "west"
    code, stdout, err = run(capsys, "export", "csv", "--out", str(out), "--team", "West", "--source", "practice",
                            "--from", "2000-01-01", "--scenario", support.TEST_SCENARIO)
    assert code == 0, err
    assert f"{out / 'reps.csv'}: 1 row\n" in stdout
    assert [r["user_email"] for r in _rows(out / "reps.csv")] == ["ola@acme.test"]
    code, _, err = run(capsys, "export", "csv", "--out", str(out), "--user", "LEE@acme.test", "--source", "call")
    assert code == 0, err
    assert _rows(out / "reps.csv") == []


@pytest.mark.parametrize(("args", "message"), [
    (["--team", "Nowhere"], "team: no team 'Nowhere'"),
    (["--user", "who@acme.test"], "user: no user 'who@acme.test'"),
    (["--from", "01/02/2026"], "from: give a date as YYYY-MM-DD"),
    (["--from", "2026-02-02", "--to", "2026-02-01"], "from: 2026-02-02 is after to: 2026-02-01"),
    (["--source", "email"], "source: use one of practice, call, drill"),
    (["--org", "globex"], "org: no organisation 'globex'"),
    (["--program", "4242"], "program: no program 4242"),
    (["--program", "sprint"], "program: give a program's id, a number (got 'sprint')"),
])
def test_bad_input_is_one_line_and_writes_nothing(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  args: list[str], message: str) -> None:
    out = tmp_path / "bad"
    code, stdout, err = run(capsys, "export", "csv", "--out", str(out), *args)
    assert code == 1 and stdout == ""
    assert err.startswith(f"sparring: {message}") and len(err.strip().splitlines()) == 1
    assert not out.exists() or list(out.iterdir()) == []


def test_several_organisations_need_org(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "users", "create", "--org", "Globex", "--email", "bob@globex.test", "--password",
                       PASSWORD, "--role", "learner")
    assert code == 0, err
    code, _, err = run(capsys, "export", "csv", "--out", str(tmp_path / "x"))
    assert code == 1 and "name one with --org" in err
    code, _, err = run(capsys, "export", "csv", "--out", str(tmp_path / "g"), "--org", "globex")
    assert code == 0, err
    assert _rows(tmp_path / "g" / "reps.csv") == []
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "export", "csv", "--out", str(file), "--org", "acme")
    assert code == 1 and "is a file, not a folder" in err


def test_program_filter(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    code, stdout, err = run(capsys, "program", "create", "--org", "Acme", "--name", "East sprint", "--team", "East",
                            "--scenario", support.TEST_SCENARIO, "--start", (today - timedelta(days=1)).isoformat(),
                            "--end", (today + timedelta(days=20)).isoformat(), "--target", "2", "--json")
    assert code == 0, err
    program_id = json.loads(stdout)["program_id"]
    out = tmp_path / "sprint"
    code, stdout, err = run(capsys, "export", "csv", "--out", str(out), "--program", str(program_id), "--json")
    assert code == 0, err
    assert json.loads(stdout)["files"]["reps.csv"] == 1
    assert [r["user_email"] for r in _rows(out / "reps.csv")] == ["lee@acme.test"]  # ola is in West
    assert {r["conversation_id"] for r in _rows(out / "criterion_results.csv")} == {
        r["conversation_id"] for r in _rows(out / "reps.csv")}


def test_export_xapi_writes_a_json_array_of_statements(url: str, capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_PUBLIC_URL", "https://sparring.acme.test")
    reset_settings_cache()
    out = tmp_path / "statements.json"
    code, stdout, err = run(capsys, "export", "xapi", "--org", "acme", "--out", str(out), "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    statements = json.loads(out.read_text(encoding="utf-8"))
    assert doc == {"out": str(out), "attempts": 2, "statements": len(statements)}
    attempts = [s for s in statements if s["verb"]["id"].endswith(("/passed", "/failed"))]
    assert len(attempts) == 2 and len(statements) > 2
    assert {s["actor"]["account"]["homePage"] for s in statements} == {"https://sparring.acme.test"}
    assert all(s["version"] == "1.0.3" for s in statements)
    code, stdout, err = run(capsys, "export", "xapi", "--out", str(out))
    assert code == 0, err
    assert stdout == f"{out}: {len(statements)} statements (2 scored attempts)\n"
    code, _, err = run(capsys, "export", "xapi", "--org", "nowhere", "--out", str(out))
    assert code != 0 and "org: no organisation 'nowhere'" in err
    code, _, err = run(capsys, "export", "xapi", "--out", str(tmp_path))
    assert code != 0 and "is a folder" in err


def test_export_scorm_writes_a_package_of_a_stored_scenario(url: str, capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    monkeypatch.delenv("SPARRING_PUBLIC_URL", raising=False)
    reset_settings_cache()
    out = tmp_path / "package.zip"
    code, stdout, err = run(capsys, "export", "scorm", "--scenario", support.TEST_SCENARIO, "--version", "2004",
                            "--difficulty", "easy", "--base-url", "https://sparring.acme.test/", "--out", str(out),
                            "--json")
    assert code == 0, err
    assert json.loads(stdout) == {"out": str(out), "scenario": support.TEST_SCENARIO, "difficulty": "easy",
                                  "version": "2004", "base_url": "https://sparring.acme.test",
                                  "files": ["imsmanifest.xml", "index.html", "sparring-scorm.js"]}
    with zipfile.ZipFile(out) as zf:
        assert b"2004 4th Edition" in zf.read("imsmanifest.xml")
        assert b'data-scenario="' + support.TEST_SCENARIO.encode() + b'"' in zf.read("index.html")
    for args, message in [
        (["--scenario", "nope"], "--scenario: unknown scenario 'nope'"),
        (["--scenario", support.TEST_SCENARIO, "--version", "2.0"], "--version: must be 1.2 or 2004"),
        (["--scenario", support.TEST_SCENARIO, "--difficulty", "extreme"], "--difficulty: "),
        (["--scenario", support.TEST_SCENARIO, "--base-url", "sparring.acme.test"], "--base-url: must be an absolute"),
    ]:
        code, _, err = run(capsys, "export", "scorm", *args, "--out", str(tmp_path / "x.zip"),
                           *([] if "--base-url" in args else ["--base-url", "https://sparring.acme.test"]))
        assert code != 0 and message in err and "Traceback" not in err, (args, err)
        assert not (tmp_path / "x.zip").exists()
    code, _, err = run(capsys, "export", "scorm", "--scenario", support.TEST_SCENARIO, "--out", str(out))
    assert code != 0 and "--base-url: missing" in err  # no SPARRING_PUBLIC_URL either
    code, _, err = run(capsys, "export", "scorm", "--scenario", support.TEST_SCENARIO, "--base-url",
                       "https://sparring.acme.test", "--out", str(tmp_path))
    assert code != 0 and "--out: cannot write" in err
