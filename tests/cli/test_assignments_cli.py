"""``sparring assign`` and ``sparring assignments list`` in-process on both database backends: the contract's JSON
(``{"assignment_id"}``), the manager's access rules with ``--by``, and one-line errors with exit 1."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines  # noqa: F401  (fixture)

from sparring.settings import reset_settings_cache

database_url = support.database_url
run = support.run_cli
SCENARIO = "cs-renewal-discount"
PASSWORD = "correct horse battery staple"
DUE = (date.today() + timedelta(days=5)).isoformat()


@pytest.fixture
def url(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    for email, role, team in (("lee@acme.test", "learner", "East"), ("kim@acme.test", "learner", "East"),
                              ("ola@acme.test", "learner", "West"), ("max@acme.test", "manager", "East")):
        code, _, err = run(capsys, "users", "create", "--org", "Acme", "--email", email, "--password", PASSWORD,
                           "--role", role, "--team", team)
        assert code == 0, err
    return database_url


def test_assign_to_a_team_prints_the_assignment_id_and_lists_it(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "assign", SCENARIO, "--to", "team:East", "--reps", "3", "--due", DUE,
                         "--difficulty", "hard", "--by", "max@acme.test", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"assignment_id"} and isinstance(doc["assignment_id"], int)
    code, out, err = run(capsys, "assignments", "list", "--json")
    assert code == 0, err
    [listed] = json.loads(out)
    assert (listed["assignment_id"], listed["scenario"], listed["reps"], listed["due"], listed["difficulty"]) == (
        doc["assignment_id"], SCENARIO, 3, DUE, "hard")
    assert [(x["email"], x["status"], x["reps_done"]) for x in listed["learners"]] == [
        ("kim@acme.test", "not_started", 0), ("lee@acme.test", "not_started", 0)]
    code, out, _ = run(capsys, "assignments", "list", "--user", "lee@acme.test", "--json")
    assert [x["email"] for x in json.loads(out)[0]["learners"]] == ["lee@acme.test"]
    code, out, _ = run(capsys, "assignments", "list", "--user", "ola@acme.test", "--json")
    assert json.loads(out) == []


def test_readable_output_without_json(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "assign", SCENARIO, "--to", "ola@acme.test", "--reps", "1", "--due", DUE)
    assert code == 0, err
    assert out.startswith("assignment ") and f"1 rep at medium by {DUE} for ola@acme.test (1 learner)" in out
    code, out, _ = run(capsys, "assignments", "list")
    assert "  ola@acme.test: not started, 0 of 1 reps done\n" in out


@pytest.mark.parametrize(("args", "message"), [
    (("no-such-scenario", "--to", "lee@acme.test"), "sparring: scenario: unknown scenario"),
    ((SCENARIO, "--to", "nobody@acme.test"), "sparring: to: unknown user nobody@acme.test"),
    ((SCENARIO, "--to", "team:Nowhere"), "sparring: to: unknown team 'Nowhere'"),
    ((SCENARIO, "--to", "lee@acme.test", "--reps", "0"), "sparring: --reps must be 1 or more (got 0)"),
    ((SCENARIO, "--to", "lee@acme.test", "--due", "2020-01-01"), "sparring: due: 2020-01-01 is in the past"),
    ((SCENARIO, "--to", "lee@acme.test", "--due", "tomorrow"), "sparring: due: give a date as YYYY-MM-DD"),
    ((SCENARIO, "--to", "lee@acme.test", "--difficulty", "extreme"), "sparring: unknown difficulty 'extreme'"),
    ((SCENARIO, "--to", "ola@acme.test", "--by", "max@acme.test"), "sparring: to: unknown user ola@acme.test"),
    ((SCENARIO, "--to", "team:West", "--by", "max@acme.test"), "sparring: to: unknown team 'West'"),
    ((SCENARIO, "--to", "kim@acme.test", "--by", "lee@acme.test"), "sparring: --by: lee@acme.test is a learner"),
    ((SCENARIO, "--to", "kim@acme.test", "--by", "ghost@acme.test"), "sparring: unknown user ghost@acme.test"),
])
def test_errors_are_one_line_on_stderr_with_exit_1(url: str, capsys: pytest.CaptureFixture[str],
                                                   args: tuple[str, ...], message: str) -> None:
    full = list(args)
    if "--reps" not in full:
        full += ["--reps", "2"]
    if "--due" not in full:
        full += ["--due", DUE]
    code, out, err = run(capsys, "assign", *full, "--json")
    assert code == 1
    assert out == ""
    assert err.startswith(message) and err.count("\n") == 1, err
    assert "Traceback" not in err
    code, out, _ = run(capsys, "assignments", "list", "--json")
    assert json.loads(out) == []  # nothing half-done
