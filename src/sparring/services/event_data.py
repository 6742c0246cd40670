"""The ``data`` of each integration event (docs/integrations.md, "Events"), built from the rows the service just
changed, in its transaction. The services publish with one line:
``events.publish(s, org_id, events.REP_SCORED, event_data.rep_scored(s, conversation, card_row))``.

Each document names ids (a receiver asks the API for more), the person it is about (id, e-mail, name) and the
numbers a receiver usually wants without a second call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.integrations import events
from sparring.store.coaching_models import AssigneeRow, AssignmentRow, CoachingLoopRow
from sparring.store.models import ConversationRow, Rep, ScorecardRow, User


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person(s: Session, user_id: int | None) -> dict[str, Any] | None:
    user = s.get(User, user_id) if user_id is not None else None
    if user is None:
        return None
    return {"id": user.id, "email": user.email, "name": user.name or user.email}


def rep_scored(s: Session, conversation: ConversationRow, card: ScorecardRow) -> dict[str, Any]:
    """A practice rep's new scorecard (a first score or a re-score)."""
    rep = s.scalar(select(Rep).where(Rep.conversation_id == conversation.id))
    document = card.document or {}
    return {
        "rep_id": rep.id if rep is not None else None,
        "conversation_id": conversation.id,
        "scorecard_id": card.id,
        "user": person(s, conversation.user_id),
        "scenario_id": rep.scenario_id if rep is not None else None,
        "difficulty": rep.difficulty if rep is not None else None,
        "outcome": rep.outcome if rep is not None else None,
        "rubric": {"id": card.rubric_id, "version": card.rubric_version},
        "engine": card.engine,
        "overall": card.overall,
        "passed": card.passed,
        "criteria": [{"id": c.get("id"), "verdict": c.get("verdict"), "score": c.get("score"), "max": c.get("max")}
                     for c in document.get("criteria", [])],
    }


def assignment_submitted(a: AssignmentRow, row: AssigneeRow, late: bool) -> dict[str, Any]:
    """A learner submitted their best rep of an assignment (again: it replaces the earlier submission)."""
    return {"assignment_id": a.id, "assignee_id": row.id, "user_id": row.user_id, "rep_id": row.submitted_rep_id,
            "scenario_id": a.scenario_id, "title": a.title, "due_on": a.due_on.isoformat() if a.due_on else None,
            "submitted_at": _when(row.submitted_at), "late": late}


def loop_closed(s: Session, loop: CoachingLoopRow) -> dict[str, Any]:
    """A coaching loop closed by the rep's next call, with its verdict."""
    numbers = loop.numbers or {}
    return {"loop_id": loop.id, "user": person(s, loop.user_id), "criterion_id": loop.criterion_id,
            "verdict": loop.verdict, "next_step": numbers.get("next_step"),
            "call_conversation_id": loop.call_conversation_id,
            "next_call_conversation_id": loop.next_call_conversation_id, "closed_at": _when(loop.closed_at)}


def program_completed(s: Session, program_id: int, name: str, user_id: int, reps: int, target: int,
                      passed: int) -> dict[str, Any]:
    """A learner reached a program's target (once per learner and program)."""
    return {"program_id": program_id, "name": name, "user": person(s, user_id), "reps": reps, "passed": passed,
            "target": target}


__all__ = ["assignment_submitted", "events", "loop_closed", "person", "program_completed", "rep_scored"]
