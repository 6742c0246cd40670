"""Program rules (sparring.coaching.programs): which reps count, pass bar, pro-rata pace, weeks and the learner's
"this week" advice, reminder keys, and the problems of a scenario list."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sparring.coaching.programs import (
    Plan,
    PlannedScenario,
    RepFact,
    counts,
    expected_by,
    order_problems,
    pace,
    passed,
    reminder_key,
    should_remind,
    tally,
    this_week,
)

A = PlannedScenario("a", "Scenario A", 0, week=1)
B = PlannedScenario("b", "Scenario B", 1, week=2)
C = PlannedScenario("c", "Scenario C", 2, week=2)
# 28 days, four weeks, 10 reps, pass bar 60
PLAN = Plan(date(2026, 3, 2), date(2026, 3, 29), 10, 20, 60.0, (A, B, C))


def rep(i: int, scenario: str, day: date, hour: int = 10, outcome: str = "success",
        overall: float | None = 70.0) -> RepFact:
    return RepFact(i, scenario, datetime(day.year, day.month, day.day, hour, tzinfo=UTC), outcome, overall)


def test_a_rep_counts_when_ended_on_a_program_scenario_between_the_dates_end_day_included() -> None:
    assert counts(PLAN, rep(1, "a", date(2026, 3, 2), hour=0))
    assert counts(PLAN, rep(2, "b", date(2026, 3, 29), hour=23))  # the last day, UTC, counts
    assert not counts(PLAN, rep(3, "a", date(2026, 3, 1), hour=23))  # the day before
    assert not counts(PLAN, rep(4, "a", date(2026, 3, 30), hour=0))  # the day after
    assert not counts(PLAN, rep(5, "zzz", date(2026, 3, 10)))  # not a program scenario
    assert not counts(PLAN, rep(6, "a", date(2026, 3, 10), outcome="in_progress"))
    assert counts(PLAN, rep(7, "a", date(2026, 3, 10), outcome="incomplete"))
    # a time in another zone is judged by its UTC day: 01:00 at +02:00 on the 30th is the 29th in UTC
    from datetime import timedelta, timezone
    late = RepFact(8, "a", datetime(2026, 3, 30, 1, tzinfo=timezone(timedelta(hours=2))), "success", 80)
    assert counts(PLAN, late)


def test_the_pass_bar_needs_a_score_at_or_above_it() -> None:
    assert passed(PLAN, rep(1, "a", date(2026, 3, 3), overall=60.0))
    assert not passed(PLAN, rep(2, "a", date(2026, 3, 3), overall=59.9))
    assert not passed(PLAN, rep(3, "a", date(2026, 3, 3), overall=None))
    no_bar = Plan(PLAN.start_on, PLAN.end_on, 10, None, None, PLAN.scenarios)
    assert passed(no_bar, rep(4, "a", date(2026, 3, 3), overall=None))


def test_expected_reps_are_pro_rata_to_the_whole_days_over() -> None:
    assert expected_by(PLAN, date(2026, 3, 1)) == 0
    assert expected_by(PLAN, date(2026, 3, 2)) == 0  # nobody is behind on the first day
    assert expected_by(PLAN, date(2026, 3, 5)) == 1  # 3 days of 28: 10 * 3 // 28
    assert expected_by(PLAN, date(2026, 3, 16)) == 5  # 14 days of 28
    assert expected_by(PLAN, date(2026, 3, 29)) == 9  # 27 days over
    assert expected_by(PLAN, date(2026, 4, 30)) == 10  # after the end: the whole target


def test_pace() -> None:
    assert pace(PLAN, 0, date(2026, 3, 1)) == "upcoming"
    assert pace(PLAN, 0, date(2026, 3, 2)) == "on_track"
    assert pace(PLAN, 4, date(2026, 3, 16)) == "behind"
    assert pace(PLAN, 5, date(2026, 3, 16)) == "on_track"
    assert pace(PLAN, 10, date(2026, 3, 16)) == "complete"
    assert pace(PLAN, 9, date(2026, 3, 30)) == "missed"
    assert pace(PLAN, 10, date(2026, 3, 30)) == "complete"


def test_tally_counts_only_counting_reps_per_scenario_with_the_last_and_the_passed() -> None:
    reps = [rep(1, "a", date(2026, 3, 3), overall=80), rep(2, "a", date(2026, 3, 4), overall=40),
            rep(3, "b", date(2026, 3, 10), overall=None), rep(4, "a", date(2026, 2, 1)),
            rep(5, "c", date(2026, 3, 11), outcome="in_progress")]
    t = tally(PLAN, reps)
    assert (t.reps, t.passed) == (3, 1)
    assert t.per_scenario == {"a": 2, "b": 1, "c": 0}
    assert t.last_rep_at == datetime(2026, 3, 10, 10, tzinfo=UTC)
    assert t.completion(PLAN) == 0.3
    assert tally(PLAN, [rep(i, "a", date(2026, 3, 3)) for i in range(12)]).completion(PLAN) == 1.0


def test_this_week_follows_the_weekly_plan_and_catches_up_first() -> None:
    none_done = tally(PLAN, [])
    week1 = this_week(PLAN, none_done, date(2026, 3, 4))
    assert (week1.week, week1.weeks) == (1, 4)
    assert [s.scenario_id for s in week1.scenarios] == ["a"]
    assert week1.next == A
    assert week1.reps_left == 10
    assert week1.reps_this_week == 2  # on track by the end of week 1: 10 * 7 // 28
    # week 2 without ever doing week 1's scenario: catch up on it first
    week2 = this_week(PLAN, none_done, date(2026, 3, 10))
    assert [s.scenario_id for s in week2.scenarios] == ["b", "c"]
    assert week2.next == A
    did_a_and_b = tally(PLAN, [rep(1, "a", date(2026, 3, 3)), rep(2, "b", date(2026, 3, 9))])
    assert this_week(PLAN, did_a_and_b, date(2026, 3, 10)).next == C  # the one of this week done least
    # weeks 3 and 4 plan nothing: every scenario is this week's; the one done least, in order
    late = this_week(PLAN, did_a_and_b, date(2026, 3, 20))
    assert [s.scenario_id for s in late.scenarios] == ["a", "b", "c"]
    assert late.next == C
    done = this_week(PLAN, tally(PLAN, [rep(i, "a", date(2026, 3, 3)) for i in range(10)]), date(2026, 3, 20))
    assert (done.pace, done.next, done.reps_left, done.reps_this_week) == ("complete", None, 0, 0)


def test_without_weeks_every_scenario_is_for_every_week() -> None:
    plan = Plan(date(2026, 3, 2), date(2026, 3, 8), 3, None, None,
                (PlannedScenario("a", "A", 0), PlannedScenario("b", "B", 1)))
    advice = this_week(plan, tally(plan, [rep(1, "a", date(2026, 3, 2))]), date(2026, 3, 3))
    assert advice.next is not None and advice.next.scenario_id == "b"
    assert advice.reps_this_week == 2  # the last week: the whole target, one done


def test_reminders_while_running_and_behind_keyed_per_week() -> None:
    assert should_remind(PLAN, 0, date(2026, 3, 10))
    assert not should_remind(PLAN, 0, date(2026, 3, 2))  # the first day: nobody is behind
    assert not should_remind(PLAN, 5, date(2026, 3, 10))
    assert not should_remind(PLAN, 0, date(2026, 3, 30))  # over: no more reminders
    assert reminder_key(7, 3, PLAN, date(2026, 3, 10)) == reminder_key(7, 3, PLAN, date(2026, 3, 15)) == \
        "behind:7:3:w2"
    assert reminder_key(7, 3, PLAN, date(2026, 3, 16)) == "behind:7:3:w3"


def test_order_problems_name_the_field() -> None:
    assert order_problems([], 4) == ["scenario: give at least one scenario"]
    assert order_problems([A, PlannedScenario("a", "again", 1)], 4) == ["scenario: 'a' is listed twice"]
    assert order_problems([PlannedScenario("a", "A", 0, week=5)], 4) == [
        "week: 'a' is planned for week 5, but the program has 4 weeks"]
    assert order_problems([A, B, C], 4) == []
