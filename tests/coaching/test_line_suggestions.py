"""Suggested lines (sparring.coaching.line_suggestions) on SQLite and PostgreSQL: the learner's own turns that a
current scorecard cites for a met criterion, the best per situation, never saved ones, never someone else's."""

from __future__ import annotations

from typing import Any

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.coaching.line_suggestions import suggest_lines
from sparring.coaching.winning_lines import save_line
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Rep, ScorecardRow

NAMES = {"asks-questions": "Asks at least one question", "next-step": "Agrees a next step"}


@pytest.fixture
def lee(db: Database) -> UserRecord:
    return Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")


def _rewrite(db: Database, rep_id: int, criteria: list[dict[str, Any]]) -> None:
    """Give the rep's current scorecard these criteria (what a real scorer would have cited)."""
    with db.session() as s:
        rep = s.get(Rep, rep_id)
        assert rep is not None
        card = s.scalars(select(ScorecardRow).where(ScorecardRow.conversation_id == rep.conversation_id)
                         .order_by(ScorecardRow.id.desc())).first()
        assert card is not None
        card.document = {**card.document, "criteria": criteria}


def _met(cid: str, score: float, turn: int, verdict: str = "met") -> dict[str, Any]:
    return {"id": cid, "kind": "behaviour", "score": score, "max": 1.0, "verdict": verdict,
            "evidence": [{"turn": turn, "quote": "x"}]}


def test_best_cited_turn_per_situation(db: Database, practice: PracticeService, lee: UserRecord) -> None:
    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner", team="East")
    older = support.scored_rep(practice, lee, "What would a late report cost your team?", "Shall we meet on Friday?")
    newer = support.scored_rep(practice, lee, "What happens when the reports are late?", "Can we book a pilot?")
    _rewrite(db, older, [_met("asks-questions", 1.0, 1), _met("next-step", 0.5, 3)])
    _rewrite(db, newer, [_met("asks-questions", 0.8, 1), _met("next-step", 1.0, 3),
                         _met("no-discount", 1.0, 1, verdict="missed")])
    support.scored_rep(practice, kim, "What keeps you up at night, honestly?")
    with db.read() as s:
        found = suggest_lines(s, lee, NAMES)
    # both best lines scored 100: the newer one first
    assert [(x.situation, x.text, x.rep_id, x.turn_index, x.score) for x in found] == [
        ("Agrees a next step", "Can we book a pilot?", newer, 3, 100.0),
        ("Asks at least one question", "What would a late report cost your team?", older, 1, 100.0),
    ]
    with db.session() as s:  # saved: no longer suggested; the next best takes its place
        save_line(s, lee, older, 1, "cost question")
    with db.read() as s:
        found = suggest_lines(s, lee)
    assert [(x.situation, x.text) for x in found] == [
        ("Next step", "Can we book a pilot?"), ("Asks questions", "What happens when the reports are late?")]
    with db.read() as s:
        assert [x.text for x in suggest_lines(s, kim)] == ["What keeps you up at night, honestly?"]


def test_nothing_met_or_too_short_is_not_suggested(db: Database, practice: PracticeService, lee: UserRecord) -> None:
    support.scored_rep(practice, lee, "Here is our price list.")  # no question: nothing met
    support.scored_rep(practice, lee, "Why?")  # met, but too short to keep
    practice.start_rep(lee, support.TEST_SCENARIO)  # not scored
    with db.read() as s:
        assert suggest_lines(s, lee) == []
