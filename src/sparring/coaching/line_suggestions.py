"""Lines worth keeping, suggested from the learner's own best turns (docs/lines.md, "Suggested from your reps").

For each criterion a learner *met* in their reps, the scorecard cites the turns that earned it (its evidence). Those
turns are candidate winning lines for the criterion's situation ("Handles the price objection"): this module reads
the current scorecard of the learner's recent reps, keeps the learner's own cited turns, and suggests the best one
per situation — the highest criterion score, then the newest — skipping lines already saved. Only turns of the
learner's own practice and drill reps are suggested (a line is saved from a rep, ``winning_lines.save_line``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.coaching.winning_lines import Viewer
from sparring.store.models import Rep, ScorecardRow, TurnRow, WinningLine

#: how many of the learner's newest scored reps are read
RECENT_REPS = 40
#: shortest line worth keeping (a bare "Yes." earns nothing to keep)
MIN_WORDS = 4


@dataclass(frozen=True)
class Suggestion:
    rep_id: int
    turn_index: int
    text: str
    criterion_id: str
    situation: str
    score: float  # 0-100, the criterion's score on that rep
    scenario_id: str
    when: datetime


def _label(criterion_id: str, names: Mapping[str, str]) -> str:
    return names.get(criterion_id) or criterion_id.replace("-", " ").replace("_", " ").capitalize()


def suggest_lines(db: Session, viewer: Viewer, names: Mapping[str, str] | None = None, limit: int = 6
                  ) -> list[Suggestion]:
    """Up to ``limit`` suggestions, one per situation, best first. ``names``: criterion id -> its name in the
    rubric (the situation shown); without one, the id in words."""
    names = names or {}
    newest = (select(func.max(ScorecardRow.id)).where(ScorecardRow.conversation_id == Rep.conversation_id)
              .correlate(Rep).scalar_subquery())
    reps = db.execute(
        select(Rep.id, Rep.conversation_id, Rep.scenario_id, ScorecardRow.document, ScorecardRow.created_at)
        .join(ScorecardRow, ScorecardRow.id == newest)
        .where(Rep.user_id == viewer.id, Rep.org_id == viewer.org_id)
        .order_by(Rep.created_at.desc(), Rep.id.desc())
        .limit(RECENT_REPS)
    ).all()
    # (conversation, turn) -> the best criterion it earned
    cited: dict[tuple[int, int], tuple[float, str, int, str, datetime]] = {}
    for rep_id, conversation_id, scenario_id, document, when in reps:
        for criterion in _criteria(document):
            if criterion.get("verdict") != "met" or criterion.get("kind") == "blocker":
                continue
            top = float(criterion.get("max") or 0)
            score = 100.0 * float(criterion.get("score") or 0) / top if top > 0 else 0.0
            for ev in criterion.get("evidence") or []:
                turn = ev.get("turn") if isinstance(ev, dict) else None
                if not isinstance(turn, int):
                    continue
                key = (conversation_id, turn)
                if key not in cited or score > cited[key][0]:
                    cited[key] = (score, str(criterion.get("id", "")), rep_id, scenario_id, when)
    if not cited:
        return []
    conversations = {c for c, _ in cited}
    turns = {
        (t.conversation_id, t.turn_index): t.text
        for t in db.scalars(select(TurnRow).where(TurnRow.conversation_id.in_(conversations),
                                                  TurnRow.role == "learner"))
    }
    saved = set(db.scalars(select(WinningLine.text).where(WinningLine.user_id == viewer.id)))
    candidates = sorted(
        ((score, when, key, crit, rep_id, scenario) for key, (score, crit, rep_id, scenario, when) in cited.items()
         if key in turns and len(turns[key].split()) >= MIN_WORDS and turns[key] not in saved),
        key=lambda c: (-c[0], -c[1].timestamp(), c[2]),
    )
    out: list[Suggestion] = []
    seen_situations: set[str] = set()
    seen_texts: set[str] = set()
    for score, when, key, crit, rep_id, scenario in candidates:
        situation = _label(crit, names)
        text = turns[key]
        if situation in seen_situations or text in seen_texts:
            continue
        seen_situations.add(situation)
        seen_texts.add(text)
        out.append(Suggestion(rep_id, key[1], text, crit, situation, round(score, 1), scenario, when))
        if len(out) >= limit:
            break
    return out


def _criteria(document: Any) -> list[dict[str, Any]]:
    criteria = document.get("criteria") if isinstance(document, dict) else None
    return [c for c in criteria if isinstance(c, dict)] if isinstance(criteria, list) else []
