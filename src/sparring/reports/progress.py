"""A learner's progress per behaviour over their reps: overall score, skill and criterion trends, and the
weakest skill. Reads the flattened criterion results the practice service stores with every scorecard,
and only the current (newest) scorecard of each rep."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sparring.store.models import ConversationRow, CriterionResultRow, Rep, ScorecardRow

#: how many recent reps decide the weakest skill
WEAKEST_WINDOW = 5


@dataclass
class RepPoint:
    rep_id: int
    scenario_id: str
    when: datetime
    overall: float
    passed: bool


@dataclass
class Progress:
    reps: list[RepPoint] = field(default_factory=list)
    #: skill -> one value (0-100) per rep in ``reps``, None where the rep's rubric did not score that skill
    skills: dict[str, list[float | None]] = field(default_factory=dict)
    criteria: dict[str, list[float | None]] = field(default_factory=dict)
    weakest_skill: str | None = None
    skill_averages: dict[str, float] = field(default_factory=dict)

    @property
    def average(self) -> float | None:
        return sum(r.overall for r in self.reps) / len(self.reps) if self.reps else None


def current_scorecard_ids(user_ids: list[int] | None = None, rep_ids: list[int] | None = None) -> Select[int]:
    """A subquery of the newest scorecard id of each rep (optionally of some users' reps)."""
    q = select(func.max(ScorecardRow.id).label("sid")).join(Rep, Rep.conversation_id == ScorecardRow.conversation_id)
    if user_ids is not None:
        q = q.where(Rep.user_id.in_(user_ids))
    if rep_ids is not None:
        q = q.where(Rep.id.in_(rep_ids))
    return q.group_by(ScorecardRow.conversation_id)


def _pct(score: float, maximum: float) -> float:
    return 100.0 * score / maximum if maximum else 0.0


def learner_progress(db: Session, user_id: int, org_id: int, last: int = 30,
                     include_private: bool = True) -> Progress:
    """The learner's last ``last`` scored reps, oldest first, with per-skill and per-criterion series.
    ``include_private=False`` (someone else looking) keeps private reps' overall score but leaves their
    criterion detail out of every series."""
    rows = db.execute(
        select(Rep.id, Rep.scenario_id, ScorecardRow.created_at, ScorecardRow.overall, ScorecardRow.passed,
               ScorecardRow.id, ConversationRow.private)
        .join(ScorecardRow, ScorecardRow.conversation_id == Rep.conversation_id)
        .join(ConversationRow, ConversationRow.id == Rep.conversation_id)
        .where(Rep.user_id == user_id, Rep.org_id == org_id,
               ScorecardRow.id.in_(current_scorecard_ids(user_ids=[user_id])))
        .order_by(ScorecardRow.created_at.desc(), ScorecardRow.id.desc())
        .limit(last)
    ).all()
    rows = list(reversed(rows))
    progress = Progress(reps=[RepPoint(r[0], r[1], r[2], r[3], r[4]) for r in rows])
    if not rows:
        return progress
    position = {r[5]: i for i, r in enumerate(rows) if include_private or not r[6]}
    results = [] if not position else db.execute(
        select(CriterionResultRow.scorecard_id, CriterionResultRow.criterion_id, CriterionResultRow.skill,
               CriterionResultRow.score, CriterionResultRow.max, CriterionResultRow.kind, CriterionResultRow.verdict)
        .where(CriterionResultRow.scorecard_id.in_(list(position)))
    ).all()
    n = len(rows)
    per_skill: dict[str, list[list[float]]] = defaultdict(lambda: [[] for _ in range(n)])
    per_criterion: dict[str, list[float | None]] = defaultdict(lambda: [None] * n)
    for sid, cid, skill, score, maximum, kind, verdict in results:
        if kind == "blocker" or verdict == "n/a" or not maximum:
            continue
        i = position[sid]
        value = _pct(score, maximum)
        per_criterion[cid][i] = value
        per_skill[skill or cid][i].append(value)
    progress.criteria = dict(sorted(per_criterion.items()))
    progress.skills = {
        skill: [sum(v) / len(v) if v else None for v in values] for skill, values in sorted(per_skill.items())
    }
    recent: dict[str, float] = {}
    for skill, series in progress.skills.items():
        window = [v for v in series[-WEAKEST_WINDOW:] if v is not None]
        if window:
            recent[skill] = sum(window) / len(window)
    progress.skill_averages = dict(sorted(recent.items(), key=lambda kv: kv[1]))
    if recent:
        progress.weakest_skill = min(recent, key=lambda s: (recent[s], s))
    return progress
