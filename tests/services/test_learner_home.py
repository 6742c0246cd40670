"""The learner's home (sparring.services.learner_home) on SQLite and PostgreSQL: unfinished reps, open
assignments, a recommendation for the weakest skill (the least-practised scenario that trains it, with the reason),
a first rep for a new learner, recent scores and per-scenario attempts / best / last played."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import sparring_test_support as support

from sparring.reports.progress import Progress, RepPoint
from sparring.services.access import Viewer
from sparring.services.learner_home import ScenarioStats, learner_home, recommend, scenario_stats
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database

SCENARIO = "test-guarded-buyer"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _viewer(u: UserRecord) -> Viewer:
    return support.viewer_of(u)


def test_home_lists_unfinished_recent_and_stats(db: Database, practice: PracticeService,
                                                learner: UserRecord) -> None:
    done = practice.start_rep(learner, SCENARIO)
    practice.submit_turn(done.id, "What would change for you?")
    practice.end_rep(done.id)
    practice.score_rep(done.id)
    open_rep = practice.start_rep(learner, SCENARIO)
    scenarios = [practice.content.get_scenario(SCENARIO)]
    with db.read() as s:
        home = learner_home(s, _viewer(learner), scenarios)
        stats = scenario_stats(s, learner.id)
    assert [r.id for r in home.unfinished] == [open_rep.id]
    assert [r.id for r in home.recent] == [done.id]
    assert stats[SCENARIO].attempts == 2 and stats[SCENARIO].best is not None
    assert home.stats[SCENARIO] == stats[SCENARIO]
    assert home.assigned == []


class _S:
    """The few scenario fields ``recommend`` reads."""

    def __init__(self, sid: str, title: str, skills: list[str], difficulties: tuple[str, ...] = ("easy", "medium")):
        self.id, self.title, self.skills, self.difficulties = sid, title, skills, list(difficulties)


def test_the_weakest_skill_gets_the_least_practised_scenario_that_trains_it() -> None:
    progress = Progress(reps=[RepPoint(1, "a", NOW, 50.0, False)],
                        skill_averages={"discovery": 31.0, "trade-offs": 44.0, "rapport": 80.0})
    scenarios = [_S("a", "Pricing pushback", ["discovery", "rapport"]), _S("b", "Guarded buyer", ["discovery"]),
                 _S("c", "Renewal", ["trade-offs"])]
    stats = {"a": ScenarioStats(4, 70.0, NOW), "c": ScenarioStats(1, 40.0, NOW)}
    recs = recommend(progress, scenarios, stats)  # type: ignore[arg-type]
    assert [(r.scenario_id, r.skill) for r in recs] == [("b", "discovery"), ("c", "trade-offs")]
    assert "weakest skill lately is discovery (31 of 100" in recs[0].reason and "not tried" in recs[0].reason
    assert "1 rep so far" in recs[1].reason
    # the same scenario is not recommended twice
    only = [_S("a", "Pricing pushback", ["discovery", "trade-offs"])]
    assert [r.scenario_id for r in recommend(progress, only, {})] == ["a"]  # type: ignore[arg-type]


def test_a_new_learner_gets_a_first_rep_on_easy() -> None:
    scenarios = [_S("z", "Zebra", ["x"]), _S("b", "Budget", ["x"], ("medium", "hard"))]
    recs = recommend(Progress(), scenarios, {})  # type: ignore[arg-type]
    assert [(r.scenario_id, r.difficulty, r.skill) for r in recs] == [("z", "easy", None)]
    assert "first rep" in recs[0].reason
    assert recommend(Progress(), [], {}) == []
    scored_no_skill = replace(Progress(), reps=[RepPoint(1, "z", NOW, 50.0, False)])
    assert recommend(scored_no_skill, [_S("z", "Zebra", ["x"])], {}) == []  # type: ignore[arg-type]
