"""The demo's real calls and coaching loops (sparring.services.demo_loop), on both backends: ``seed_demo`` imports
the four demo calls for their reps, runs one loop to a verdict (drill from the pivotal moment, assigned, two drill
reps played and scored, the best submitted, the next call imported) and leaves one open; a second run changes
nothing. The demo calls route as docs/demo.md lists, and each has a clear pivotal moment."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from sparring.conversation.importers import parse_transcript_bytes
from sparring.review.moments import summarise_call
from sparring.review.routing import route_call
from sparring.services import loops
from sparring.services.access import Viewer
from sparring.services.assignments import list_for_user
from sparring.services.demo import DEMO_USERS, seed_demo
from sparring.services.demo_loop import AVA_DISCOVERY, BEN_FIRST, BEN_NEXT, CHLOE_RENEWAL, DEMO_CALLS, read_call
from sparring.services.notifications import list_notifications
from sparring.store.db import Database
from sparring.store.models import ConversationRow, Rep, User
from sparring.store.review_models import CallSummaryRow

#: the admin, the manager and the three reps of the calls, without their scripted practice reps and the sprint's
#: (quicker)
CALL_USERS = (DEMO_USERS[0], DEMO_USERS[1], *(replace(u, reps=0, program_reps=0) for u in DEMO_USERS[2:5]))


def _viewer(db: Database, email: str) -> Viewer:
    with db.read() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        return Viewer.of(user)


def test_the_demo_imports_calls_and_closes_one_loop_with_a_verdict_and_leaves_one_open(db: Database) -> None:
    first = seed_demo(db, users=CALL_USERS)
    assert first.created and (first.calls, first.loops) == (4, 2)
    with db.read() as s:
        calls = {row.title: row for row in s.scalars(select(ConversationRow).where(ConversationRow.source == "call"))}
        assert set(calls) == {c.file.rsplit(".", 1)[0] for c in DEMO_CALLS}
        owner = {title: s.get(User, row.user_id).email for title, row in calls.items()}  # type: ignore[union-attr]
        assert all(owner[c.file.rsplit(".", 1)[0]] == c.email for c in DEMO_CALLS)
        assert calls["lumen-health-discovery"].rubric_id == "discovery"
        assert calls["northgate-renewal"].rubric_id == "renewal-value"
        assert calls["brightwave-follow-up"].rubric_id == "sales-objection-handling"
        kept = set(s.scalars(select(CallSummaryRow.conversation_id)))
        assert kept == {row.id for row in calls.values()}  # moments kept: the calls list shows each pivotal one
        manager = _viewer(db, "manager@northwind.example")
        every = loops.list_loops(s, manager)
        closed = [v for v in every if v.status == "closed"]
        opened = [v for v in every if v.status == "open"]
        assert len(every) == 2 and len(closed) == 1 and len(opened) == 1
        assert (closed[0].rep_email, opened[0].rep_email) == (BEN_FIRST.email, CHLOE_RENEWAL.email)
        done = closed[0].as_json()
        assert done["verdict"] in ("improved", "not_improved", "not_enough_evidence")
        assert done["call"]["title"] == "brightwave-follow-up"
        assert done["next_call"]["title"] == "castello-foods-follow-up" and done["reason"] and done["next_step"]
        assert done["numbers"]["drills"]["n"] == 2  # both drill reps count
        assert opened[0].as_json()["call"]["title"] == "northgate-renewal" and opened[0].as_json()["next_call"] is None
        # the drill reps are scored practice reps of Ben's on the drill, and the better one is submitted
        ben = _viewer(db, BEN_FIRST.email)
        drill = done["drill_scenario_id"]
        reps = list(s.scalars(select(Rep).where(Rep.user_id == ben.id, Rep.scenario_id == drill)))
        assert len(reps) == 2 and all(r.outcome != "in_progress" for r in reps)
        assert sorted(done["numbers"]["drills"]["conversations"]) == sorted(r.conversation_id for r in reps)
        # the loop's story happened in order: first call, loop opened, drill reps, next call
        first_at, next_at = calls["brightwave-follow-up"].created_at, calls["castello-foods-follow-up"].created_at
        assert first_at < min(r.created_at for r in reps) <= max(r.created_at for r in reps) < next_at
    with db.read() as s:
        ben_tasks = list_for_user(s, ben.id)
        chloe_tasks = list_for_user(s, _viewer(db, CHLOE_RENEWAL.email).id)
    assert [t.learners[0].status for t in ben_tasks] == ["submitted"]
    assert ben_tasks[0].learners[0].reps_done == 2
    assert [t.learners[0].status for t in chloe_tasks] == ["not_started"]
    with db.read() as s:  # the manager who made the drill is told Ben submitted and the loop closed
        told = [n.kind for n in list_notifications(s, manager.id)]
        assert "loop_closed" in told and "submitted" in told

    again = seed_demo(db, users=CALL_USERS)
    assert not again.created and again.calls == 0
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConversationRow)
                        .where(ConversationRow.source == "call")) == 4
        assert len(loops.list_loops(s, manager)) == 2


def test_without_the_reps_of_the_calls_the_demo_seeds_no_calls(db: Database) -> None:
    result = seed_demo(db, users=(DEMO_USERS[0], replace(DEMO_USERS[2], reps=0, program_reps=0)))
    assert result.created and result.calls == 0


@pytest.mark.parametrize(("call", "call_type", "pivotal"), [
    (AVA_DISCOVERY, "discovery", "commitment_won"),
    (CHLOE_RENEWAL, "renewal", "objection_price"),
    (BEN_FIRST, "objection-heavy", "objection_price"),
    (BEN_NEXT, "discovery", "objection_price"),
])
def test_each_demo_call_routes_as_written_and_has_a_clear_pivotal_moment(call: object, call_type: str,
                                                                          pivotal: str) -> None:
    from sparring.services.demo_loop import DemoCall

    assert isinstance(call, DemoCall)
    conv = parse_transcript_bytes(read_call(call.file), call.file, rep=call.rep, source="call")
    assert conv.speakers("learner") == [call.rep] and 2 <= len(conv.speakers()) <= 3
    assert conv.timed == (not call.file.endswith(".txt"))
    assert route_call(conv).call_type == call_type
    summary = summarise_call(conv, None)
    assert summary.pivotal is not None and summary.pivotal.kind == pivotal, summary.note


def test_a_demo_made_before_the_demo_had_calls_gets_them_once(db: Database) -> None:
    older = seed_demo(db, users=CALL_USERS, with_calls=False)
    assert older.created and older.calls == 0
    upgraded = seed_demo(db, users=CALL_USERS)
    assert not upgraded.created and (upgraded.calls, upgraded.loops) == (4, 2)
    assert seed_demo(db, users=CALL_USERS).calls == 0
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConversationRow)
                        .where(ConversationRow.source == "call")) == 4
