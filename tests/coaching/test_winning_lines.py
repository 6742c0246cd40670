"""Winning lines (sparring.coaching.winning_lines) on SQLite and PostgreSQL: only a learner's own lines, copied
verbatim from the stored turn, one line per phrasing, searchable, and private to the learner."""

from __future__ import annotations

import pytest
import sparring_test_support as support

from sparring.coaching.winning_lines import LineError, delete_line, list_lines, save_line, situations
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database

#: turn 0 is the persona's opening line, so the learner's lines are turns 1, 3, ...
FIRST, SECOND = 1, 3


@pytest.fixture
def lee(db: Database) -> UserRecord:
    return Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")


def test_a_learner_keeps_their_own_line_verbatim(db: Database, practice: PracticeService, lee: UserRecord) -> None:
    rep = support.scored_rep(practice, lee, "What would change for you if the reports were on time?", "Thanks.")
    with db.session() as s:
        saved = save_line(s, lee, rep, FIRST, "  opening question ")
        assert saved.text == "What would change for you if the reports were on time?"
    with db.read() as s:
        [view] = list_lines(s, lee)
        assert (view.text, view.situation, view.rep_id, view.turn_index) == (saved.text, "opening question", rep,
                                                                             FIRST)
        assert view.scenario_id == support.TEST_SCENARIO
        assert situations(s, lee) == ["opening question"]


def test_only_the_learners_own_turns_can_be_saved(db: Database, practice: PracticeService, lee: UserRecord) -> None:
    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East")
    rep = support.scored_rep(practice, lee, "Which lanes hurt most?")
    with db.session() as s:
        with pytest.raises(LineError, match="only your own lines"):
            save_line(s, lee, rep, 0, "opening")  # the persona's turn
        with pytest.raises(LineError, match="your own reps"):
            save_line(s, kim, rep, FIRST, "stolen")
        with pytest.raises(LineError, match=f"has no turn {SECOND + 40}"):
            save_line(s, lee, rep, SECOND + 40, "nothing")
        with pytest.raises(LineError, match="situation: say when"):
            save_line(s, lee, rep, FIRST, "   ")


def test_the_same_words_are_one_line_retagged(db: Database, practice: PracticeService, lee: UserRecord) -> None:
    first = support.scored_rep(practice, lee, "What does a late report cost you?")
    again = support.scored_rep(practice, lee, "What does a late report cost you?")
    with db.session() as s:
        one = save_line(s, lee, first, FIRST, "cost question")
        two = save_line(s, lee, again, FIRST, "pain question")
        assert one.id == two.id
    with db.read() as s:
        assert [v.situation for v in list_lines(s, lee)] == ["pain question"]


def test_search_filter_delete_and_privacy(db: Database, practice: PracticeService, lee: UserRecord) -> None:
    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East")
    rep = support.scored_rep(practice, lee, "Which lanes hurt most?", "Could we trade volume for price?")
    with db.session() as s:
        lanes = save_line(s, lee, rep, FIRST, "discovery").id
        trade = save_line(s, lee, rep, SECOND, "price objection").id
    with db.read() as s:
        assert [v.id for v in list_lines(s, lee)] == [trade, lanes]  # newest first
        assert [v.id for v in list_lines(s, lee, "LANES")] == [lanes]  # text, any case
        assert [v.id for v in list_lines(s, lee, "objection")] == [trade]  # or situation
        assert [v.id for v in list_lines(s, lee, "", "discovery")] == [lanes]
        assert list_lines(s, kim) == [] and situations(s, kim) == []
    with db.session() as s:
        assert delete_line(s, kim, lanes) is False  # not hers
        assert delete_line(s, lee, lanes) is True
        assert delete_line(s, lee, lanes) is False  # already gone
    with db.read() as s:
        assert [v.id for v in list_lines(s, lee)] == [trade]


def test_saved_lines_come_back_for_review_on_schedule(db: Database, practice: PracticeService,
                                                      lee: UserRecord) -> None:
    from datetime import UTC, datetime, timedelta

    from sparring.coaching.winning_lines import due_count, due_lines, review_line

    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East")
    saved_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rep = support.scored_rep(practice, lee, "Which lanes hurt most?", "Could we trade volume for price?")
    with db.session() as s:
        lanes = save_line(s, lee, rep, FIRST, "discovery", now=saved_at).id
        trade = save_line(s, lee, rep, SECOND, "price objection", now=saved_at + timedelta(hours=1)).id
    day = timedelta(days=1)
    with db.read() as s:
        assert due_count(s, lee, saved_at) == 0 and due_lines(s, lee, saved_at) == []
        assert [d.id for d in due_lines(s, lee, saved_at + day + timedelta(hours=2))] == [lanes, trade]
        assert due_count(s, lee, saved_at + day) == 1
    now = saved_at + 2 * day
    with db.session() as s:
        assert review_line(s, kim, lanes, True, now) is None  # not hers
        done = review_line(s, lee, lanes, True, now)
        assert done is not None and (done.step, done.due_at, done.reviews) == (1, now + 3 * day, 1)
        missed = review_line(s, lee, trade, False, now)
        assert missed is not None and (missed.step, missed.due_at, missed.lapses) == (0, now + day, 1)
    with db.read() as s:
        assert due_count(s, lee, now) == 0
        assert [d.id for d in due_lines(s, lee, now + day)] == [trade]
        assert [d.id for d in due_lines(s, lee, now + 3 * day)] == [trade, lanes]
        assert due_count(s, kim, now + 30 * day) == 0
