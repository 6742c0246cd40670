"""The analytics roll-ups (``store.rep_rollup``) on ``reps`` (migration 0021) and on ``conversations`` (each one's
current scorecard, migration 0031) stay equal to the truth on every path that can change them — a rep started,
ended by the learner or by the persona, scored, re-scored by another scorer, made private and public again,
branched, back-dated by the demo, its conversation deleted, a call stored beside it (unscored, scored, re-scored,
deleted) — on SQLite and PostgreSQL. The truth is recomputed the slow way, in Python, from every scorecard and
conversation, and compared with every rep's and every conversation's copies after each step."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import sparring_test_support as support
from sqlalchemy import delete, select, update

from sparring.conversation.model import Conversation
from sparring.services.accounts import Accounts
from sparring.services.conversation_store import store_call, store_scorecard
from sparring.services.demo import _backdate
from sparring.services.practice import PracticeService
from sparring.store import rep_rollup
from sparring.store.db import Database
from sparring.store.models import ConversationRow, Rep, ScorecardRow
from sparring.testing.fakes import FakePersona, FakeScorer

database_url = support.database_url
db = support.db

Copies = tuple[int | None, float | None, bool | None, bool, float | None]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def truth(db: Database) -> dict[int, Copies]:
    """Every rep's roll-up, computed from the scorecards and conversations one by one."""
    with db.read() as s:
        conversations = {c.id: c for c in s.scalars(select(ConversationRow))}
        cards: dict[int, list[ScorecardRow]] = defaultdict(list)
        for card in s.scalars(select(ScorecardRow)):
            cards[card.conversation_id].append(card)
        out: dict[int, Copies] = {}
        for rep in s.scalars(select(Rep)):
            c = conversations[rep.conversation_id]
            newest = max(cards[c.id], key=lambda card: card.id, default=None)
            seconds = None if c.started_at is None or c.ended_at is None else \
                (_aware(c.ended_at) - _aware(c.started_at)).total_seconds()
            out[rep.id] = (newest.id if newest else None, newest.overall if newest else None,
                           newest.passed if newest else None, c.private, seconds)
    return out


def current_cards(db: Database) -> dict[int, int | None]:
    """Every conversation's current (newest) scorecard id, from the scorecards one by one (the truth)."""
    with db.read() as s:
        out: dict[int, int | None] = dict.fromkeys(s.scalars(select(ConversationRow.id)))
        for card_id, conv_id in s.execute(select(ScorecardRow.id, ScorecardRow.conversation_id)):
            out[conv_id] = max(card_id, out[conv_id] or 0)
    return out


def stored_cards(db: Database) -> dict[int, int | None]:
    with db.read() as s:
        return {cid: card for cid, card in s.execute(select(ConversationRow.id, ConversationRow.scorecard_id))}


def stored(db: Database) -> dict[int, Copies]:
    with db.read() as s:
        return {r.id: (r.scorecard_id, r.overall, r.passed, r.private, r.seconds) for r in s.execute(
            select(Rep.id, Rep.scorecard_id, Rep.overall, Rep.passed, Rep.private, Rep.seconds))}


def assert_true(db: Database) -> dict[int, Copies]:
    """Both roll-ups equal the truth; the reps' copies by rep id."""
    assert stored_cards(db) == current_cards(db)
    expected, found = truth(db), stored(db)
    assert found.keys() == expected.keys()
    for rep_id, want in expected.items():
        got = found[rep_id]
        assert got[:4] == want[:4], f"rep {rep_id}: {got} != {want}"
        assert (got[4] is None) == (want[4] is None), f"rep {rep_id}: seconds {got[4]} != {want[4]}"
        if want[4] is not None:
            assert got[4] == pytest.approx(want[4], abs=1e-3), f"rep {rep_id}: seconds"
    return found


def test_every_path_keeps_the_rollup_equal_to_the_truth(db: Database) -> None:
    line = support.line_practice(db)  # scores from the learner's lines
    plain = PracticeService(db, persona=FakePersona(), scorer=FakeScorer(), content=line.content)
    accounts = Accounts(db)
    lee = accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    kim = accounts.create_user("Acme", "kim@acme.test", None, role="learner", team="East")

    started = line.start_rep(lee, support.TEST_SCENARIO)  # in progress: nothing scored, no end yet
    assert assert_true(db)[started.id] == (None, None, None, False, None)
    line.submit_turn(started.id, "asks-questions=0.5 next-step=1")
    line.end_rep(started.id)  # ended by the learner: its length is known
    assert assert_true(db)[started.id][4] is not None
    line.score_rep(started.id)
    first = assert_true(db)[started.id]
    assert first[0] is not None and first[1] == pytest.approx(75.0) and first[2] is True

    plain.score_rep(started.id)  # re-scored by another scorer: the newest card is current
    again = assert_true(db)[started.id]
    assert again[0] is not None and again[0] > first[0] and again[1] != first[1]

    private = line.start_rep(kim, support.TEST_SCENARIO, private=True)  # starts private
    assert assert_true(db)[private.id][3] is True
    line.submit_turn(private.id, "asks-questions=1 next-step=0")
    line.submit_turn(private.id, "deal")  # the persona ends it (success)
    assert line.get_rep(private.id).ended
    assert assert_true(db)[private.id][4] is not None
    line.score_rep(private.id)
    line.set_private(private.id, False)
    assert assert_true(db)[private.id][3] is False
    line.set_private(private.id, True)
    assert assert_true(db)[private.id][3] is True

    branch = line.branch_rep(private.id, 1)  # a branch of a private rep is private, unscored
    assert assert_true(db)[branch.id] == (None, None, None, True, None)

    _backdate(db, started.id, datetime(2026, 1, 5, 9, 0, tzinfo=UTC))  # the demo's back-dating: length 0
    assert assert_true(db)[started.id][4] == pytest.approx(0.0, abs=1e-3)

    # a scored call beside them: no rep, nothing of theirs changes
    call = Conversation(source="call", title="Renewal call")
    call.add("Rep", "learner", "asks-questions=1 next-step=1", 0.0, 3.0)
    call.add("Buyer", "counterpart", "Fine.", 3.0, 5.0)
    rubric = line.content_for(lee.org_id).get_rubric("test-discovery")
    store_call(db, lee.id, call, scored=(rubric, support.LineScorer().score(call, rubric)),
               started_at=datetime(2026, 1, 1, tzinfo=UTC))
    before = assert_true(db)

    with db.session() as s:  # a conversation deleted: its rep goes with it
        conv = s.scalar(select(Rep.conversation_id).where(Rep.id == started.id))
        s.execute(delete(ConversationRow).where(ConversationRow.id == conv))
    after = assert_true(db)
    assert started.id not in after and {k: v for k, v in before.items() if k != started.id} == after


def test_refresh_repairs_copies_written_around_it_and_skips_calls(db: Database) -> None:
    practice = support.line_practice(db)
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    rep_id = support.rep_with_scores(practice, lee, 1.0, 0.0)
    with db.session() as s:  # a writer that bypassed the service layer
        s.execute(update(Rep).values(scorecard_id=None, overall=None, passed=None, private=True, seconds=-5.0))
        conv = s.scalar(select(Rep.conversation_id).where(Rep.id == rep_id))
    assert stored(db)[rep_id] != truth(db)[rep_id]
    with db.read() as s:
        touched = s.scalar(select(Rep.updated_at).where(Rep.id == rep_id))
    with db.session() as s:
        rep_rollup.refresh(s, [conv, conv + 1000])  # an id without a rep changes nothing
    assert_true(db)
    with db.read() as s:  # the copies are not a change of the rep
        assert s.scalar(select(Rep.updated_at).where(Rep.id == rep_id)) == touched
    with db.engine.begin() as conn:  # a Connection works as a Session does
        rep_rollup.refresh(conn, [])
        rep_rollup.refresh(conn, [conv])
    assert_true(db)


def test_a_session_holding_the_rep_sees_the_new_copies(db: Database) -> None:
    practice = support.line_practice(db)
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    rep_id = support.rep_with_scores(practice, lee, 1.0, 1.0)
    with db.session() as s:
        rep = s.get(Rep, rep_id)
        assert rep is not None and rep.private is False
        s.execute(update(ConversationRow).where(ConversationRow.id == rep.conversation_id)
                  .values(private=True, ended_at=datetime.now(UTC) + timedelta(hours=1)))
        rep_rollup.refresh(s, [rep.conversation_id])
        assert rep.private is True and rep.seconds is not None and rep.seconds > 3000


def test_a_calls_current_scorecard_follows_scoring_rescoring_and_deletion(db: Database) -> None:
    line = support.line_practice(db)
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    rubric = line.content_for(lee.org_id).get_rubric("test-discovery")

    def call(text: str) -> Conversation:
        found = Conversation(source="call", title="Renewal call")
        found.add("Rep", "learner", text, 0.0, 3.0)
        found.add("Buyer", "counterpart", "Fine.", 3.0, 5.0)
        return found

    unscored = store_call(db, lee.id, call("Hello."))
    scored = store_call(db, lee.id, call("asks-questions=1 next-step=0"),
                        scored=(rubric, support.LineScorer().score(call("asks-questions=1 next-step=0"), rubric)))
    rep_id = support.rep_with_scores(line, lee, 0.5, 0.5)  # a scored rep beside them
    assert_true(db)
    cards = stored_cards(db)
    assert cards[unscored] is None and cards[scored] is not None

    with db.session() as s:  # re-scored (as a re-scoring job would): the newer card is current
        conversation = s.get(ConversationRow, scored)
        assert conversation is not None and conversation.scorecard_id == cards[scored]
        newer = store_scorecard(s, conversation, rubric,
                                support.LineScorer().score(call("asks-questions=0 next-step=1"), rubric))
        assert conversation.scorecard_id == newer.id  # a session holding the conversation sees the new copy
    assert_true(db)
    assert stored_cards(db)[scored] == newer.id > cards[scored]
    with db.session() as s:  # the unscored call scored at last
        conversation = s.get(ConversationRow, unscored)
        assert conversation is not None
        first = store_scorecard(s, conversation, rubric, support.LineScorer().score(call("next-step=1"), rubric))
    assert stored_cards(db)[unscored] == first.id
    assert_true(db)

    before = stored_cards(db)
    with db.session() as s:  # a call deleted: its scorecards go with it, nobody else's copy changes
        s.execute(delete(ConversationRow).where(ConversationRow.id == scored))
    assert_true(db)
    assert stored_cards(db) == {k: v for k, v in before.items() if k != scored}

    with db.session() as s:  # a writer that bypassed the service layer; refresh repairs it
        s.execute(update(ConversationRow).values(scorecard_id=None))
    assert stored_cards(db) != current_cards(db)
    with db.session() as s:
        rep_conv = s.scalar(select(Rep.conversation_id).where(Rep.id == rep_id))
        rep_rollup.refresh(s, [unscored, rep_conv])
    assert_true(db)
