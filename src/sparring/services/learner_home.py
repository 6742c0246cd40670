"""The learner's home (issue 15 item 2; docs/web.md, "The learner's home"): what to do next, above the library.

- **Continue**: the learner's unfinished reps, newest first;
- **Assigned to you**: open assignments (not submitted), soonest due first (the program's "This week" card is
  ``services.program_progress.my_week``, shown beside these);
- **Recommended next**: for the learner's weakest skills lately (``reports.progress``: the average of the last
  reps that scored the skill), the scenario that trains it which they have practised least (then with the lowest
  best score), with the reason in plain words; a learner with no scored rep yet gets a first scenario to try;
- **Recent scores**: the last scored reps;
- per scenario of the library: attempts, best score, last played.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparring.content.scenario import Scenario
from sparring.reports.progress import Progress, current_scorecard_ids, learner_progress
from sparring.services.access import Viewer
from sparring.services.assignments import AssignmentView, inbox
from sparring.services.conversations import RepView, list_visible_reps
from sparring.store.models import Rep, ScorecardRow

#: how many items each list shows
SHOWN = 3
#: how many of the weakest skills get a recommendation
WEAK_SKILLS = 2


@dataclass(frozen=True)
class ScenarioStats:
    attempts: int
    best: float | None
    last_played: datetime


@dataclass(frozen=True)
class Recommendation:
    scenario_id: str
    title: str
    skill: str | None
    reason: str
    difficulty: str


@dataclass
class Home:
    unfinished: list[RepView] = field(default_factory=list)
    assigned: list[AssignmentView] = field(default_factory=list)
    recommended: list[Recommendation] = field(default_factory=list)
    recent: list[RepView] = field(default_factory=list)
    stats: dict[str, ScenarioStats] = field(default_factory=dict)


def scenario_stats(db: Session, user_id: int) -> dict[str, ScenarioStats]:
    """Per scenario the learner practised: reps started, best current score, when last played (one grouped query)."""
    best = (select(Rep.scenario_id.label("sid"), func.max(ScorecardRow.overall).label("best"))
            .join(ScorecardRow, ScorecardRow.conversation_id == Rep.conversation_id)
            .where(Rep.user_id == user_id, ScorecardRow.id.in_(current_scorecard_ids(user_ids=[user_id])))
            .group_by(Rep.scenario_id).subquery())
    rows = db.execute(
        select(Rep.scenario_id, func.count(Rep.id), func.max(Rep.created_at), best.c.best)
        .outerjoin(best, best.c.sid == Rep.scenario_id)
        .where(Rep.user_id == user_id).group_by(Rep.scenario_id, best.c.best)
    ).all()
    return {sid: ScenarioStats(int(n), None if top is None else float(top), last) for sid, n, last, top in rows}


def _skill_words(skill: str) -> str:
    return skill.replace("-", " ").replace("_", " ")


def recommend(progress: Progress, scenarios: Sequence[Scenario], stats: dict[str, ScenarioStats]
              ) -> list[Recommendation]:
    """One scenario for each of the learner's weakest skills (module docstring); a first rep when none is scored."""
    def least_practised(candidates: list[Scenario]) -> Scenario:
        return min(candidates, key=lambda s: (stats[s.id].attempts if s.id in stats else 0,
                                              (stats[s.id].best or 0.0) if s.id in stats else 0.0, s.title))

    out: list[Recommendation] = []
    taken: set[str] = set()
    for skill, average in list(progress.skill_averages.items())[:WEAK_SKILLS]:  # ascending: weakest first
        candidates = [s for s in scenarios if skill in s.skills and s.id not in taken]
        if not candidates:
            continue
        pick = least_practised(candidates)
        taken.add(pick.id)
        played = stats.get(pick.id)
        tail = (f"you have not tried “{pick.title}” yet" if played is None
                else f"“{pick.title}” trains it ({played.attempts} rep{'' if played.attempts == 1 else 's'} so far)")
        out.append(Recommendation(pick.id, pick.title, skill, f"Your weakest skill lately is {_skill_words(skill)} "
                                  f"({average:.0f} of 100 over your last reps); {tail}.", "medium"))
    if not out and not progress.reps and scenarios:
        fresh = [s for s in scenarios if s.id not in stats] or list(scenarios)
        first = min(fresh, key=lambda s: (0 if "easy" in s.difficulties else 1, s.title))
        out.append(Recommendation(first.id, first.title, None, "A good first rep: start on easy and see how you are "
                                  "scored; your next recommendations come from your own scores.",
                                  "easy" if "easy" in first.difficulties else first.difficulties[0]))
    return out


def learner_home(db: Session, viewer: Viewer, scenarios: Sequence[Scenario]) -> Home:
    reps = list_visible_reps(db, viewer, user_id=viewer.id, limit=50)
    stats = scenario_stats(db, viewer.id)
    visible = {s.id for s in scenarios}
    progress = learner_progress(db, viewer.id, viewer.org_id)
    return Home(
        unfinished=[r for r in reps if r.outcome == "in_progress"][:SHOWN],
        assigned=[a for a in inbox(db, viewer) if a.learners and a.learners[0].status != "submitted"][:SHOWN],
        recommended=recommend(progress, scenarios, stats),
        recent=[r for r in reps if r.overall is not None][:SHOWN],
        stats={k: v for k, v in stats.items() if k in visible},
    )
