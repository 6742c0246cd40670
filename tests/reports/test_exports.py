"""CSV exports (sparring.reports.exports) on SQLite and PostgreSQL: the columns, the ids that join the files, every
filter, private detail, formula escaping, and a memory bound while streaming a few hundred thousand rows."""

from __future__ import annotations

import csv
import io
import os
import tracemalloc
from datetime import UTC, date, datetime

import pytest
import sparring_test_support as support
from sqlalchemy import insert, select

from sparring.reports.exports import (
    COLUMNS,
    ExportFilter,
    ExportScope,
    csv_chunks,
    export_rows,
    safe_cell,
    write_csv,
)
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.store.db import Database
from sparring.store.models import ConversationRow, CriterionResultRow, Rep, ScorecardRow


def _read(db: Database, kind: str, scope: ExportScope, flt: ExportFilter | None = None) -> list[dict[str, str]]:
    out = io.StringIO()
    with db.read() as s:
        n = write_csv(s, kind, scope, flt or ExportFilter(), out)  # type: ignore[arg-type]
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert n == len(rows)
    assert out.getvalue().splitlines()[0].split(",") == list(COLUMNS[kind])  # type: ignore[index]
    return rows


def _call(db: Database, user_id: int, org_id: int, team_id: int | None, title: str, when: datetime) -> int:
    with db.session() as s:
        row = ConversationRow(source="call", title=title, user_id=user_id, org_id=org_id, team_id=team_id,
                              created_at=when)
        s.add(row)
        s.flush()
        return row.id


def _team_id(db: Database, rep_id: int) -> int | None:
    with db.read() as s:
        rep = s.get(Rep, rep_id)
        assert rep is not None
        return rep.team_id


def test_the_three_files_join_by_their_ids(db: Database, practice: PracticeService) -> None:
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    good = support.scored_rep(practice, lee, "What slows your team down today?")
    practice.score_rep(good)  # scored twice: the newest scorecard is the current one
    bad = support.scored_rep(practice, lee, "Here is our price list.")
    scope = ExportScope(org_id=lee.org_id)
    reps = _read(db, "reps", scope)
    cards = _read(db, "scorecards", scope)
    results = _read(db, "criterion_results", scope)

    assert [r["rep_id"] for r in reps] == [str(good), str(bad)]
    first = reps[0]
    assert first["source"] == "practice" and first["user_email"] == "lee@acme.test" and first["team"] == "East"
    assert first["scenario_id"] == support.TEST_SCENARIO and first["rubric_id"] == "test-discovery"
    assert first["overall"] == "100.0" and first["passed"] == "true" and reps[1]["passed"] == "false"
    assert datetime.fromisoformat(first["created_at"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    # two scorecards for the first rep; the newest one is current and is the one reps.csv points to
    mine = [c for c in cards if c["conversation_id"] == first["conversation_id"]]
    assert len(mine) == 2 and [c["current"] for c in mine] == ["false", "true"]
    assert first["scorecard_id"] == mine[1]["scorecard_id"]
    # every criterion result joins to a scorecard and a conversation of the other files
    card_ids = {c["scorecard_id"]: c["conversation_id"] for c in cards}
    assert results and all(card_ids[r["scorecard_id"]] == r["conversation_id"] for r in results)
    with db.read() as s:
        assert len(results) == len(list(s.scalars(select(CriterionResultRow.id))))
    current = [r for r in results if r["current"] == "true" and r["rep_id"] == str(bad)]
    assert {r["verdict"] for r in current if r["kind"] != "blocker"} == {"missed"}


def test_filters_by_team_user_dates_source_and_scenario(db: Database, practice: PracticeService) -> None:
    accounts = Accounts(db)
    lee = accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    ann = accounts.create_user("Acme", "ann@acme.test", None, role="learner", team="West")
    lee_rep = support.scored_rep(practice, lee, "Why now?")
    ann_rep = support.scored_rep(practice, ann, "Why now?")
    call = _call(db, lee.id, lee.org_id, _team_id(db, lee_rep), "=cmd|' /C calc'!A0", datetime(2020, 3, 5, 23, 59,
                                                                                                  tzinfo=UTC))
    scope = ExportScope(org_id=lee.org_id)

    def ids(flt: ExportFilter) -> list[str]:
        return [r["conversation_id"] for r in _read(db, "reps", scope, flt)]

    with db.read() as s:
        lee_conv = s.get(Rep, lee_rep).conversation_id  # type: ignore[union-attr]
        ann_conv = s.get(Rep, ann_rep).conversation_id  # type: ignore[union-attr]
    assert ids(ExportFilter()) == [str(lee_conv), str(ann_conv), str(call)]
    assert ids(ExportFilter(team_id=_team_id(db, ann_rep))) == [str(ann_conv)]
    assert ids(ExportFilter(user_id=lee.id)) == [str(lee_conv), str(call)]
    assert ids(ExportFilter(source="call")) == [str(call)]
    assert ids(ExportFilter(source="practice", user_id=ann.id)) == [str(ann_conv)]
    assert ids(ExportFilter(scenario_id=support.TEST_SCENARIO)) == [str(lee_conv), str(ann_conv)]
    assert ids(ExportFilter(scenario_id="nope")) == []
    # days are inclusive and UTC: 23:59 on the 5th is in "to 2020-03-05", out of "from 2020-03-06"
    assert ids(ExportFilter(date_from=date(2020, 3, 5), date_to=date(2020, 3, 5))) == [str(call)]
    assert ids(ExportFilter(date_to=date(2020, 3, 4))) == []
    assert str(call) not in ids(ExportFilter(date_from=date(2020, 3, 6)))
    # an extra restriction by conversation ids (where a program's filter plugs in)
    only_ann = select(ConversationRow.id).where(ConversationRow.user_id == ann.id)
    assert ids(ExportFilter(conversation_ids=only_ann)) == [str(ann_conv)]
    # the filters apply to the other files too
    cards = _read(db, "scorecards", scope, ExportFilter(user_id=ann.id))
    assert {c["conversation_id"] for c in cards} == {str(ann_conv)}
    results = _read(db, "criterion_results", scope, ExportFilter(team_id=_team_id(db, lee_rep)))
    assert results and {r["user_email"] for r in results} == {"lee@acme.test"}
    # a call title that a spreadsheet would run is escaped
    assert _read(db, "reps", scope, ExportFilter(source="call"))[0]["title"] == "'=cmd|' /C calc'!A0"


def test_scope_users_other_organisations_and_private_detail(db: Database, practice: PracticeService) -> None:
    accounts = Accounts(db)
    lee = accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    ann = accounts.create_user("Acme", "ann@acme.test", None, role="learner", team="East")
    bob = accounts.create_user("Globex", "bob@globex.test", None, role="learner", team="East")
    support.scored_rep(practice, lee, "What matters?")
    private = support.scored_rep(practice, lee, "What matters most?", private=True)
    support.scored_rep(practice, ann, "What else?")
    support.scored_rep(practice, bob, "Anything?")
    everyone = ExportScope(org_id=lee.org_id)
    assert {r["user_email"] for r in _read(db, "reps", everyone)} == {"lee@acme.test", "ann@acme.test"}
    only_ann = ExportScope(org_id=lee.org_id, user_ids=select(ConversationRow.user_id).where(
        ConversationRow.user_id == ann.id))
    assert {r["user_email"] for r in _read(db, "scorecards", only_ann)} == {"ann@acme.test"}
    # a private rep: its score is exported to anyone in scope, its criterion detail only to its owner
    assert str(private) in {r["rep_id"] for r in _read(db, "scorecards", everyone)}
    assert str(private) not in {r["rep_id"] for r in _read(db, "criterion_results", everyone)}
    as_ann = ExportScope(org_id=lee.org_id, viewer_id=ann.id)
    assert str(private) not in {r["rep_id"] for r in _read(db, "criterion_results", as_ann)}
    as_lee = ExportScope(org_id=lee.org_id, viewer_id=lee.id)
    assert str(private) in {r["rep_id"] for r in _read(db, "criterion_results", as_lee)}


def test_formula_cells_are_escaped_and_other_values_kept() -> None:
    for text in ("=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("What now?") == "What now?"
    assert safe_cell(-2.5) == -2.5 and safe_cell(0) == 0 and safe_cell(None) is None
    chunks = list(csv_chunks([["=a", 1], ["b, c", 2], ["d", 3]], ["x", "y"], lines_per_chunk=2))
    assert len(chunks) == 2
    assert list(csv.reader(io.StringIO("".join(chunks)))) == [["x", "y"], ["=a", "1"], ["b, c", "2"], ["d", "3"]]


#: criterion results generated for the memory test (a few seconds to insert on either database; tracemalloc
#: slows the export itself several times over)
ROWS = 50_000


def _generated(db: Database, practice: PracticeService) -> int:
    """One scored rep whose scorecard carries ROWS generated criterion results (one bulk insert): the org id."""
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    rep_id = support.scored_rep(practice, lee, "What matters?")
    with db.session() as s:
        rep = s.get(Rep, rep_id)
        assert rep is not None
        card = s.scalar(select(ScorecardRow).where(ScorecardRow.conversation_id == rep.conversation_id))
        assert card is not None
        when = datetime(2026, 1, 1, tzinfo=UTC)
        s.execute(insert(CriterionResultRow), [
            {"scorecard_id": card.id, "conversation_id": rep.conversation_id, "org_id": lee.org_id,
             "team_id": rep.team_id, "user_id": lee.id, "criterion_id": f"criterion-{i % 50}", "kind": "behaviour",
             "skill": f"skill-{i % 7}", "score": float(i % 101), "max": 100.0, "verdict": "partly",
             "created_at": when}
            for i in range(ROWS)
        ])
    return lee.org_id


@pytest.mark.slow
def test_streaming_keeps_memory_bounded(db: Database, practice: PracticeService) -> None:
    org_id = _generated(db, practice)
    scope = ExportScope(org_id=org_id)
    with db.read() as s, open(os.devnull, "w", encoding="utf-8", newline="") as sink:
        tracemalloc.start()
        try:
            n = write_csv(s, "criterion_results", scope, ExportFilter(), sink)
            _, streamed_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert n >= ROWS
    # the same rows held at once (what a non-streaming export would do) take an order of magnitude more
    with db.read() as s:
        tracemalloc.start()
        try:
            held = list(export_rows(s, "criterion_results", scope, ExportFilter()))
            _, held_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(held) == n
    del held
    assert streamed_peak < 16 * 2**20, f"streaming peaked at {streamed_peak / 2**20:.1f} MiB"
    assert held_peak > 8 * streamed_peak, (held_peak, streamed_peak)
