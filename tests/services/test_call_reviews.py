"""Stored calls as viewers see them and their cached summaries (sparring.services.call_reviews) on both database
backends: the summary is computed once, kept with the scorecard it used and computed again after a re-score; the
calls list and one call follow the access rules; the review document has the CONTRACT keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sparring.content.library import get_library
from sparring.root import Sparring
from sparring.scoring.scorecard import Scorecard
from sparring.services import call_reviews
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.calls import CallImporter
from sparring.services.conversation_store import store_scorecard
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.models import ConversationRow
from sparring.store.review_models import CallSummaryRow
from sparring.testing.fakes import FakeScorer

CALLS = Path(__file__).parents[1] / "fixtures" / "calls"
FORMATS = Sparring(Settings()).formats


def _import(db: Database, user: UserRecord, name: str = "zoom-discovery.vtt", rep: str = "Maya Chen") -> int:
    importer = CallImporter(db, lambda: FakeScorer(), formats=FORMATS)  # type: ignore[arg-type,return-value]
    (result,) = importer.import_paths([CALLS / name], user.id, rep=rep)
    assert result.ok and result.conversation_id is not None, result.error
    return result.conversation_id


def _viewer(user: UserRecord) -> Viewer:
    return Viewer(id=user.id, org_id=user.org_id, role=user.role, name=user.name or user.email, email=user.email)


def _rows(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(CallSummaryRow)) or 0)


def test_the_summary_is_computed_once_and_again_after_a_rescore(db: Database, learner: UserRecord,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cid = _import(db, learner)
    assert _rows(db) == 0
    first = call_reviews.summary_of(db, cid)
    assert _rows(db) == 1 and first.moments
    with db.read() as s:
        row = s.get(CallSummaryRow, cid)
        assert row is not None and row.moment_count == len(first.moments) and row.engine == call_reviews.SUMMARY_ENGINE
        assert row.pivotal_kind == (first.pivotal.kind if first.pivotal else None)

    real = call_reviews.compute_summary
    calls: list[int] = []

    def counting(database: Database, conversation_id: int) -> object:
        calls.append(conversation_id)
        return real(database, conversation_id)

    monkeypatch.setattr(call_reviews, "compute_summary", counting)
    assert call_reviews.summary_of(db, cid) == first and calls == []  # kept
    with db.session() as s:  # a re-score: a newer scorecard makes the kept summary stale
        conversation = s.get(ConversationRow, cid)
        assert conversation is not None
        rubric = get_library().rubrics[conversation.rubric_id or "discovery"]
        card = Scorecard.model_validate({**FakeScorer().score(_conv(db, cid), rubric).model_dump(), "overall": 11.0})
        store_scorecard(s, conversation, rubric, card)
    assert call_reviews.summary_of(db, cid) == first and calls == [cid]
    assert call_reviews.summary_of(db, cid) == first and calls == [cid]
    assert _rows(db) == 1


def _conv(db: Database, cid: int) -> object:
    from sparring.conversation.model import Conversation
    from sparring.services.conversations import load

    with db.read() as s:
        view = load(s, cid)
    assert view is not None and view.turns is not None
    conv = Conversation(source="call", title=view.title)
    for t in view.turns:
        conv.add(t.speaker, t.role, t.text, t.start, t.end)  # type: ignore[arg-type]
    return conv


def test_deleting_a_call_deletes_its_summary(db: Database, learner: UserRecord) -> None:
    cid = _import(db, learner)
    call_reviews.summary_of(db, cid)
    with db.session() as s:
        s.delete(s.get(ConversationRow, cid))
    assert _rows(db) == 0


def test_list_and_get_follow_the_access_rules(db: Database, learner: UserRecord) -> None:
    accounts = Accounts(db)
    other = accounts.create_user("Acme", "kim@acme.test", None, role="learner", team="West")
    manager = accounts.create_user("Acme", "max@acme.test", None, role="manager", team="East")
    stranger = accounts.create_user("Globex", "gus@globex.test", None, role="admin")
    mine, theirs = _import(db, learner), _import(db, other, "pricing-call.srt", rep="Jordan")
    call_reviews.summary_of(db, mine)
    with db.read() as s:
        items = call_reviews.list_calls(s, _viewer(manager))
        assert [i.id for i in items] == [mine]
        assert items[0].duration_s is not None and items[0].duration_s > 30 and items[0].moment_count
        assert call_reviews.list_calls(s, _viewer(stranger)) == []
        assert [i.id for i in call_reviews.list_calls(s, _viewer(other))] == [theirs]
        assert call_reviews.list_calls(s, _viewer(other))[0].moment_count is None  # not found yet
    assert call_reviews.get_call(db, _viewer(stranger), mine) is None
    assert call_reviews.get_call(db, _viewer(other), mine) is None
    found = call_reviews.get_call(db, _viewer(manager), mine)
    assert found is not None and found.summary is not None
    doc = found.document()
    assert doc is not None and set(doc) == {"conversation", "scorecard", "moments", "pivotal"}
    assert doc["conversation"]["rep"] == "Maya Chen" and doc["conversation"]["timed"] is True
    assert doc["conversation"]["duration_s"] == items[0].duration_s
