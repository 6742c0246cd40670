"""Storing a real call through the service: a conversation of source ``call`` with turns, participants and,
optionally, a scorecard — without a rep — on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sparring.conversation.model import Conversation, Turn
from sparring.services import conversations
from sparring.services.access import Viewer
from sparring.services.content import ContentService
from sparring.services.conversation_store import store_call
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import ConversationRow, CriterionResultRow, Rep, ScorecardRow, User
from sparring.testing.fakes import FakeScorer


def _call(title: str | None = "Acme renewal, 2 Dec") -> Conversation:
    return Conversation(source="call", title=title, turns=[
        Turn(index=0, speaker="Pat Buyer", role="counterpart", text="We are thinking of leaving.", start=0.0, end=3.5),
        Turn(index=1, speaker="Lee", role="learner", text="What would have to change for you to stay?", start=4.0,
             end=7.0),
        Turn(index=2, speaker="Pat Buyer", role="counterpart", text="The price, mostly.", start=7.5, end=9.0),
        Turn(index=3, speaker="Sam Ops", role="other", text="And the reporting.", start=9.5, end=11.0),
    ])


def _viewer(db: Database, user_id: int) -> Viewer:
    with db.read() as s:
        row = s.get(User, user_id)
        assert row is not None
        return Viewer.of(row)


def test_a_scored_call_is_a_conversation_with_turns_participants_and_history(
    db: Database, content: ContentService, learner: UserRecord
) -> None:
    rubric = content.get_rubric("test-discovery")
    call = _call()
    card = FakeScorer().score(call, rubric)
    started = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    cid = store_call(db, learner.id, call, scored=(rubric, card), started_at=started)

    with db.read() as s:
        view = conversations.get_visible(s, _viewer(db, learner.id), cid)
    assert view is not None and view.source == "call" and view.practice is None
    assert view.title == "Acme renewal, 2 Dec" and (view.rubric, view.rubric_version) == (rubric.id, rubric.version)
    assert view.started_at == started and view.ended_at == datetime(2026, 12, 2, 9, 30, 11, tzinfo=UTC)
    assert [(t.index, t.speaker, t.role, t.text, t.start) for t in view.turns or []] == [
        (t.index, t.speaker, t.role, t.text, t.start) for t in call.turns
    ]
    assert [(p.name, p.role, p.user_id) for p in view.participants or []] == [
        ("Pat Buyer", "counterpart", None), ("Lee", "learner", learner.id), ("Sam Ops", "other", None)
    ]
    assert view.scorecard == card.model_dump(mode="json") and view.overall == card.overall
    assert view.team_id == learner.team_ids[0] and view.turn_count == 4
    with db.read() as s:
        assert s.scalar(select(Rep.id)) is None  # no rep: a call is not practice
        results = s.execute(select(CriterionResultRow.conversation_id, CriterionResultRow.user_id,
                                   CriterionResultRow.team_id, CriterionResultRow.criterion_id)).all()
        assert sorted(results) == sorted((cid, learner.id, learner.team_ids[0], c.id) for c in card.criteria)
        assert s.scalar(select(ScorecardRow.conversation_id)) == cid
    # listed among the owner's conversations, never among their practice reps
    with db.read() as s:
        viewer = _viewer(db, learner.id)
        assert [v.id for v in conversations.list_visible(s, viewer, source="call")] == [cid]
        assert conversations.list_visible_reps(s, viewer) == []


def test_an_unscored_call_and_a_private_one(db: Database, learner: UserRecord) -> None:
    cid = store_call(db, learner.id, _call(), private=True)
    with db.read() as s:
        row = s.get(ConversationRow, cid)
        assert row is not None and row.private and row.rubric_id is None and row.ended_at is None
        view = conversations.load(s, cid)
    assert view is not None and view.scorecard is None and view.overall is None and len(view.turns or []) == 4


def test_bad_calls_are_refused_with_the_field_named(
    db: Database, content: ContentService, learner: UserRecord
) -> None:
    with pytest.raises(InvalidInput, match="title"):
        store_call(db, learner.id, _call(title=None))
    with pytest.raises(InvalidInput, match="turns: a call needs at least one turn"):
        store_call(db, learner.id, Conversation(title="empty"))
    twice = _call()
    twice.turns[1].index = 0
    with pytest.raises(InvalidInput, match="turns: every turn needs its own index"):
        store_call(db, learner.id, twice)
    rubric = content.get_rubric("test-discovery")
    card = FakeScorer().score(_call(), rubric)
    card.rubric.id = "another-rubric"
    with pytest.raises(InvalidInput, match="scorecard: it was made with rubric 'another-rubric'"):
        store_call(db, learner.id, _call(), scored=(rubric, card))
    with pytest.raises(NotFound, match="unknown user 999"):
        store_call(db, 999, _call())
    _deactivate(db, learner.id)
    with pytest.raises(Conflict, match="deactivated"):
        store_call(db, learner.id, _call())
    with db.read() as s:
        assert s.scalar(select(ConversationRow.id)) is None  # nothing half-stored


def _deactivate(db: Database, user_id: int) -> None:
    with db.session() as s:
        user = s.get(User, user_id)
        assert user is not None
        user.is_active = False
