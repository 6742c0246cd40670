"""The practice use-cases on SQLite and PostgreSQL, with fake engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sparring.services.errors import Conflict, EngineFailed, InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.models import ConversationRow, CriterionResultRow, ScorecardRow, TurnRow

SCENARIO = "test-guarded-buyer"


def test_start_stores_rep_opening_line_and_pinned_versions(practice: PracticeService, learner: UserRecord) -> None:
    rep = practice.start_rep(learner, SCENARIO, "hard")
    scenario = practice.content.get_scenario(SCENARIO)
    rubric = practice.content.get_rubric("test-discovery")
    assert rep.outcome == "in_progress" and rep.difficulty == "hard"
    assert (rep.scenario_version, rep.rubric_version) == (scenario.version, rubric.version)
    assert [(t.index, t.role, t.speaker, t.text) for t in rep.turns] == [
        (0, "counterpart", "Dana Reyes", scenario.opening_lines[0])
    ]
    assert rep.state.values == {"trust": 0.4, "patience": 0.7}
    assert rep.team_id == learner.team_ids[0] and rep.org_id == learner.org_id


def test_unknown_scenario_difficulty_and_rep(practice: PracticeService, learner: UserRecord) -> None:
    with pytest.raises(LookupError, match="unknown scenario 'nope'"):
        practice.start_rep(learner, "nope")
    with pytest.raises(InvalidInput, match="unknown difficulty"):
        practice.start_rep(learner, SCENARIO, "brutal")
    with pytest.raises(NotFound, match="unknown rep 999"):
        practice.submit_turn(999, "hello?")


def test_turns_alternate_and_state_is_stored(practice: PracticeService, learner: UserRecord) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    r1 = practice.submit_turn(rep.id, "  What slows   your team down?  ")
    assert r1.learner_turn.index == 1 and r1.learner_turn.text == "What slows your team down?"
    assert r1.reply is not None and r1.reply.index == 2 and r1.reply.role == "counterpart"
    assert not r1.ended and r1.state.values["trust"] == 0.5
    stored = practice.get_rep(rep.id)
    assert [t.role for t in stored.turns] == ["counterpart", "learner", "counterpart"]
    assert stored.state.learner_turns == 1 and stored.state.moves == [["question"]]
    with pytest.raises(InvalidInput, match="empty"):
        practice.submit_turn(rep.id, "   ")


def test_engine_end_sets_outcome_and_blocks_more_turns(practice: PracticeService, learner: UserRecord) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "Which lanes hurt most?")
    done = practice.submit_turn(rep.id, "Shall we make it a deal: Thursday at 2?")
    assert done.ended and done.outcome == "success"
    stored = practice.get_rep(rep.id)
    assert stored.outcome == "success" and stored.ended_reason == "next step agreed" and stored.ended_at is not None
    with pytest.raises(Conflict, match="has ended"):
        practice.submit_turn(rep.id, "one more thing")


def test_learner_turn_is_committed_before_the_engine_runs(
    practice: PracticeService, learner: UserRecord, persona: object
) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    with pytest.raises(EngineFailed, match=f"your turn is saved.*--resume {rep.id}"):
        practice.submit_turn(rep.id, "crash please?")
    # a fresh service (as after a restart) sees the turn, committed, without a reply
    fresh = PracticeService(practice.db, persona=persona, scorer=practice.scorer, content=practice.content)  # type: ignore[arg-type]
    stored = fresh.get_rep(rep.id)
    assert [(t.role, t.text) for t in stored.turns[1:]] == [("learner", "crash please?")]
    assert stored.awaiting_reply and stored.outcome == "in_progress"
    with pytest.raises(Conflict, match="waiting for the reply"):
        fresh.submit_turn(rep.id, "hello?")
    # the engine recovers (here: the cause is removed) and resuming computes the missing reply
    with practice.db.session() as s:
        learner_turns = select(TurnRow).where(TurnRow.conversation_id == rep.conversation_id, TurnRow.role == "learner")
        s.scalars(learner_turns).one().text = "calm?"
    resumed = fresh.resume_rep(rep.id)
    assert [t.role for t in resumed.turns] == ["counterpart", "learner", "counterpart"]
    assert not resumed.awaiting_reply


def test_end_early_is_incomplete_and_idempotent(practice: PracticeService, learner: UserRecord) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "Is now a good time?")
    ended = practice.end_rep(rep.id)
    assert ended.outcome == "incomplete" and ended.state.ended and ended.ended_reason == "ended by the learner"
    again = practice.end_rep(rep.id, reason="other")
    assert again.ended_reason == "ended by the learner"


def test_score_stores_scorecard_and_criterion_rows(practice: PracticeService, learner: UserRecord) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "What slows you down?")
    with pytest.raises(Conflict, match="still in progress"):
        practice.score_rep(rep.id)
    practice.end_rep(rep.id)
    card = practice.score_rep(rep.id)
    assert card.rubric.version == rep.rubric_version
    got = practice.get_rep(rep.id)
    assert got.scorecard == card and got.overall == card.overall and got.passed == card.passed
    with practice.db.read() as s:
        rows = s.scalars(select(CriterionResultRow).order_by(CriterionResultRow.id)).all()
        assert [(r.criterion_id, r.skill, r.verdict, r.user_id, r.team_id) for r in rows] == [
            ("asks-questions", "discovery", "met", learner.id, learner.team_ids[0]),
            ("next-step", "next-steps", "met", learner.id, learner.team_ids[0]),
            ("no-discount", None, "met", learner.id, learner.team_ids[0]),
        ]
        assert s.scalar(select(ScorecardRow.document)) == card.model_dump(mode="json")


def test_branch_copies_turns_before_k_and_replays_state(practice: PracticeService, learner: UserRecord) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "What slows you down?")
    practice.submit_turn(rep.id, "We are the best, honestly.")
    practice.submit_turn(rep.id, "Who else is involved?")
    src = practice.get_rep(rep.id)
    branch = practice.branch_rep(rep.id, 3)  # retry the second learner line
    assert branch.parent_rep_id == rep.id and branch.branched_from_turn == 3 and branch.id != rep.id
    assert [(t.index, t.role, t.text) for t in branch.turns] == [(t.index, t.role, t.text) for t in src.turns[:3]]
    assert branch.state.learner_turns == 1 and branch.state.values["trust"] == 0.5
    assert set(t.text for t in branch.turns if t.role == "counterpart") <= set(branch.state.used_lines)
    r = practice.submit_turn(branch.id, "What would fixing it be worth?")
    assert r.learner_turn.index == 3 and r.state.learner_turns == 2
    assert practice.get_rep(rep.id).turn_count == 7  # the source rep is untouched
    with pytest.raises(InvalidInput, match="persona's reply"):
        practice.branch_rep(rep.id, 2)
    with pytest.raises(InvalidInput, match="out of range"):
        practice.branch_rep(rep.id, 0)


def test_list_reps_filters_and_summaries(practice: PracticeService, learner: UserRecord) -> None:
    from sparring.services.accounts import Accounts

    other = Accounts(practice.db).create_user("Globex", "max@globex.test", None)
    a = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(a.id, "Why now?")
    practice.end_rep(a.id)
    practice.score_rep(a.id)
    b = practice.start_rep(learner, SCENARIO, "easy", private=True)
    c = practice.start_rep(other, SCENARIO)
    mine = practice.list_reps(user_id=learner.id)
    assert [r.id for r in mine] == [b.id, a.id]
    assert mine[1].turn_count == 3 and mine[1].overall is not None and mine[0].overall is None
    assert [r.id for r in practice.list_reps(org_id=other.org_id)] == [c.id]
    assert [r.id for r in practice.list_reps(team_ids=learner.team_ids, include_private=False)] == [a.id]
    with practice.db.read() as s:
        assert s.scalar(select(ConversationRow.private).where(ConversationRow.id == b.conversation_id)) is True


def test_deactivated_users_cannot_start_reps(practice: PracticeService, learner: UserRecord) -> None:
    from sparring.services.accounts import Accounts

    Accounts(practice.db).set_active(learner.id, False)
    with pytest.raises(Conflict, match="deactivated"):
        practice.start_rep(learner, SCENARIO)


def test_concurrent_turns_on_one_rep_never_interleave(practice: PracticeService, learner: UserRecord) -> None:
    import threading

    rep = practice.start_rep(learner, SCENARIO)
    outcomes: list[str] = []
    lock = threading.Lock()

    def learner_says(i: int) -> None:
        for j in range(3):
            try:
                practice.submit_turn(rep.id, f"Question {i}.{j}?")
                result = "ok"
            except Conflict:
                result = "conflict"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=learner_says, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    turns = practice.get_rep(rep.id).turns
    assert len(outcomes) == 12 and outcomes.count("ok") >= 1
    assert [t.index for t in turns] == list(range(len(turns)))
    assert [t.role for t in turns] == ["counterpart", "learner"] * (len(turns) // 2) + ["counterpart"]
    assert len(turns) == 1 + 2 * outcomes.count("ok")


def test_llm_usage_is_recorded_per_rep(practice: PracticeService, learner: UserRecord, persona: object) -> None:
    from sparring.kernel.usage import Usage
    from sparring.persona.base import PersonaReply
    from sparring.scoring.scorecard import Scorecard
    from sparring.store.models import UsageRow

    real_reply = persona.reply  # type: ignore[attr-defined]

    def costly_reply(*args: object) -> PersonaReply:
        reply: PersonaReply = real_reply(*args)
        return reply.model_copy(
            update={"usage": Usage(input_tokens=900, output_tokens=40, cost_usd=None, model="m"), "engine": "llm:m"}
        )

    persona.reply = costly_reply  # type: ignore[attr-defined]
    real_score = practice.scorer.score

    def costly_score(*args: object) -> Scorecard:
        card: Scorecard = real_score(*args)  # type: ignore[arg-type]
        return card.model_copy(update={"usage": Usage(input_tokens=2000, output_tokens=300, cost_usd=0.01)})

    practice.scorer.score = costly_score  # type: ignore[method-assign]
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "What slows you down?")
    practice.end_rep(rep.id)
    card = practice.score_rep(rep.id)
    with practice.db.read() as s:
        rows = s.execute(
            select(
                UsageRow.purpose,
                UsageRow.engine,
                UsageRow.input_tokens,
                UsageRow.output_tokens,
                UsageRow.cost_usd,
                UsageRow.org_id,
            ).where(UsageRow.conversation_id == rep.conversation_id)
        ).all()
        tokens = s.execute(select(ScorecardRow.input_tokens, ScorecardRow.output_tokens, ScorecardRow.cost_usd)).one()
    assert sorted(tuple(r) for r in rows) == [
        ("persona", "llm:m", 900, 40, None, learner.org_id),
        ("scoring", "fake", 2000, 300, 0.01, learner.org_id),
    ]
    assert tuple(tokens) == (2000, 300, 0.01) and card.usage is not None
    assert practice.get_rep(rep.id).engine == "llm:m"


def test_an_outdated_stored_scorecard_does_not_break_reading_the_rep(
    practice: PracticeService, learner: UserRecord
) -> None:
    rep = practice.start_rep(learner, SCENARIO)
    practice.end_rep(rep.id)
    card = practice.score_rep(rep.id)
    with practice.db.session() as s:
        row = s.scalars(select(ScorecardRow)).one()
        row.document = {"from": "an older version"}
    got = practice.get_rep(rep.id)
    assert got.scorecard is None and got.overall == card.overall and got.passed == card.passed


def test_the_engine_runs_only_after_the_learner_turn_is_visible_to_other_connections(
    practice: PracticeService, learner: UserRecord, persona: object, database_url: str
) -> None:
    from sparring.store.db import Database

    seen: list[list[str]] = []
    real_reply = persona.reply  # type: ignore[attr-defined]

    def watching_reply(*args: object) -> object:
        other = Database(database_url)  # a separate engine: sees only committed data
        try:
            with other.read() as s:
                seen.append(
                    list(s.scalars(select(TurnRow.text).where(TurnRow.conversation_id == rep.conversation_id)
                                   .order_by(TurnRow.turn_index)))
                )
        finally:
            other.dispose()
        return real_reply(*args)

    persona.reply = watching_reply  # type: ignore[attr-defined]
    rep = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(rep.id, "What slows you down?")
    assert seen == [[rep.turns[0].text, "What slows you down?"]]
