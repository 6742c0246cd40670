"""Scored attempts read from the store as xAPI statements (sparring.services.xapi_export) on SQLite and PostgreSQL:
one attempt statement per scored rep with its current scorecard, one per criterion result with its evidence
turns, private reps without criterion detail, the programs and assignment a rep counts towards as context, calls
and unscored reps left out, other organisations never included; and the file written through a temporary name."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sparring_test_support as support
from sqlalchemy import select, update

from sparring.integrations.xapi import VERB_FAILED, VERB_PASSED, VERB_SCORED, StatementBuilder
from sparring.reports.exports import ExportScope
from sparring.services import assignments, programs, xapi_export
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.errors import InvalidInput
from sparring.services.practice import PracticeService
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Rep, ScorecardRow

HOME = "https://sparring.acme.test"


def _statements(db: Database, org_id: int, ids: list[int] | None = None) -> list[dict]:  # type: ignore[type-arg]
    with db.read() as s:
        return list(StatementBuilder(HOME).all_statements(xapi_export.attempts(s, ExportScope(org_id=org_id), ids)))


def test_one_statement_per_attempt_and_per_criterion_from_the_current_scorecard(
        db: Database, practice: PracticeService, learner: UserRecord) -> None:
    rep_id = support.scored_rep(practice, learner, "What matters most to you?")
    practice.start_rep(learner, support.TEST_SCENARIO)  # in progress, unscored: no statement
    with db.read() as s:
        card = s.scalars(select(ScorecardRow).join(Rep, Rep.scorecard_id == ScorecardRow.id)
                         .where(Rep.id == rep_id)).one()
        document = card.document
    statements = _statements(db, learner.org_id)
    assert len(statements) == 1 + len(document["criteria"])
    attempt, *criteria = statements
    assert attempt["verb"]["id"] == (VERB_PASSED if card.passed else VERB_FAILED)
    assert attempt["actor"]["account"] == {"homePage": HOME, "name": str(learner.id)}
    assert attempt["result"]["score"]["raw"] == pytest.approx(card.overall)
    assert attempt["object"]["id"].startswith(f"{HOME}/xapi/scenarios/{support.TEST_SCENARIO}/")
    assert "duration" in attempt["result"]
    assert [c["object"]["id"].rsplit("/", 1)[1] for c in criteria] == [c["id"] for c in document["criteria"]]
    for stmt, result in zip(criteria, document["criteria"], strict=True):
        assert stmt["verb"]["id"] == VERB_SCORED
        assert stmt["result"]["score"]["raw"] == pytest.approx(result["score"])
        turns = sorted({e["turn"] for e in result["evidence"]})
        assert stmt["result"]["extensions"][f"{HOME}/xapi/extensions/evidence-turns"] == turns
        assert stmt["context"]["statement"]["id"] == attempt["id"]
    assert any(stmt["result"]["extensions"][f"{HOME}/xapi/extensions/evidence-turns"] for stmt in criteria)

    # a re-score: the new scorecard is the attempt's score, with a new statement id and the same registration
    practice.score_rep(rep_id)
    again = _statements(db, learner.org_id)
    assert len(again) == len(statements)
    assert again[0]["id"] != attempt["id"]
    assert again[0]["context"]["registration"] == attempt["context"]["registration"]


def test_private_reps_send_the_score_but_not_the_criteria_and_other_organisations_stay_out(
        db: Database, practice: PracticeService, learner: UserRecord) -> None:
    support.scored_rep(practice, learner, "Why?", private=True)
    other = Accounts(db).create_user("Globex", "gus@globex.test", None, role="learner")
    support.scored_rep(practice, other, "Why?")
    statements = _statements(db, learner.org_id)
    assert len(statements) == 1 and statements[0]["actor"]["account"]["name"] == str(learner.id)
    assert len(_statements(db, other.org_id)) > 1


def test_programs_and_assignments_the_rep_counts_towards_are_its_context(
        db: Database, practice: PracticeService, learner: UserRecord) -> None:
    today = datetime.now(UTC).date()
    with db.session() as s:
        program_id = programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=learner.org_id,
            name="Sprint", start_on=today - timedelta(days=3), end_on=today + timedelta(days=3), target_min=2,
            scenarios=[ScenarioChoice(support.TEST_SCENARIO)], teams=["East"]).id
        programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=learner.org_id,
            name="Last year", start_on=date(2025, 1, 1), end_on=date(2025, 1, 31), target_min=2,
            scenarios=[ScenarioChoice(support.TEST_SCENARIO)], teams=["East"])
        assignment = assignments.assign(s, None, lambda org, sid: ContentService(db, org).get_scenario(sid),
                                        support.TEST_SCENARIO, learner.email, reps=1, difficulty="easy",
                                        due_on=today + timedelta(days=2))
    rep_id = support.scored_rep(practice, learner, "Why?")
    attempt = _statements(db, learner.org_id)[0]
    activities = attempt["context"]["contextActivities"]
    assert [a["id"] for a in activities["grouping"]] == [f"{HOME}/programs/{program_id}"]
    assert [a["id"] for a in activities["parent"]] == [f"{HOME}/assignments/{assignment.id}"]
    # a rep started before the program's first day counts towards neither
    with db.session() as s:
        s.execute(update(Rep).where(Rep.id == rep_id).values(created_at=datetime(2024, 6, 1, tzinfo=UTC)))
    assert "contextActivities" not in _statements(db, learner.org_id)[0]["context"]


def test_export_file_writes_a_json_array_through_a_temporary_name(
        db: Database, practice: PracticeService, learner: UserRecord, tmp_path: Path) -> None:
    for _ in range(3):
        support.scored_rep(practice, learner, "Why?")
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "statements.json"
    with db.read() as s:
        attempts, count = xapi_export.export_file(s, ExportScope(org_id=learner.org_id), HOME, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert attempts == 3 and count == len(doc) and count > 3
    assert len({d["id"] for d in doc}) == count
    assert sorted(p.name for p in out.parent.iterdir()) == ["statements.json"]
    with db.read() as s, pytest.raises(InvalidInput, match=r"out: .* is a folder"):
        xapi_export.export_file(s, ExportScope(org_id=learner.org_id), HOME, tmp_path)
    with db.read() as s, pytest.raises(InvalidInput, match=r"out: the folder .* does not exist"):
        xapi_export.export_file(s, ExportScope(org_id=learner.org_id), HOME, tmp_path / "no" / "x.json")


#: scored attempts generated for the memory test (bulk inserts; each brings one statement per criterion too), read
#: ``READ_BATCH`` at a time (the export's ``BATCH`` is what bounds its memory; smaller here to keep the test short)
ATTEMPTS = 600
READ_BATCH = 50


def _copies(db: Database, practice: PracticeService, learner: UserRecord) -> int:
    """ATTEMPTS copies of one scored rep (conversation, scorecard, rep; bulk inserts with explicit ids)."""
    from sqlalchemy import insert, inspect

    from sparring.store.models import ConversationRow

    rep_id = support.scored_rep(practice, learner, "What matters most to you?", "Why now?")

    def columns(row: object) -> dict[str, object]:
        return {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs if a.key != "id"}

    with db.session() as s:
        rep = s.get(Rep, rep_id)
        assert rep is not None
        conversation = columns(s.get(ConversationRow, rep.conversation_id))
        card = columns(s.get(ScorecardRow, rep.scorecard_id))
        base, template = 1_000_000, columns(rep)
        s.execute(insert(ConversationRow), [{**conversation, "id": base + i} for i in range(ATTEMPTS)])
        s.execute(insert(ScorecardRow), [{**card, "id": base + i, "conversation_id": base + i}
                                         for i in range(ATTEMPTS)])
        s.execute(insert(Rep), [{**template, "id": base + i, "conversation_id": base + i, "scorecard_id": base + i}
                                for i in range(ATTEMPTS)])
    return ATTEMPTS + 1


@pytest.mark.slow
def test_the_export_streams_with_bounded_memory(db: Database, practice: PracticeService, learner: UserRecord,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracemalloc

    monkeypatch.setattr(xapi_export, "BATCH", READ_BATCH)
    expected = _copies(db, practice, learner)
    out = tmp_path / "statements.json"
    scope = ExportScope(org_id=learner.org_id)
    with db.read() as s:
        tracemalloc.start()
        try:
            attempts, count = xapi_export.export_file(s, scope, HOME, out)
            _, streamed_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert attempts == expected and count > 2 * expected
    assert len(json.loads(out.read_text(encoding="utf-8"))) == count
    # the same statements held at once (what a non-streaming export would do) take many times more
    with db.read() as s:
        tracemalloc.start()
        try:
            held = list(StatementBuilder(HOME).all_statements(xapi_export.attempts(s, scope)))
            _, held_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(held) == count
    del held
    assert streamed_peak < 8 * 2**20, f"streaming peaked at {streamed_peak / 2**20:.1f} MiB"
    assert held_peak > 4 * streamed_peak, (held_peak, streamed_peak)
