"""The one read model of a conversation: a practice rep read as a ConversationView with its practice extension,
the API's RepView and the service's RepRecord as projections of it, summaries for private conversations."""

from __future__ import annotations

from sqlalchemy import select

from sparring.services import conversations
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.conversations import RepView
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import ConversationRow, ParticipantRow, Rep, User

SCENARIO = "test-guarded-buyer"
#: the keys of ``GET /api/reps/{id}`` (docs/web.md): the projection must keep every one
REP_KEYS = {"id", "user_id", "learner", "scenario", "scenario_version", "rubric", "rubric_version", "difficulty",
            "outcome", "ended_reason", "private", "parent_rep_id", "branched_from_turn", "created_at", "ended_at",
            "turn_count", "learner_turns", "overall", "passed", "summary_only", "turns", "scorecard"}


def _viewer(db: Database, user_id: int) -> Viewer:
    with db.read() as s:
        row = s.get(User, user_id)
        assert row is not None
        return Viewer.of(row)


def _played(practice: PracticeService, learner: UserRecord, private: bool = False) -> int:
    rep = practice.start_rep(learner, SCENARIO, "easy", private=private)
    practice.submit_turn(rep.id, "What slows your team down?")
    practice.submit_turn(rep.id, "Shall we make it a deal?")
    practice.score_rep(rep.id)
    return rep.id


def test_a_rep_is_a_practice_conversation_in_one_read_model(
    db: Database, practice: PracticeService, learner: UserRecord
) -> None:
    rep_id = _played(practice, learner)
    record = practice.get_rep(rep_id)
    with db.read() as s:
        conversation = s.get(ConversationRow, record.conversation_id)
        assert conversation is not None and conversation.source == "practice"
        assert s.scalar(select(Rep.conversation_id).where(Rep.id == rep_id)) == conversation.id
        view = conversations.get_visible(s, _viewer(db, learner.id), conversation.id)
    assert view is not None and view.practice is not None
    assert view.title == practice.content.get_scenario(SCENARIO).title
    assert (view.practice.rep_id, view.practice.scenario, view.practice.outcome) == (rep_id, SCENARIO, "success")
    assert view.started_at is not None and view.ended_at is not None and view.ended_at >= view.started_at
    # who spoke, in the order they joined: the persona opened, the learner (linked to their account) answered
    assert [(p.name, p.role, p.user_id) for p in view.participants or []] == [
        ("Dana Reyes", "counterpart", None), ("Learner", "learner", learner.id)
    ]
    fresh = practice.start_rep(learner, SCENARIO)
    with db.read() as s:  # the learner joined with their first line (turn 1); a fresh rep's learner has not spoken
        joined = {cid: sorted((p.role, p.first_turn) for p in s.scalars(
            select(ParticipantRow).where(ParticipantRow.conversation_id == cid)))
            for cid in (view.id, fresh.conversation_id)}
    assert joined == {view.id: [("counterpart", 0), ("learner", 1)],
                      fresh.conversation_id: [("counterpart", 0), ("learner", None)]}
    # the service's record and the API's view are projections of the same model
    assert [t.text for t in record.turns] == [t.text for t in view.turns or []]
    assert record.scorecard is not None and record.scorecard.model_dump(mode="json") == view.scorecard
    api = RepView.of(view).model_dump()
    assert set(api) == REP_KEYS and api["id"] == rep_id and api["learner"] == "lee@acme.test"
    assert (api["scenario"], api["outcome"], api["turn_count"]) == (SCENARIO, "success", 5)
    assert api["learner_turns"] == 2  # the opening and two replies are the counterpart's


def test_private_conversations_are_summaries_for_others_and_lists_are_newest_first(
    db: Database, practice: PracticeService, learner: UserRecord
) -> None:
    manager = Accounts(db).create_user("Acme", "mia@acme.test", None, role="manager", team="East")
    shared = _played(practice, learner)
    private = _played(practice, learner, private=True)
    as_manager = _viewer(db, manager.id)
    with db.read() as s:
        listed = conversations.list_visible_reps(s, as_manager)
        assert [r.id for r in listed] == [private, shared]
        assert listed[0].summary_only and listed[0].turn_count is None and listed[0].overall is not None
        assert listed[0].learner_turns is None and listed[1].learner_turns == 2
        assert not listed[1].summary_only and listed[1].turn_count == 5
        rep = s.get(Rep, private)
        assert rep is not None
        summary = conversations.rep_view(s, as_manager, rep)
        own = conversations.rep_view(s, _viewer(db, learner.id), rep)
    assert summary is not None and summary.summary_only and summary.turns is None and summary.scorecard is None
    assert own is not None and not own.summary_only and own.turns and own.scorecard
    # the service's list (no viewer: the caller filters) reads the same model
    assert [r.id for r in practice.list_reps(user_id=learner.id)] == [private, shared]
    assert [r.id for r in practice.list_reps(user_id=learner.id, include_private=False)] == [shared]
