"""Cohort analytics (sparring.reports.analytics) on a seeded cohort with known trends, on SQLite and PostgreSQL:
learners who improve on one skill (discovery) and not on another (next steps), one with too few reps, the exact
means, spreads and intervals; outcomes and time practised (said honestly when unmeasured); why a change has no
interval; practice-to-call transfer; private reps."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import sparring_test_support as support
from scipy.stats import t as student_t
from sqlalchemy import select, update

from sparring.conversation.model import Conversation
from sparring.reports.analytics import (
    MAX_REP_SECONDS,
    Practice,
    Summary,
    practice,
    skill_curve,
    time_practised,
    transfer,
    trends,
    welch_difference,
)
from sparring.services.accounts import Accounts
from sparring.services.conversation_store import store_call
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store import rep_rollup
from sparring.store.cohorts import Cohort, rep_windows
from sparring.store.db import Database
from sparring.store.models import ConversationRow, Rep

#: learner → (discovery shares, next-step shares) of their reps in order. Discovery improves for everyone, next steps
#: for nobody; "dee" has 4 reps (fewer than 2 × WINDOW: not in the trends).
PLAN = {
    "ann": ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], [0.5] * 6),
    "bob": ([0.2, 0.2, 0.2, 0.6, 0.6, 0.6], [0.4, 0.6, 0.5, 0.5, 0.4, 0.6]),
    "cat": ([0.4, 0.4, 0.4, 0.8, 0.8, 0.8], [0.6] * 6),
    "dee": ([0.5] * 4, [0.5] * 4),
}


def half_width(sd: float, n: int) -> float:
    return float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)


@pytest.fixture
def world(db: Database) -> tuple[PracticeService, dict[str, UserRecord], dict[str, list[int]]]:
    line = support.line_practice(db)
    accounts = Accounts(db)
    users = {name: accounts.create_user("Acme", f"{name}@acme.test", None, role="learner", team="East")
             for name in PLAN}
    reps = {name: [support.rep_with_scores(line, users[name], a, b) for a, b in zip(*PLAN[name], strict=True)]
            for name in PLAN}
    return line, users, reps


def cohort_of(users: dict[str, UserRecord], *names: str, **kwargs: object) -> Cohort:
    chosen = [users[n] for n in (names or users)]
    return Cohort.of(chosen[0].org_id, [u.id for u in chosen], **kwargs)


def test_cohort_trend_is_over_learner_means_with_a_paired_interval(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    _, users, _ = world
    with db.read() as s:
        found = trends(s, cohort_of(users))
        shared = rep_windows(s, cohort_of(users), first=10, latest=3)  # one read for every number (the page)
        assert trends(s, cohort_of(users), reps=shared) == found
        assert skill_curve(s, cohort_of(users), positions=6, reps=shared) == skill_curve(s, cohort_of(users), 6)
        assert transfer(s, cohort_of(users), reps=shared) == transfer(s, cohort_of(users))
    assert found.learners == 3 and found.too_few == 1
    disc = found.by_skill["discovery"]
    assert disc.unit == "learners" and disc.learners == 3
    assert disc.before.mean == pytest.approx(80 / 3) and disc.after.mean == pytest.approx(220 / 3)
    # paired changes 60, 40, 40: mean 46.67, sd sqrt(400/3)
    sd = math.sqrt(400 / 3)
    assert disc.change.mean == pytest.approx(140 / 3) and disc.change.sd == pytest.approx(sd)
    assert disc.change.n == 3
    assert disc.change.low == pytest.approx(140 / 3 - half_width(sd, 3))
    assert disc.change.high == pytest.approx(140 / 3 + half_width(sd, 3))
    steps = found.by_skill["next-steps"]
    assert steps.before.mean == pytest.approx(50 + 10 / 3) and steps.after.mean == pytest.approx(50 + 10 / 3)
    assert steps.change.mean == pytest.approx(0) and steps.change.sd == pytest.approx(0)
    assert steps.change.low == pytest.approx(0) and steps.change.high == pytest.approx(0)
    # the test rubric has one criterion per skill: the criterion trends are the same numbers
    assert found.by_criterion["asks-questions"].change.mean == pytest.approx(140 / 3)
    assert set(found.by_criterion) == {"asks-questions", "next-step"}


def test_one_learner_trend_is_over_reps_with_welchs_interval(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    _, users, _ = world
    with db.read() as s:
        ann = trends(s, cohort_of(users, "ann")).by_skill["discovery"]
        dee = trends(s, cohort_of(users, "dee"))
    assert ann.unit == "reps" and ann.learners == 1
    assert ann.before == Summary(pytest.approx(20), pytest.approx(20), 3, pytest.approx(20 - half_width(20, 3)),
                                 pytest.approx(20 + half_width(20, 3)))
    assert ann.after.mean == pytest.approx(80) and ann.after.n == 3
    se = math.sqrt(400 / 3 + 400 / 3)  # Welch: equal variances and sizes give df = 4
    assert ann.change.mean == pytest.approx(60) and ann.change.sd == pytest.approx(se)
    assert ann.change.low == pytest.approx(60 - float(student_t.ppf(0.975, 4)) * se)
    assert dee.learners == 0 and dee.too_few == 1 and dee.by_skill == {}


def test_summaries_of_small_samples() -> None:
    assert Summary.of([]) == Summary(None, None, 0)
    assert Summary.of([42.0]) == Summary(42.0, None, 1)
    assert welch_difference([10.0], [20.0]) == Summary(10.0, None, 1)
    assert welch_difference([], [20.0]).mean is None


def test_skill_curve_by_rep_number(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    _, users, _ = world
    with db.read() as s:
        curve = skill_curve(s, cohort_of(users), positions=6)
    # rep 1: ann 0, bob 20, cat 40, dee 50; rep 5 and 6: dee has none
    assert curve.points["discovery"][0] == pytest.approx(27.5) and curve.counts["discovery"][0] == 4
    assert curve.points["discovery"][5] == pytest.approx(80) and curve.counts["discovery"][5] == 3
    assert curve.counts["next-steps"] == [4, 4, 4, 4, 3, 3]


def test_filters_dates_and_scenarios(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    _, users, _ = world
    with db.read() as s:
        nothing = trends(s, cohort_of(users, scenario_ids=("another-scenario",)))
        future = trends(s, cohort_of(users, start=datetime.now(UTC) + timedelta(days=1)))
        same = trends(s, cohort_of(users, scenario_ids=(support.TEST_SCENARIO,)))
    assert nothing.learners == future.learners == 0 and nothing.by_skill == {}
    assert same.learners == 3
    with pytest.raises(ValueError, match="end"):
        cohort_of(users, start=datetime.now(UTC), end=datetime.now(UTC) - timedelta(days=1))


def test_outcomes_and_time_practised(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    line, users, reps = world
    dee = reps["dee"]
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.session() as s:
        for rep_id, seconds in zip(dee, [120, 300, MAX_REP_SECONDS + 999, None], strict=True):
            conv = s.get(Rep, rep_id).conversation_id  # type: ignore[union-attr]
            end = None if seconds is None else base + timedelta(seconds=seconds)
            s.execute(update(ConversationRow).where(ConversationRow.id == conv).values(started_at=base, ended_at=end))
        s.execute(update(Rep).where(Rep.id == dee[0]).values(outcome="success"))
        s.execute(update(Rep).where(Rep.id == dee[1]).values(outcome="failure"))
        # written around the service layer: the roll-up is brought up to date as every writer does
        rep_rollup.refresh(s, list(s.scalars(select(Rep.conversation_id).where(Rep.id.in_(dee)))))
    line.start_rep(users["dee"], support.TEST_SCENARIO)  # in progress: not counted
    with db.read() as s:
        found = practice(s, cohort_of(users, "dee"))
        everyone = practice(s, cohort_of(users))
    mine = found.per_learner[users["dee"].id]
    assert (mine.success, mine.failure, mine.incomplete) == (1, 1, 2)
    # overall = mean of the two shares × 100 = 50 < the test rubric's pass mark 60
    assert (mine.passed, mine.not_passed, mine.unscored) == (0, 4, 0)
    assert found.seconds == pytest.approx(120 + 300 + MAX_REP_SECONDS) and found.untimed == 1 and found.timed == 3
    assert time_practised(found) == ("1.1 h", "measured on 3 of 4 reps; 1 without an end time are not counted")
    assert everyone.outcomes.reps == 22 and everyone.outcomes.unscored == 0
    # passed (overall ≥ 60): ann's 65 and 75, bob's last (60), cat's three 70s
    assert everyone.outcomes.passed == 6


def test_practice_to_call_transfer(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    line, users, _ = world
    rubric = line.content_for(users["ann"].org_id).get_rubric("test-discovery")
    scorer = support.LineScorer()
    long_ago, later = datetime(2020, 1, 6, tzinfo=UTC), datetime.now(UTC) + timedelta(days=3)

    def call(name: str, asks: float, when: datetime, private: bool = False) -> int:
        conv = Conversation(source="call", title=f"call of {name}")
        conv.add("Rep", "learner", f"asks-questions={asks} next-step=0.5", 0.0, 3.0)
        conv.add("Buyer", "counterpart", "Tell me more.", 3.0, 5.0)
        return store_call(db, users[name].id, conv, scored=(rubric, scorer.score(conv, rubric)), started_at=when,
                          private=private)

    call("ann", 0.2, long_ago), call("ann", 0.4, long_ago), call("ann", 0.8, later)
    call("bob", 0.0, long_ago), call("bob", 0.4, later), call("bob", 0.6, later)
    call("cat", 0.9, later)  # no call before: not in the change
    call("bob", 1.0, later, private=True)  # private: left out when someone else looks
    with db.read() as s:
        found = transfer(s, cohort_of(users))
        ann_only = transfer(s, cohort_of(users, "ann"))
    asks = found.by_criterion["asks-questions"]
    assert asks.unit == "learners" and asks.learners == 2
    assert asks.before.mean == pytest.approx(15) and asks.after.mean == pytest.approx(65)
    assert asks.change.mean == pytest.approx(50) and asks.change.sd == pytest.approx(0)
    assert (found.calls_before, found.calls_after, found.learners_with_calls) == (3, 4, 3)
    mine = ann_only.by_criterion["asks-questions"]
    assert mine.unit == "calls" and mine.before.n == 2 and mine.after.n == 1 and mine.change.mean == pytest.approx(50)
    assert found.by_criterion["next-step"].change.mean == pytest.approx(0)


def test_private_reps_leave_the_detail_out_for_others(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    line, users, _ = world
    support.rep_with_scores(line, users["ann"], 0.0, 0.0, private=True)
    with db.read() as s:
        other = trends(s, cohort_of(users, "ann")).by_skill["discovery"]
        own = trends(s, cohort_of(users, "ann", include_private=True)).by_skill["discovery"]
        counted = practice(s, cohort_of(users, "ann"))
    assert other.after.mean == pytest.approx(80)  # reps 4-6, as before
    assert own.after.mean == pytest.approx(60)  # reps 5-7: 80, 100, 0
    assert counted.outcomes.reps == 7  # a private rep still counts as practice


def test_time_practised_is_shown_only_when_measured() -> None:
    assert time_practised(Practice()) == ("—", "no finished reps in this period")
    assert time_practised(Practice(untimed=1)) == ("—", "not measured: the rep has no end time")
    assert time_practised(Practice(untimed=4)) == ("—", "not measured: none of the 4 reps has an end time")
    assert time_practised(Practice(seconds=12.0, timed=1)) == ("under 1 min", "measured on the one rep")
    assert time_practised(Practice(seconds=0.0, timed=1)) == ("under 1 min", "measured on the one rep")
    assert time_practised(Practice(seconds=600.0, timed=5)) == ("10 min", "measured on all 5 reps")


def test_a_single_rep_is_measured_not_zero(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    line, _, _ = world
    one = Accounts(db).create_user("Acme", "uma@acme.test", None, role="learner", team="Solo")
    rep_id = support.rep_with_scores(line, one, 0.5, 0.5)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.session() as s:
        conv = s.get(Rep, rep_id).conversation_id  # type: ignore[union-attr]
        s.execute(update(ConversationRow).where(ConversationRow.id == conv)
                  .values(started_at=start, ended_at=start + timedelta(seconds=40)))
        rep_rollup.refresh(s, [conv])  # times written directly: the roll-up is told, as the services do
    with db.read() as s:
        found = practice(s, Cohort.of(one.org_id, [one.id]))
    assert (found.timed, found.untimed, found.seconds) == (1, 0, pytest.approx(40))
    assert time_practised(found) == ("under 1 min", "measured on the one rep")
    with db.session() as s:
        s.execute(update(ConversationRow).where(ConversationRow.id == conv).values(ended_at=None))
        rep_rollup.refresh(s, [conv])
    with db.read() as s:
        found = practice(s, Cohort.of(one.org_id, [one.id]))
    assert (found.timed, found.untimed) == (0, 1)
    assert time_practised(found) == ("—", "not measured: the rep has no end time")


def test_a_change_without_an_interval_says_why(db: Database, world) -> None:  # type: ignore[no-untyped-def]
    _, users, _ = world
    with db.read() as s:
        one_in_trend = trends(s, cohort_of(users, "ann", "dee")).by_skill["discovery"]  # dee has too few reps
        ann = trends(s, cohort_of(users, "ann")).by_skill["discovery"]
        team = trends(s, cohort_of(users)).by_skill["discovery"]
    assert one_in_trend.unit == "learners" and one_in_trend.change.low is None
    assert one_in_trend.interval_note == "not enough learners for an interval (n=1)"
    assert one_in_trend.as_json()["interval_note"] == "not enough learners for an interval (n=1)"
    assert ann.interval_note is None and team.interval_note is None  # Welch over 3 + 3 reps; 3 learners
    single_call = welch_difference([40.0], [60.0])
    from sparring.reports.analytics import Comparison

    calls = Comparison("next-step", Summary.of([40.0]), Summary.of([60.0]), single_call, "calls", 1)
    assert calls.interval_note == "not enough calls for an interval (n=1)"
