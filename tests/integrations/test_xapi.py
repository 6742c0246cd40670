"""The shapes of xAPI statements (sparring.integrations.xapi): the attempt statement (actor as a pseudonymous
account, passed/failed, scenario activity at its version, result with scaled score, success, completion, duration,
rubric extension, context with registration, assignment and programs), the criterion statements (scored, the
criterion activity, the verdict, evidence turns, a StatementRef to the attempt), deterministic ids, and the JSON
array written as it streams."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sparring.integrations.xapi import (
    FALLBACK_HOME,
    VERB_FAILED,
    VERB_PASSED,
    VERB_SCORED,
    Attempt,
    CriterionOutcome,
    StatementBuilder,
    duration,
    timestamp,
    write_json_array,
)

HOME = "https://sparring.acme.test"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _attempt(**changes: object) -> Attempt:
    values: dict[str, object] = dict(
        rep_id=41, scorecard_id=77, user_id=9, scenario_id="guarded-buyer", scenario_version="abc123",
        title="The guarded buyer", rubric_id="discovery", rubric_version="r9", source="practice", difficulty="medium",
        overall=72.5, passed=True, scored_at=datetime(2026, 3, 10, 9, 5, tzinfo=UTC),
        started_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC), ended_at=datetime(2026, 3, 10, 9, 4, 30, 250000),
        criteria=(CriterionOutcome("open-questions", "behaviour", 3, 4, "met", (0, 2)),
                  CriterionOutcome("no-pitch", "blocker", 0, 1, "missed", ()),
                  CriterionOutcome("budget", "behaviour", 0, 0, "n/a", ())),
        programs=((5, "Q2 sprint"),), assignments=((12, "Practise discovery"),),
    )
    values.update(changes)
    return Attempt(**values)  # type: ignore[arg-type]


def test_the_attempt_statement_has_every_part_the_spec_and_the_brief_ask_for() -> None:
    b = StatementBuilder(HOME + "/")
    s = b.attempt_statement(_attempt())
    assert UUID.match(s["id"])
    assert s["version"] == "1.0.3"
    assert s["actor"] == {"objectType": "Agent", "account": {"homePage": HOME, "name": "9"}}
    assert s["verb"] == {"id": VERB_PASSED, "display": {"en-US": "passed"}}
    assert s["object"] == {"objectType": "Activity", "id": f"{HOME}/xapi/scenarios/guarded-buyer/abc123",
                           "definition": {"type": "http://adlnet.gov/expapi/activities/simulation",
                                          "name": {"en-US": "The guarded buyer"}}}
    result = s["result"]
    assert result["score"] == {"scaled": 0.725, "raw": 72.5, "min": 0, "max": 100}
    assert result["success"] is True and result["completion"] is True
    assert result["duration"] == "PT4M30.25S"
    assert result["extensions"] == {f"{HOME}/xapi/extensions/rubric": {"id": "discovery", "version": "r9"}}
    context = s["context"]
    assert UUID.match(context["registration"])
    assert context["contextActivities"]["parent"][0]["id"] == f"{HOME}/assignments/12"
    assert context["contextActivities"]["grouping"][0]["id"] == f"{HOME}/programs/5"
    assert context["contextActivities"]["grouping"][0]["definition"]["name"] == {"en-US": "Q2 sprint"}
    assert s["timestamp"] == "2026-03-10T09:04:30.250Z"  # the end of the rep (a naive time is UTC)


def test_a_failed_attempt_uses_the_failed_verb_and_no_context_activities_without_program_or_assignment() -> None:
    s = StatementBuilder(HOME).attempt_statement(_attempt(passed=False, overall=40, programs=(), assignments=()))
    assert s["verb"]["id"] == VERB_FAILED and s["result"]["success"] is False
    assert s["result"]["score"] == {"scaled": 0.4, "raw": 40, "min": 0, "max": 100}
    assert "contextActivities" not in s["context"]


def test_without_times_there_is_no_duration_and_the_timestamp_is_the_scoring_time() -> None:
    s = StatementBuilder(HOME).attempt_statement(_attempt(started_at=None, ended_at=None))
    assert "duration" not in s["result"]
    assert s["timestamp"] == "2026-03-10T09:05:00.000Z"


def test_criterion_statements_score_each_criterion_with_its_verdict_and_evidence_and_refer_to_the_attempt() -> None:
    b = StatementBuilder(HOME)
    a = _attempt()
    attempt, met, missed, na = b.statements(a)
    assert met["verb"] == {"id": VERB_SCORED, "display": {"en-US": "scored"}}
    assert met["object"]["id"] == f"{HOME}/xapi/rubrics/discovery/r9/criteria/open-questions"
    assert met["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/objective"
    assert met["result"]["score"] == {"raw": 3, "min": 0, "max": 4, "scaled": 0.75}
    assert met["result"]["success"] is True
    ext = met["result"]["extensions"]
    assert ext[f"{HOME}/xapi/extensions/evidence-turns"] == [0, 2]
    assert ext[f"{HOME}/xapi/extensions/verdict"] == "met"
    assert ext[f"{HOME}/xapi/extensions/criterion-kind"] == "behaviour"
    assert ext[f"{HOME}/xapi/extensions/rubric"] == {"id": "discovery", "version": "r9"}
    assert met["context"]["statement"] == {"objectType": "StatementRef", "id": attempt["id"]}
    assert met["context"]["registration"] == attempt["context"]["registration"]
    parents = [p["id"] for p in met["context"]["contextActivities"]["parent"]]
    assert parents == [attempt["object"]["id"], f"{HOME}/assignments/12"]
    assert met["actor"] == attempt["actor"]
    assert missed["result"]["success"] is False and missed["result"]["score"]["scaled"] == 0
    assert "success" not in na["result"] and "scaled" not in na["result"]["score"]  # n/a, max 0
    assert len({s["id"] for s in (attempt, met, missed, na)}) == 4


def test_ids_are_deterministic_per_installation_scorecard_and_criterion() -> None:
    a = _attempt()
    first, again = StatementBuilder(HOME).statements(a), StatementBuilder(HOME).statements(a)
    assert [s["id"] for s in first] == [s["id"] for s in again]
    assert first[0]["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"{HOME}/xapi/scorecards/77"))
    rescored = StatementBuilder(HOME).statements(_attempt(scorecard_id=78))
    assert rescored[0]["id"] != first[0]["id"]
    assert rescored[0]["context"]["registration"] == first[0]["context"]["registration"]  # same rep
    other = StatementBuilder("https://other.test").statements(a)
    assert other[0]["id"] != first[0]["id"]


def test_ids_in_iris_are_escaped_and_a_missing_public_url_falls_back_to_a_reserved_name() -> None:
    b = StatementBuilder(None)
    s = b.attempt_statement(_attempt(scenario_id="a b/c", scenario_version="v 1"))
    assert b.home == FALLBACK_HOME
    assert s["object"]["id"] == f"{FALLBACK_HOME}/xapi/scenarios/a%20b%2Fc/v%201"
    assert StatementBuilder("ftp://nope").home == FALLBACK_HOME


@pytest.mark.parametrize(("seconds", "text"), [(0, "PT0S"), (4.25, "PT4.25S"), (60, "PT1M"), (3725.5, "PT1H2M5.5S"),
                                                (-3, "PT0S"), (0.004, "PT0S")])
def test_durations_are_iso_8601(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_timestamps_are_utc_with_milliseconds() -> None:
    from datetime import timedelta, timezone

    assert timestamp(datetime(2026, 1, 2, 5, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))) == \
        "2026-01-02T03:00:00.123Z"


def test_the_json_array_is_written_as_the_statements_come() -> None:
    out = io.StringIO()
    seen: list[int] = []

    def statements() -> Iterator[dict[str, int]]:
        for i in range(3):
            seen.append(len(out.getvalue()))
            yield {"n": i}

    assert write_json_array(statements(), out) == 3
    assert json.loads(out.getvalue()) == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert seen[0] < seen[1] < seen[2]  # each statement is written before the next is made
    empty = io.StringIO()
    assert write_json_array([], empty) == 0 and json.loads(empty.getvalue()) == []
