"""``sparring call drill`` in-process on both database backends, with the embedded engines: import a call, make a
drill of its price-objection moment (the JSON keys ``scenario_id``, ``version``, ``assignment_id``), assign it,
play it with ``sparring practice``, and the one-line errors with exit 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sparring_test_support as support

from sparring.settings import reset_settings_cache
from sparring.store.db import forget_databases

database_url = support.database_url
run = support.run_cli
CALL = Path(__file__).parents[1] / "fixtures" / "calls" / "drill-price-call.txt"
PASSWORD = "correct horse battery staple"
DUE = (date.today() + timedelta(days=5)).isoformat()


@pytest.fixture
def call(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[int]:
    """The fixture call imported for lee@acme.test (manager max@acme.test, team East): its conversation id."""
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    for email, role in (("lee@acme.test", "learner"), ("max@acme.test", "manager")):
        code, _, err = run(capsys, "users", "create", "--org", "Acme", "--email", email, "--password", PASSWORD,
                           "--role", role, "--team", "East")
        assert code == 0, err
    code, out, err = run(capsys, "call", "import", str(CALL), "--user", "lee@acme.test", "--rubric",
                         "sales-objection-handling", "--json")
    assert code == 0, err
    yield int(json.loads(out)["conversation_id"])
    forget_databases()


def _price_turn(capsys: pytest.CaptureFixture[str]) -> int:
    code, out, err = run(capsys, "call", "review", str(CALL), "--rubric", "sales-objection-handling", "--json")
    assert code == 0, err
    return int(next(m["start_turn"] for m in json.loads(out)["moments"] if m["kind"] == "objection_price"))


def test_a_drill_from_the_price_moment_is_published_assigned_and_playable(
        call: int, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    turn = _price_turn(capsys)
    code, out, err = run(capsys, "call", "drill", str(call), "--moment", str(turn), "--as", "max@acme.test", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"scenario_id", "version", "assignment_id", "loop_id"} and doc["assignment_id"] is None
    assert isinstance(doc["loop_id"], int)  # a drill opens the coaching loop on its moment
    assert doc["scenario_id"] == f"drill-{call}-t{turn}"
    code, out, err = run(capsys, "call", "drill", str(call), "--moment", str(turn), "--assign", "lee@acme.test",
                         "--reps", "3", "--due", DUE, "--json")
    assert code == 0, err
    again = json.loads(out)
    assert (again["scenario_id"], again["version"]) == (doc["scenario_id"], doc["version"])
    assert isinstance(again["assignment_id"], int)
    code, out, _ = run(capsys, "assignments", "list", "--user", "lee@acme.test", "--json")
    [listed] = json.loads(out)
    assert (listed["assignment_id"], listed["scenario"], listed["reps"], listed["submit_best"]) == (
        again["assignment_id"], doc["scenario_id"], 3, True)
    script = tmp_path / "lines.txt"
    script.write_text("That's a fair concern, the gap to your budget is real.\n"
                      "What is the budget figure based on, and how did you arrive at it?\n"
                      "When you say the gap is too big, what are you comparing it with?\n", encoding="utf-8")
    code, out, err = run(capsys, "practice", doc["scenario_id"], "--script", str(script), "--user", "lee@acme.test",
                         "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["scenario"] == doc["scenario_id"] and rep["outcome"] in ("success", "failure", "incomplete")
    assert len([t for t in rep["turns"] if t["role"] == "counterpart"]) >= 3
    assert "the price is a problem" in rep["turns"][0]["text"]
    assert {c["id"] for c in rep["scorecard"]["criteria"]} >= {"explore-objection", "unapproved-discount"}


def test_readable_output_says_what_it_made(call: int, capsys: pytest.CaptureFixture[str]) -> None:
    turn = _price_turn(capsys)
    code, out, err = run(capsys, "call", "drill", str(call), "--moment", str(turn))
    assert code == 0, err
    assert out.startswith(f"drill drill-{call}-t{turn} version ") and "(new version)" in out
    assert f"try it: sparring practice drill-{call}-t{turn}" in out


def test_errors_are_one_line_with_exit_1(call: int, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "call", "drill", "999", "--moment", "1")
    assert (code, err.strip()) == (1, "sparring: unknown conversation 999")
    code, _, err = run(capsys, "call", "drill", str(call), "--moment", "1", "--json")
    assert code == 1 and err.startswith(f"sparring: no moment of call {call} starts at turn 1; moments start at "
                                        "turns: ") and err.count("\n") == 1
    code, _, err = run(capsys, "call", "drill", str(call), "--moment", "4", "--as", "lee@acme.test")
    assert code == 1 and "only managers and admins create drills" in err
    code, _, err = run(capsys, "call", "drill", str(call), "--moment", "4", "--assign", "lee@acme.test")
    assert (code, err.strip()) == (1, "sparring: --assign needs --due YYYY-MM-DD")
    code, _, err = run(capsys, "call", "drill", str(call), "--moment", "4", "--assign", "lee@acme.test", "--due",
                       "soon")
    assert code == 1 and "due: give a date as YYYY-MM-DD" in err
    assert "Traceback" not in err


def test_with_a_drill_model_the_llm_writes_the_lines_and_a_failure_falls_back(
        call: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sparring.testing.llm import FakeOpenAI

    lines = {"persona": {"personality": "careful with money, and says so"},
             "pressing_lines": ["That still leaves the gap.", "I need the number to make sense."],
             "eased_lines": ["Okay, that I can take to finance.", "Fair. That helps."]}
    fake = FakeOpenAI([{"args": lines}, {"status": 400}]).start()
    try:
        monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai-compatible")
        monkeypatch.setenv("SPARRING_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("SPARRING_DRILL_MODEL", "fake-model")
        reset_settings_cache()
        turn = _price_turn(capsys)
        code, out, err = run(capsys, "call", "drill", str(call), "--moment", str(turn))
        assert code == 0, err
        assert "written by llm:fake-model" in out and "note:" not in out
        code, out, err = run(capsys, "call", "drill", str(call), "--moment", str(turn))
        assert code == 0, err
        assert "written by template" in out and "used the offline template" in out
        assert len(fake.requests) == 2  # one request each: a refused request is not retried
    finally:
        fake.stop()
