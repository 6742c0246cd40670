"""``sparring program create/list/show/enrol/unenrol`` in-process on both database backends: the contract's JSON
(``{"program_id"}``), a practice rep by an enrolled learner on a program scenario between the dates counting
towards it, and one-line errors with exit 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines  # noqa: F401  (fixture)

from sparring.settings import reset_settings_cache

database_url = support.database_url
run = support.run_cli
SCENARIO = "cs-renewal-discount"
OTHER = "cs-angry-escalation"
PASSWORD = "correct horse battery staple"
TODAY = datetime.now(UTC).date()
START = (TODAY - timedelta(days=3)).isoformat()
END = (TODAY + timedelta(days=24)).isoformat()


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


def _create(capsys: pytest.CaptureFixture[str], *extra: str) -> int:
    code, out, err = run(capsys, "program", "create", "--org", "Acme", "--name", "Renewal sprint", "--team", "East",
                         "--scenario", SCENARIO, "--scenario", OTHER, "--start", START, "--end", END,
                         "--target", "10", "--json", *extra)
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"program_id"} and isinstance(doc["program_id"], int)
    return int(doc["program_id"])


def test_create_prints_the_program_id_and_an_enrolled_learners_rep_counts(
        url: str, capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    program_id = _create(capsys)
    lines = tmp_path / "lines.txt"  # type: ignore[operator]
    lines.write_text("Why does the renewal matter to you?\nWhat would change for you?\n")
    for scenario, user in ((SCENARIO, "lee@acme.test"), (OTHER, "lee@acme.test"), (SCENARIO, "ola@acme.test"),
                           ("mgmt-coaching-1on1", "lee@acme.test")):
        code, _, err = run(capsys, "practice", scenario, "--script", str(lines), "--user", user, "--json")
        assert code == 0, err
    code, out, err = run(capsys, "program", "show", str(program_id), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["program_id"], doc["name"], doc["start"], doc["end"], doc["target"]) == (
        program_id, "Renewal sprint", START, END, 10)
    assert [s["id"] for s in doc["scenarios"]] == [SCENARIO, OTHER]
    rows = {r["email"]: r for r in doc["learners"]}
    assert set(rows) == {"kim@acme.test", "lee@acme.test"}  # Ola is not enrolled; Max is the team's manager
    assert (rows["lee@acme.test"]["reps"], rows["kim@acme.test"]["reps"]) == (2, 0)  # not the other scenario
    assert rows["lee@acme.test"]["per_scenario"] == {SCENARIO: 1, OTHER: 1}
    code, out, err = run(capsys, "program", "enrol", str(program_id), "--user", "ola@acme.test")
    assert (code, out.strip()) == (0, f"ola@acme.test enrolled in program {program_id} (Renewal sprint)"), err
    code, out, _ = run(capsys, "program", "show", str(program_id), "--json")
    assert {r["email"]: r["reps"] for r in json.loads(out)["learners"]}["ola@acme.test"] == 1
    code, out, _ = run(capsys, "program", "show", str(program_id))
    assert "  lee@acme.test: 2 of 10 reps, 2 passed, last rep " in out
    assert "1. Renewal: the new COO wants it cheaper (cs-renewal-discount)" in out


def test_list_and_readable_output(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "program", "list")
    assert (code, out.strip()) == (0, "no programs"), err
    code, out, err = run(capsys, "program", "create", "--org", "acme", "--name", "Weekly plan", "--team", "West",
                         "--user", "lee@acme.test", "--scenario", SCENARIO, "--week", "1", "--scenario", OTHER,
                         "--week", "2", "--start", START, "--end", END, "--target", "8", "--target-max", "12",
                         "--pass-bar", "70")
    assert code == 0, err
    assert out.startswith("program ")
    assert "8–12 reps per learner, 2 scenarios, enrolled: team West, lee@acme.test" in out
    code, out, _ = run(capsys, "program", "list", "--org", "Acme", "--json")
    [listed] = json.loads(out)
    assert ([s["week"] for s in listed["scenarios"]], listed["target_max"], listed["pass_bar"]) == ([1, 2], 12, 70)
    code, out, _ = run(capsys, "program", "unenrol", str(listed["program_id"]), "--team", "West")
    assert code == 0 and "team West unenrolled from program" in out
    code, out, _ = run(capsys, "program", "list")
    assert "enrolled: lee@acme.test" in out
    code, out, _ = run(capsys, "program", "archive", str(listed["program_id"]))
    assert (code, out.strip()) == (0, f"program {listed['program_id']} (Weekly plan) is archived")
    assert json.loads(run(capsys, "program", "list", "--json")[1])[0]["status"] == "archived"
    code, out, _ = run(capsys, "program", "archive", str(listed["program_id"]), "--undo")
    assert out.strip().endswith("is active")


@pytest.mark.parametrize(("args", "message"), [
    (("--scenario", "no-such-scenario"), "sparring: scenario: unknown scenario"),
    (("--team", "Nowhere"), "sparring: team: unknown team 'Nowhere'"),
    (("--org", "Nowhere"), "sparring: unknown organisation 'Nowhere'"),
    (("--start", "tomorrow"), "sparring: start: give a date as YYYY-MM-DD"),
    (("--end", "2020-01-01"), "sparring: end: 2020-01-01 is before the start"),
    (("--target", "0"), "sparring: target: give a number of reps from 1 to 500"),
    (("--target-max", "3"), "sparring: target_max: 3 is below the target, 10"),
    (("--pass-bar", "101"), "sparring: pass_bar: give an overall score from 0 to 100"),
    (("--week", "1", "--week", "2"), "sparring: --week: give one --week per --scenario (2 weeks for 1 scenarios)"),
    (("--week", "9"), "sparring: week: 'cs-renewal-discount' is planned for week 9, but the program has 4 weeks"),
    (("--user", "nobody@acme.test"), "sparring: user: unknown user nobody@acme.test"),
])
def test_create_errors_are_one_line_on_stderr_with_exit_1(url: str, capsys: pytest.CaptureFixture[str],
                                                          args: tuple[str, ...], message: str) -> None:
    options = {"--org": "Acme", "--name": "Sprint", "--team": "East", "--scenario": SCENARIO, "--start": START,
               "--end": END, "--target": "10"}
    extra: list[str] = []
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag in options and flag not in ("--week",) and args.count(flag) == 1:
            options[flag] = value
        else:
            extra += [flag, value]
    full = [x for pair in options.items() for x in pair] + extra
    code, out, err = run(capsys, "program", "create", *full, "--json")
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err
    code, out, _ = run(capsys, "program", "list", "--json")
    assert json.loads(out) == []  # nothing half-done


def test_show_and_enrol_errors(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    program_id = _create(capsys)
    for args, message in ((("show", "999"), "sparring: no such program 999"),
                          (("enrol", str(program_id)), "sparring: give either --team or --user"),
                          (("enrol", str(program_id), "--team", "Nowhere"), "sparring: team: unknown team 'Nowhere'"),
                          (("unenrol", str(program_id), "--user", "ola@acme.test"),
                           "sparring: user: not enrolled in this program")):
        code, out, err = run(capsys, "program", *args)
        assert (code, out) == (1, ""), args
        assert err.startswith(message) and err.count("\n") == 1, (args, err)


def test_edit_changes_the_program_and_keeps_the_reps(url: str, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: object) -> None:
    program_id = _create(capsys, "--pass-bar", "40", "--target-max", "15")
    lines = tmp_path / "lines.txt"  # type: ignore[operator]
    lines.write_text("Why does the renewal matter to you?\n")
    code, _, err = run(capsys, "practice", SCENARIO, "--script", str(lines), "--user", "lee@acme.test", "--json")
    assert code == 0, err
    new_end = (TODAY + timedelta(days=30)).isoformat()
    code, out, err = run(capsys, "program", "edit", str(program_id), "--name", "Renewal sprint II", "--end", new_end,
                         "--target", "12", "--no-pass-bar", "--scenario", OTHER, "--week", "1", "--scenario",
                         SCENARIO, "--week", "2")
    assert code == 0, err
    assert out.strip() == (f"program {program_id} changed: Renewal sprint II, {START} to {new_end}, 12–15 reps per "
                           "learner, no pass bar, 2 scenarios")
    code, out, err = run(capsys, "program", "show", str(program_id), "--json")
    doc = json.loads(out)
    assert (doc["name"], doc["end"], doc["target"], doc["target_max"], doc["pass_bar"]) == (
        "Renewal sprint II", new_end, 12, 15, None)
    assert [(s["id"], s["week"]) for s in doc["scenarios"]] == [(OTHER, 1), (SCENARIO, 2)]
    assert {r["email"]: r["reps"] for r in doc["learners"]}["lee@acme.test"] == 1  # Lee's rep still counts
    code, out, err = run(capsys, "program", "edit", str(program_id), "--no-target-max", "--pass-bar", "55", "--json")
    assert code == 0, err
    assert (json.loads(out)["target_max"], json.loads(out)["pass_bar"]) == (None, 55)


@pytest.mark.parametrize(("args", "message"), [
    ((), "sparring: give at least one change"),
    (("--end", "2020-01-01"), "sparring: end: 2020-01-01 is before the start"),
    (("--target", "20", ), "sparring: target_max: 15 is below the target, 20"),
    (("--pass-bar", "101"), "sparring: pass_bar: give an overall score from 0 to 100"),
    (("--pass-bar", "50", "--no-pass-bar"), "sparring: give either --pass-bar or --no-pass-bar"),
    (("--scenario", "no-such-scenario"), "sparring: scenario: unknown scenario"),
    (("--scenario", SCENARIO, "--week", "9"), "sparring: week: 'cs-renewal-discount' is planned for week 9"),
    (("--start", "soon"), "sparring: start: give a date as YYYY-MM-DD"),
])
def test_edit_errors_are_one_line_and_change_nothing(url: str, capsys: pytest.CaptureFixture[str],
                                                     args: tuple[str, ...], message: str) -> None:
    program_id = _create(capsys, "--target-max", "15")
    before = run(capsys, "program", "show", str(program_id), "--json")[1]
    code, out, err = run(capsys, "program", "edit", str(program_id), *args)
    assert (code, out) == (1, ""), err
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err
    assert run(capsys, "program", "show", str(program_id), "--json")[1] == before


def test_edit_refuses_an_archived_or_unknown_program(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    program_id = _create(capsys)
    assert run(capsys, "program", "archive", str(program_id))[0] == 0
    code, out, err = run(capsys, "program", "edit", str(program_id), "--target", "5")
    assert (code, out) == (1, "")
    assert err.startswith("sparring: program: Renewal sprint is archived; make it active again before changing it")
    code, _, err = run(capsys, "program", "edit", "999", "--target", "5")
    assert code == 1 and err.startswith("sparring: no such program 999")
