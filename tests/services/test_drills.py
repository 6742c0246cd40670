"""Drills as a use case (sparring.services.drills) on SQLite and PostgreSQL: a manager turns a moment of a stored call
into org content (versioned, editable, findable), again from the same moment, who may, the errors with their
reasons, and assigning it in the same step (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sparring.coaching.drills import DrillRequest
from sparring.content.errors import UnknownContentError
from sparring.content.library import builtin_rubric
from sparring.conversation.importers import read_transcript
from sparring.scoring.embedded import EmbeddedScorer
from sparring.scoring.scorecard import Scorecard
from sparring.services import authoring
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.conversation_store import new_conversation, owner_of, store_call
from sparring.services.drills import DrillAssignment, create_drill, review_stored_call, scenario_yaml
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.records import UserRecord
from sparring.store.coaching_models import AssigneeRow, AssignmentRow, CoachingLoopRow, NotificationRow
from sparring.store.db import Database
from sparring.store.models import ContentVersion

CALL = Path(__file__).parents[1] / "fixtures" / "calls" / "drill-price-call.txt"
RUBRIC = "sales-objection-handling"
DUE = date.today() + timedelta(days=7)


@cache
def _scored() -> tuple[Any, Scorecard]:
    rubric = builtin_rubric(RUBRIC)
    assert rubric is not None
    conv = read_transcript(CALL, source="call")
    return rubric, EmbeddedScorer().score(conv, rubric)


def viewer(u: UserRecord) -> Viewer:
    return Viewer(id=u.id, org_id=u.org_id, role=u.role, name=u.name or u.email, email=u.email)


@dataclass
class Org:
    lee: UserRecord  # learner, East: the rep on the call
    max: UserRecord  # manager of East
    wes: UserRecord  # manager of West
    ada: UserRecord  # admin of Acme
    gus: UserRecord  # admin of Globex
    call: int
    price_turn: int


@pytest.fixture
def org(db: Database, learner: UserRecord) -> Org:
    acc = Accounts(db)
    people = dict(
        lee=learner,
        max=acc.create_user("Acme", "max@acme.test", None, role="manager", team="East", name="Max"),
        wes=acc.create_user("Acme", "wes@acme.test", None, role="manager", team="West", name="Wes"),
        ada=acc.create_user("Acme", "ada@acme.test", None, role="admin", name="Ada"),
        gus=acc.create_user("Globex", "gus@globex.test", None, role="admin", name="Gus"),
    )
    rubric, card = _scored()
    call = store_call(db, learner.id, read_transcript(CALL, source="call"), scored=(rubric, card))
    summary = review_stored_call(db, None, call).summary
    price = next(m for m in summary.moments if m.kind == "objection_price")
    return Org(**people, call=call, price_turn=price.start_turn)


def _versions(db: Database, content_id: str) -> list[tuple[str, bool]]:
    with db.read() as s:
        return [(r.version, r.published) for r in authoring.versions(s, _org_id(db), "scenario", content_id)]


def _org_id(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.min(ContentVersion.org_id))) or 0)


def test_a_manager_publishes_a_drill_from_a_moment_of_their_learners_call(db: Database, org: Org) -> None:
    created = create_drill(db, viewer(org.max), org.call, org.price_turn)
    assert created.scenario_id == f"drill-{org.call}-t{org.price_turn}" and created.new_version
    assert created.as_json() == {"scenario_id": created.scenario_id, "version": created.version,
                                 "assignment_id": None, "loop_id": created.loop_id}
    assert (created.moment_kind, created.engine) == ("objection_price", "template")
    # real content of the organisation: the current version, editable, playable by its learners
    sc = ContentService(db, org.lee.org_id).get_scenario(created.scenario_id)
    assert sc.version == created.version and sc.rubric == RUBRIC
    assert sc.source is not None and (sc.source.conversation_id, sc.source.start_turn) == (org.call, org.price_turn)
    assert sc.source.criterion == created.criterion
    with db.read() as s:
        text = authoring.source_of(s, org.lee.org_id, "scenario", created.scenario_id)
        row = s.scalar(select(ContentVersion).where(ContentVersion.content_id == created.scenario_id))
    assert text is not None and text.startswith(f"# A drill made from call {org.call}")
    assert authoring.validate_text(text).ok
    assert row is not None and row.org_id == org.lee.org_id and row.created_by == org.max.id and row.published
    with pytest.raises(UnknownContentError):  # another organisation never sees it
        ContentService(db, org.gus.org_id).get_scenario(created.scenario_id)


def test_again_from_the_same_moment_is_the_same_version_or_a_new_one_when_the_content_differs(
        db: Database, org: Org) -> None:
    first = create_drill(db, viewer(org.ada), org.call, org.price_turn)
    again = create_drill(db, viewer(org.max), org.call, org.price_turn)
    assert (again.scenario_id, again.version, again.new_version) == (first.scenario_id, first.version, False)
    assert len(_versions(db, first.scenario_id)) == 1

    class Writer:
        engine = "llm:stub"

        def write(self, request: DrillRequest) -> dict[str, Any]:
            return {"persona": {"personality": "calm, exact, and short on time"},
                    "pressing_lines": ["That does not close the gap.", "I still need a reason."]}

    richer = create_drill(db, viewer(org.max), org.call, org.price_turn, writer=Writer())
    assert richer.new_version and richer.version != first.version and richer.engine == "llm:stub"
    assert ContentService(db, org.lee.org_id).get_scenario(first.scenario_id).version == richer.version
    # an admin edits it in the editor; making it again publishes the generated one as the current version
    with db.session() as s:
        edited = authoring.publish(s, org.lee.org_id, org.ada.id,
                                   scenario_yaml(ContentService(db, org.lee.org_id).get_scenario(first.scenario_id))
                                   .replace("max_turns: 6", "max_turns: 8"))
    assert edited.version not in (first.version, richer.version)
    back = create_drill(db, viewer(org.max), org.call, org.price_turn)
    assert (back.version, back.new_version) == (first.version, False)
    assert ContentService(db, org.lee.org_id).get_scenario(first.scenario_id).version == first.version
    assert len(_versions(db, first.scenario_id)) == 3


def test_who_may_make_a_drill(db: Database, org: Org) -> None:
    with pytest.raises(NotFound, match="only managers and admins"):
        create_drill(db, viewer(org.lee), org.call, org.price_turn)  # the rep, from their own call
    with pytest.raises(NotFound, match=f"unknown conversation {org.call}"):
        create_drill(db, viewer(org.wes), org.call, org.price_turn)  # a manager of another team
    with pytest.raises(NotFound, match=f"unknown conversation {org.call}"):
        create_drill(db, viewer(org.gus), org.call, org.price_turn)  # another organisation's admin
    assert create_drill(db, viewer(org.ada), org.call, org.price_turn).scenario_id
    assert create_drill(db, None, org.call, org.price_turn).scenario_id  # the local operator


def test_a_private_call_cannot_be_drilled_by_a_manager(db: Database, org: Org, learner: UserRecord) -> None:
    rubric, card = _scored()
    private = store_call(db, learner.id, read_transcript(CALL, source="call"), scored=(rubric, card), private=True)
    with pytest.raises(NotFound, match="private"):
        create_drill(db, viewer(org.max), private, org.price_turn)


def test_errors_name_the_problem(db: Database, org: Org, learner: UserRecord) -> None:
    with pytest.raises(NotFound, match="unknown conversation 9999"):
        create_drill(db, viewer(org.max), 9999, 1)
    with db.session() as s:
        rep = new_conversation(s, owner_of(s, learner.id), "practice", "a rep").id
    with pytest.raises(InvalidInput, match="is a practice conversation, not a call"):
        create_drill(db, viewer(org.max), rep, 0)
    turns = sorted({m.start_turn for m in review_stored_call(db, None, org.call).summary.moments})
    assert 1 not in turns
    with pytest.raises(InvalidInput) as exc:
        create_drill(db, viewer(org.max), org.call, 1)
    assert str(exc.value) == (f"no moment of call {org.call} starts at turn 1; moments start at turns: "
                              f"{', '.join(str(t) for t in turns)}")
    with pytest.raises(InvalidInput, match="0 or more"):
        create_drill(db, viewer(org.max), org.call, -1)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ContentVersion)) == 0


def test_a_moment_with_no_criterion_to_target_says_so(db: Database, org: Org, learner: UserRecord,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import sparring.services.drills as drills
    from sparring.review.moment import CallSummary, Moment

    rubric, card = _scored()
    every_met = card.model_copy(update={"criteria": [c.model_copy(update={"verdict": "met"}) for c in card.criteria]})
    call = store_call(db, learner.id, read_transcript(CALL, source="call"), scored=(rubric, every_met))
    bare = Moment(kind="objection_price", start_turn=4, end_turn=5, summary="s", impact=-0.5, criterion=None)
    monkeypatch.setattr(drills, "summarise_call", lambda *a, **k: CallSummary(moments=[bare], pivotal=bare))
    with pytest.raises(InvalidInput, match=f"call {call}, turn 4: no criterion to target"):
        create_drill(db, viewer(org.max), call, 4)
    monkeypatch.setattr(drills, "summarise_call", lambda *a, **k: CallSummary(note="The call has no turns."))
    with pytest.raises(InvalidInput, match="has no key moments to make a drill from"):
        create_drill(db, viewer(org.max), call, 4)


def test_assigning_in_the_same_step(db: Database, org: Org) -> None:
    created = create_drill(db, viewer(org.max), org.call, org.price_turn,
                           assign=DrillAssignment("lee@acme.test", DUE, reps=3))
    assert created.assignment_id is not None and created.as_json()["assignment_id"] == created.assignment_id
    with db.read() as s:
        row = s.get(AssignmentRow, created.assignment_id)
        assert row is not None
        assert (row.scenario_id, row.scenario_version, row.reps_required, row.submit_best, row.assigned_by) == (
            created.scenario_id, created.version, 3, True, org.max.id)
        assert "submit your best" in row.note
        assert [a.user_id for a in s.scalars(select(AssigneeRow))] == [org.lee.id]
        kinds = [n.kind for n in s.scalars(select(NotificationRow).where(NotificationRow.user_id == org.lee.id))]
    assert kinds == ["assigned"]


def test_a_drill_opens_the_coaching_loop_on_its_moment(db: Database, org: Org) -> None:
    first = create_drill(db, viewer(org.max), org.call, org.price_turn)
    assert first.loop_id is not None and first.as_json()["loop_id"] == first.loop_id
    again = create_drill(db, viewer(org.max), org.call, org.price_turn,
                         assign=DrillAssignment("lee@acme.test", DUE, reps=3))
    assert again.loop_id == first.loop_id  # the same open loop, now with the assignment
    with db.read() as s:
        [loop] = s.scalars(select(CoachingLoopRow))
        assert (loop.call_conversation_id, loop.start_turn, loop.criterion_id, loop.status) == (
            org.call, org.price_turn, again.criterion, "open")
        assert (loop.drill_scenario_id, loop.assignment_id, loop.user_id, loop.created_by) == (
            again.scenario_id, again.assignment_id, org.lee.id, org.max.id)


def test_a_bad_assignment_publishes_nothing(db: Database, org: Org) -> None:
    with pytest.raises(NotFound):
        create_drill(db, viewer(org.max), org.call, org.price_turn,
                     assign=DrillAssignment("nobody@acme.test", DUE))
    with pytest.raises(InvalidInput):
        create_drill(db, viewer(org.max), org.call, org.price_turn,
                     assign=DrillAssignment("lee@acme.test", date.today() - timedelta(days=3)))
    with pytest.raises(NotFound):  # a manager assigns only to their own teams' learners
        create_drill(db, viewer(org.wes), org.call, org.price_turn, assign=DrillAssignment("team:East", DUE))
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ContentVersion)) == 0
        assert s.scalar(select(func.count()).select_from(AssignmentRow)) == 0
