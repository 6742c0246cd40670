"""``sparring call loop open`` and ``sparring call loops`` in-process on both database backends, with the fake
engines (a criterion is met when the rep asks a question): open a loop on a call's moment, practise the drill,
import the next call, read the verdict — JSON and readable — and one-line errors with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines  # noqa: F401  (fixture)

from sparring.settings import reset_settings_cache

database_url = support.database_url
run = support.run_cli
CALLS = Path(__file__).parents[1] / "fixtures" / "loops"
PASSWORD = "correct horse battery staple"
DRILL = "sales-pricing-objection"


@pytest.fixture
def url(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    for email, role in (("priya@nw.test", "learner"), ("max@nw.test", "manager"), ("sam@nw.test", "learner")):
        code, _, err = run(capsys, "users", "create", "--org", "Northwind", "--email", email, "--password", PASSWORD,
                           "--role", role, "--team", "East")
        assert code == 0, err
    return database_url


def _import(capsys: pytest.CaptureFixture[str], name: str) -> int:
    code, out, err = run(capsys, "call", "import", str(CALLS / name), "--user", "priya@nw.test", "--json")
    assert code == 0, err
    return int(json.loads(out)["conversation_id"])


def test_open_a_loop_practise_the_drill_and_the_next_call_closes_it(url: str, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    first = _import(capsys, "first-call-missed.txt")
    code, out, err = run(capsys, "call", "loop", "open", str(first), "--moment", "1", "--criterion",
                         "explore-objection", "--drill", DRILL, "--by", "max@nw.test", "--json")
    assert code == 0, err
    loop_id = json.loads(out)["loop_id"]
    assert json.loads(out) == {"loop_id": loop_id} and isinstance(loop_id, int)
    code, out, err = run(capsys, "call", "loops", "--status", "open", "--json")
    assert code == 0, err
    [doc] = json.loads(out)
    assert (doc["loop_id"], doc["status"], doc["verdict"], doc["moment"]) == (
        loop_id, "open", None, {"start_turn": 1, "end_turn": 5, "kind": "objection_price"})
    assert doc["criterion"]["id"] == "explore-objection" and doc["drill_scenario_id"] == DRILL

    script = tmp_path / "drill.txt"
    script.write_text("When you say it's too expensive, what are you comparing it with?\n", encoding="utf-8")
    for _ in range(2):
        code, _, err = run(capsys, "practice", DRILL, "--script", str(script), "--user", "priya@nw.test", "--json")
        assert code == 0, err
    code, out, err = run(capsys, "call", "import", str(CALLS / "next-call-improved.txt"), "--user", "priya@nw.test")
    assert code == 0, err
    assert f"closed coaching loop {loop_id} (explore-objection): improved" in out

    code, out, err = run(capsys, "call", "loops", "--user", "priya@nw.test", "--json")
    assert code == 0, err
    [doc] = json.loads(out)
    assert (doc["status"], doc["verdict"], doc["next_step"]) == ("closed", "improved", "move_on")
    numbers = doc["numbers"]
    assert numbers["criterion"]["original"]["verdict"] == "missed" and numbers["criterion"]["new"]["verdict"] == "met"
    assert (numbers["drills"]["n"], numbers["drills"]["mean"]) == (2, 1.0)
    code, out, err = run(capsys, "call", "loops")
    assert code == 0, err
    assert f"loop {loop_id} [closed: improved]" in out
    assert "criterion: missed 0/1 → met 1/1" in out and "drill reps: 2, mean 1.00, best 1.00" in out
    assert "next step: move on" in out
    code, out, _ = run(capsys, "call", "loops", "--user", "sam@nw.test", "--json")
    assert code == 0 and json.loads(out) == []


def test_loop_errors_are_one_line_with_exit_1(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = _import(capsys, "first-call-missed.txt")
    for args, message in (
        (("call", "loop", "open", "99", "--moment", "1"), "call: unknown conversation 99"),
        (("call", "loop", "open", str(first), "--moment", "1", "--criterion", "nope"),
         "criterion: 'nope' is not a criterion of rubric sales-objection-handling"),
        (("call", "loop", "open", str(first), "--moment", "50", "--criterion", "advance"), "moment: turns 50..50"),
        (("call", "loop", "open", str(first), "--moment", "1", "--by", "sam@nw.test"),
         "--by: sam@nw.test is a learner"),
        (("call", "loops", "--status", "done"), "unknown status 'done'"),
        (("call", "loops", "--user", "who@nw.test"), "unknown user who@nw.test"),
    ):
        code, out, err = run(capsys, *args)
        assert code == 1 and out == "", (args, out, err)
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    code, out, _ = run(capsys, "call", "loops", "--json")
    assert code == 0 and json.loads(out) == []  # nothing half-done
