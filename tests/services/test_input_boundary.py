"""The service layer's input boundary on SQLite and PostgreSQL: learner lines are cleaned before they are stored
(NUL and lone surrogates refused with nothing stored, bidi overrides removed), ids no row can have are unknown
rather than database errors, and winning-line texts are cleaned too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sparring.coaching import winning_lines
from sparring.content.errors import UnknownContentError
from sparring.inputs import MAX_DB_ID
from sparring.services.access import Viewer, get_own_rep, get_visible_rep
from sparring.services.dashboards import may_view_learner
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.practice import MAX_TURN_CHARS, PracticeService, clean_turn
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Rep, TurnRow, WinningLine

SCENARIO = "test-guarded-buyer"
HUGE = [2**31, 2**63, 2**70, 10**30, 0, -1]


def _turns(db: Database, rep_id: int) -> list[str]:
    with db.read() as s:
        turns = select(TurnRow.text).join(Rep, Rep.conversation_id == TurnRow.conversation_id)
        return list(s.scalars(turns.where(Rep.id == rep_id).order_by(TurnRow.turn_index)))


@pytest.mark.parametrize(("line", "problem"), [
    ("price?\x00 DROP TABLE", "NUL"),
    ("half a pair \ud83d here", "surrogate"),
    ("   \n\t ", "empty"),
    ("x" * (MAX_TURN_CHARS + 1), "too long"),
    ("y" * (10 * MAX_TURN_CHARS), "too long"),
])
def test_a_bad_line_is_refused_and_nothing_is_stored(practice: PracticeService, learner: UserRecord, db: Database,
                                                     line: str, problem: str) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    with pytest.raises(InvalidInput, match=problem) as caught:
        practice.submit_turn(rep.id, line)
    assert str(caught.value).startswith("text: ") and len(str(caught.value)) < 120  # names the field, no echo
    assert len(_turns(db, rep.id)) == 1  # only the opening line
    assert practice.submit_turn(rep.id, "What matters most to you?").learner_turn.index == 1  # the rep goes on


def test_bidi_overrides_are_removed_and_text_normalised_before_storing(
    practice: PracticeService, learner: UserRecord, db: Database,
) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    result = practice.submit_turn(rep.id, "I can offer \u202e%01 ffo\u202c and  cafe\u0301\n terms")
    stored = "I can offer %01 ffo and café terms"
    assert result.learner_turn.text == stored
    assert _turns(db, rep.id)[1] == stored


def test_clean_turn_is_what_submit_turn_stores() -> None:
    assert clean_turn("  a\u2066b\u2069  c ") == "ab c"
    with pytest.raises(InvalidInput, match="text: must be text"):
        clean_turn(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("rep_id", HUGE)
def test_ids_no_row_can_have_are_unknown_reps(practice: PracticeService, learner: UserRecord, db: Database,
                                              rep_id: int) -> None:
    with pytest.raises(NotFound, match="unknown rep"):
        practice.submit_turn(rep_id, "hello?")
    with pytest.raises(NotFound, match="unknown rep"):
        practice.get_rep(rep_id)
    with pytest.raises(NotFound, match="unknown rep"):
        practice.end_rep(rep_id)
    with pytest.raises(NotFound, match="unknown rep"):
        practice.set_private(rep_id, True)
    viewer = Viewer(id=learner.id, org_id=learner.org_id, role="admin", name="Lee", email=learner.email)
    with db.read() as s:
        assert get_visible_rep(s, viewer, rep_id) is None
        assert get_own_rep(s, viewer, rep_id) is None
        assert may_view_learner(s, viewer, rep_id) is None
    with db.session() as s:
        assert winning_lines.delete_line(s, viewer, rep_id) is False
        with pytest.raises(winning_lines.LineError, match="rep:"):
            winning_lines.save_line(s, viewer, rep_id, 1, "price objection")


def test_the_largest_id_is_simply_not_found(practice: PracticeService) -> None:
    with pytest.raises(NotFound, match=f"unknown rep {MAX_DB_ID}"):
        practice.get_rep(MAX_DB_ID)


def test_an_unknown_or_bad_scenario_id_is_never_echoed_in_full(practice: PracticeService,
                                                               learner: UserRecord) -> None:
    with pytest.raises(UnknownContentError) as caught:
        practice.start_rep(learner, "n" * 150)
    assert len(caught.value.brief) < 100 and caught.value.brief.startswith("unknown scenario 'nnn")
    assert "n" * 61 not in str(caught.value)
    for bad, problem in [("s" * 10_000, "too long"), ("a\x00b", "NUL"), ("\udc00", "surrogate"), (" ", "empty")]:
        with pytest.raises(InvalidInput, match=problem) as refused:
            practice.start_rep(learner, bad)
        assert len(str(refused.value)) < 120
    with pytest.raises(InvalidInput) as level:
        practice.start_rep(learner, SCENARIO, "h" * 10_000)
    assert len(str(level.value)) < 120


def test_winning_line_situations_and_searches_are_cleaned(practice: PracticeService, learner: UserRecord,
                                                           db: Database) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "What would a good outcome look like?")
    viewer = Viewer(id=learner.id, org_id=learner.org_id, role="learner", name="Lee", email=learner.email)
    with db.session() as s:
        for bad, problem in [("price\x00", "NUL"), ("\ud800", "surrogate"), ("p" * 121, "too long")]:
            with pytest.raises(winning_lines.LineError, match=f"situation: .*{problem}"):
                winning_lines.save_line(s, viewer, rep.id, 1, bad)
        assert s.scalar(select(func.count()).select_from(WinningLine)) == 0
        line = winning_lines.save_line(s, viewer, rep.id, 1, "  price\u202e  objection ")
        assert line.situation == "price objection"
    with db.read() as s:
        assert [v.id for v in winning_lines.list_lines(s, viewer, "OUTCOME", "price objection")] == [line.id]
        with pytest.raises(winning_lines.LineError, match="q: contains a NUL"):
            winning_lines.list_lines(s, viewer, "a\x00")
        with pytest.raises(winning_lines.LineError, match="situation: is too long"):
            winning_lines.list_lines(s, viewer, "", "s" * 201)
