"""A team's library of winning lines, curated by its managers (docs/lines.md, "Team library").

- a manager adds a line to a team they manage — one a learner of their teams saved (copied verbatim, with who said
  it and where) or one they write — tagged by situation and, optionally, skill; they remove lines the same way;
  an admin may curate every team of their organisation;
- every member of a team reads its library (``library_for``); nobody sees another organisation's or another team's;
- a line a learner saved from a rep they marked *private* is not offered to managers (its transcript is theirs);
- a member keeps a library line in their own collection (``keep_line``), so it comes back for review like the
  lines they said themselves.
Access follows ``services.access``: unknown and out-of-reach teams and lines are both NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sparring.coaching.line_schedule import first
from sparring.inputs import InputError, clean_text, is_db_id
from sparring.services.access import Viewer, can_see_user, managed_team_ids, visible_user_ids_query
from sparring.services.errors import InvalidInput, NotFound
from sparring.store.line_models import TeamLine
from sparring.store.models import ConversationRow, Team, TeamMember, User, WinningLine

MAX_TEXT = 500
MAX_SITUATION = 120
MAX_SKILL = 80


@dataclass(frozen=True)
class TeamLineView:
    id: int
    team_id: int
    team: str
    text: str
    situation: str
    skill: str
    said_by: str  # the learner's name, or "" when the manager wrote it
    created_at: datetime


@dataclass(frozen=True)
class CandidateLine:
    """A line a learner of the manager's teams saved, which the manager may add to a library."""

    id: int
    text: str
    situation: str
    learner: str
    created_at: datetime


def _clean(value: str, field: str, max_chars: int, required: bool = False) -> str:
    try:
        return clean_text(value, field, max_chars=max_chars, required=required).strip()
    except InputError as exc:
        raise InvalidInput(str(exc)) from None


def _views(db: Session, team_ids: list[int], situation: str = "") -> list[TeamLineView]:
    if not team_ids:
        return []
    q = (
        select(TeamLine, Team.name, User.name, User.email)
        .join(Team, Team.id == TeamLine.team_id)
        .outerjoin(User, User.id == TeamLine.from_user_id)
        .where(TeamLine.team_id.in_(team_ids))
    )
    if situation:
        q = q.where(TeamLine.situation == situation)
    q = q.order_by(TeamLine.situation, TeamLine.created_at.desc(), TeamLine.id.desc())
    return [TeamLineView(t.id, t.team_id, team, t.text, t.situation, t.skill, (name or email or ""), t.created_at)
            for t, team, name, email in db.execute(q).all()]


def library_for(db: Session, viewer: Viewer, situation: str = "") -> list[TeamLineView]:
    """The libraries of the teams the viewer belongs to."""
    mine = list(db.scalars(select(TeamMember.team_id).join(Team, Team.id == TeamMember.team_id)
                           .where(TeamMember.user_id == viewer.id, Team.org_id == viewer.org_id)))
    return _views(db, mine, _clean(situation, "situation", MAX_SITUATION))


def managed_library(db: Session, viewer: Viewer) -> list[TeamLineView]:
    """Every line of the teams the viewer curates (a manager's teams, an admin's organisation)."""
    return _views(db, managed_team_ids(db, viewer)) if viewer.is_manager else []


def candidate_lines(db: Session, viewer: Viewer, limit: int = 100) -> list[CandidateLine]:
    """Lines the learners the viewer may see saved, newest first, except those from their private reps."""
    if not viewer.is_manager:
        return []
    q = (
        select(WinningLine, User.name, User.email)
        .join(User, User.id == WinningLine.user_id)
        .outerjoin(ConversationRow, ConversationRow.id == WinningLine.source_conversation_id)
        .where(WinningLine.org_id == viewer.org_id, WinningLine.user_id.in_(visible_user_ids_query(viewer)),
               or_(ConversationRow.private.is_(None), ConversationRow.private.is_(False),
                   WinningLine.user_id == viewer.id))
        .order_by(WinningLine.created_at.desc(), WinningLine.id.desc())
        .limit(limit)
    )
    return [CandidateLine(w.id, w.text, w.situation, name or email, w.created_at)
            for w, name, email in db.execute(q).all()]


def add_line(db: Session, viewer: Viewer, team_id: int, *, situation: str, skill: str = "", text: str = "",
             from_line_id: int | None = None) -> TeamLine:
    """Add a line to a team's library: a learner's saved line (``from_line_id``) or ``text`` the manager wrote. The
    same words already in that library are re-tagged instead of added twice."""
    if not viewer.is_manager or not is_db_id(team_id) or team_id not in managed_team_ids(db, viewer):
        raise NotFound("team: no such team")
    situation = _clean(situation, "situation", MAX_SITUATION)
    if not situation:
        raise InvalidInput("situation: say when this line works (e.g. 'price objection')")
    skill = _clean(skill, "skill", MAX_SKILL)
    from_user = conversation = turn = None
    if from_line_id is not None:
        source = db.get(WinningLine, from_line_id) if is_db_id(from_line_id) else None
        private = source is not None and source.source_conversation_id is not None and bool(db.scalar(
            select(ConversationRow.private).where(ConversationRow.id == source.source_conversation_id)))
        if (source is None or source.org_id != viewer.org_id or not can_see_user(db, viewer, source.user_id)
                or (private and source.user_id != viewer.id)):
            raise NotFound("line: no such line")
        text, from_user = source.text, source.user_id
        conversation, turn = source.source_conversation_id, source.source_turn_index
    else:
        text = _clean(text, "text", MAX_TEXT)
        if not text:
            raise InvalidInput("text: write the line, or pick one a learner saved")
    existing = db.scalar(select(TeamLine).where(TeamLine.team_id == team_id, TeamLine.text == text).limit(1))
    if existing is not None:
        existing.situation, existing.skill = situation, skill
        db.flush()
        return existing
    line = TeamLine(org_id=viewer.org_id, team_id=team_id, text=text, situation=situation, skill=skill,
                    from_user_id=from_user, source_conversation_id=conversation, source_turn_index=turn,
                    added_by=viewer.id)
    db.add(line)
    db.flush()
    return line


def remove_line(db: Session, viewer: Viewer, line_id: int) -> None:
    line = db.get(TeamLine, line_id) if is_db_id(line_id) else None
    if (line is None or not viewer.is_manager or line.org_id != viewer.org_id
            or line.team_id not in managed_team_ids(db, viewer)):
        raise NotFound("line: no such line")
    db.delete(line)
    db.flush()


def keep_line(db: Session, viewer: Viewer, line_id: int, now: datetime | None = None) -> WinningLine:
    """Copy a line of the viewer's team's library into their own winning lines (scheduled for review like a line
    they saved themselves); the same words already kept are that line, re-tagged with the library's situation."""
    line = db.get(TeamLine, line_id) if is_db_id(line_id) else None
    member = line is not None and line.org_id == viewer.org_id and db.scalar(
        select(TeamMember.user_id).where(TeamMember.team_id == line.team_id, TeamMember.user_id == viewer.id))
    if line is None or not member:
        raise NotFound("line: no such line")
    existing = db.scalar(select(WinningLine).where(WinningLine.user_id == viewer.id, WinningLine.text == line.text)
                         .limit(1))
    if existing is not None:
        existing.situation = line.situation
        db.flush()
        return existing
    kept = WinningLine(user_id=viewer.id, org_id=viewer.org_id, text=line.text, situation=line.situation,
                       due_at=first(now or datetime.now(UTC)).due_at)
    db.add(kept)
    db.flush()
    return kept
