"""Program rules (issue 14 item 1; docs/programs.md): which reps count towards a practice sprint, how far a
learner is, who is behind, and what a learner should do this week. Pure functions of their inputs (the service
reads the reps and hands them in), so a report, a job and a page all apply the same rules.

- **Reps that count**: an enrolled learner's *ended* practice reps (success, failure or incomplete; a rep still in
  progress does not count yet) of one of the program's scenarios (any version, any difficulty) started on a UTC day
  from ``start_on`` to ``end_on``, both included. A counting rep is *passed* when its newest overall score reaches
  the program's pass bar (no pass bar: every counting rep passes; an unscored rep never passes a bar).
- **Complete**: at least ``target_min`` counting reps.
- **Expected so far** (pro rata): ``floor(target_min × days over ÷ days in the program)``, where *days over* are the
  whole UTC days of the program before today (so nobody is behind on the first day, and the whole target is
  expected once the program has ended).
- **Pace**: ``upcoming`` before the start; ``complete`` once complete; otherwise ``missed`` after the end,
  ``behind`` with fewer reps than expected so far, else ``on_track``.
- **Weeks**: week 1 is the program's first seven days, week 2 the next seven, and so on. A scenario with a week is
  planned for that week; one without is for any week.
- **This week** (``this_week``): the scenarios planned for the current week (none planned: every scenario without a
  later week). The next one to do is an earlier week's scenario the learner has never done (catching up first),
  else the one of this week's they did least (ties: the program's order). *Reps this week* is how many more reps
  keep them on track to the end of this week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

Pace = Literal["upcoming", "on_track", "behind", "complete", "missed"]
PACE_LABELS: dict[str, str] = {"upcoming": "Not started yet", "on_track": "On track", "behind": "Behind",
                               "complete": "Complete", "missed": "Missed the target"}


def utc_day(value: datetime) -> date:
    """The UTC calendar day of ``value`` (a naive datetime is taken as UTC, as the database stores them)."""
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).date()


@dataclass(frozen=True)
class PlannedScenario:
    """One scenario of a program, in the program's order."""

    scenario_id: str
    title: str
    position: int
    week: int | None = None
    difficulty: str | None = None


@dataclass(frozen=True)
class Plan:
    """The rules-relevant part of a program."""

    start_on: date
    end_on: date
    target_min: int
    target_max: int | None
    pass_bar: float | None
    scenarios: tuple[PlannedScenario, ...]

    @property
    def days(self) -> int:
        return (self.end_on - self.start_on).days + 1

    @property
    def weeks(self) -> int:
        return (self.days + 6) // 7

    def week_of(self, day: date) -> int:
        """The program week ``day`` falls in (1-based; clamped to the program's first and last week)."""
        return max(1, min(self.weeks, (day - self.start_on).days // 7 + 1))

    def scenario_ids(self) -> set[str]:
        return {s.scenario_id for s in self.scenarios}


@dataclass(frozen=True)
class RepFact:
    """What the rules need to know about one of a learner's reps."""

    id: int
    scenario_id: str
    created_at: datetime
    outcome: str
    overall: float | None = None

    @property
    def ended(self) -> bool:
        return self.outcome != "in_progress"


def counts(plan: Plan, rep: RepFact) -> bool:
    """Whether an (enrolled learner's) rep counts towards the program: ended, a program scenario, within the dates."""
    return (rep.ended and rep.scenario_id in plan.scenario_ids()
            and plan.start_on <= utc_day(rep.created_at) <= plan.end_on)


def passed(plan: Plan, rep: RepFact) -> bool:
    """Whether a counting rep passed the program's bar."""
    if plan.pass_bar is None:
        return True
    return rep.overall is not None and rep.overall >= plan.pass_bar


def days_over(plan: Plan, today: date) -> int:
    """Whole days of the program before ``today`` (0 before or on the first day; every day once it ended)."""
    return max(0, min(plan.days, (today - plan.start_on).days))


def expected_by(plan: Plan, today: date) -> int:
    """Reps a learner should have by ``today`` to be on track (pro rata, rounded down)."""
    return plan.target_min * days_over(plan, today) // plan.days


def pace(plan: Plan, reps: int, today: date) -> Pace:
    """The pace ``reps`` counting reps give on ``today`` (the module's docstring has the rule)."""
    if today < plan.start_on:
        return "upcoming"
    if reps >= plan.target_min:
        return "complete"
    if today > plan.end_on:
        return "missed"
    return "behind" if reps < expected_by(plan, today) else "on_track"


@dataclass(frozen=True)
class LearnerTally:
    """A learner's counting reps for one program, summed up."""

    reps: int
    passed: int
    last_rep_at: datetime | None
    per_scenario: dict[str, int]

    def completion(self, plan: Plan) -> float:
        """Share of the minimum target done, 0 to 1."""
        return min(1.0, self.reps / plan.target_min)


def tally(plan: Plan, reps: Iterable[RepFact]) -> LearnerTally:
    """Sum up a learner's reps: only those that count (``counts``)."""
    counting = [r for r in reps if counts(plan, r)]
    per: dict[str, int] = {s.scenario_id: 0 for s in plan.scenarios}
    for r in counting:
        per[r.scenario_id] = per.get(r.scenario_id, 0) + 1
    last = max((r.created_at for r in counting), default=None)
    return LearnerTally(len(counting), sum(passed(plan, r) for r in counting), last, per)


@dataclass(frozen=True)
class WeekAdvice:
    """What a learner should do in the current week of a program."""

    week: int
    weeks: int
    scenarios: tuple[PlannedScenario, ...]
    next: PlannedScenario | None
    reps_this_week: int
    reps_left: int
    pace: Pace


def _this_weeks(plan: Plan, week: int) -> tuple[PlannedScenario, ...]:
    planned = tuple(s for s in plan.scenarios if s.week == week)
    if planned:
        return planned
    return tuple(s for s in plan.scenarios if s.week is None or s.week <= week)


def this_week(plan: Plan, tally_: LearnerTally, today: date) -> WeekAdvice:
    """The learner's advice for ``today`` (the module's docstring has the rule); before the start it is week 1's."""
    week = plan.week_of(today) if today >= plan.start_on else 1
    scenarios = _this_weeks(plan, week)
    catch_up = [s for s in plan.scenarios
                if s.week is not None and s.week < week and tally_.per_scenario.get(s.scenario_id, 0) == 0]
    nxt: PlannedScenario | None
    if catch_up:
        nxt = catch_up[0]
    elif scenarios:
        nxt = min(scenarios, key=lambda s: (tally_.per_scenario.get(s.scenario_id, 0), s.position))
    else:
        nxt = None
    left = max(0, plan.target_min - tally_.reps)
    week_end = min(plan.end_on, plan.start_on + timedelta(days=7 * week - 1))
    # on track at the end of this week: the reps expected once this week's last day is over
    due_by_week_end = expected_by(plan, week_end + timedelta(days=1))
    p = pace(plan, tally_.reps, today)
    if p == "complete":
        nxt = None
    return WeekAdvice(week, plan.weeks, scenarios, nxt, max(0, due_by_week_end - tally_.reps), left, p)


def reminder_key(program_id: int, user_id: int, plan: Plan, today: date) -> str:
    """The once-per-week key of a "behind" reminder (unique in the notifications table)."""
    return f"behind:{program_id}:{user_id}:w{plan.week_of(today)}"


def should_remind(plan: Plan, reps: int, today: date) -> bool:
    """A learner gets a reminder while the program runs and they are behind (at most once a week: the job keys it)."""
    return plan.start_on <= today <= plan.end_on and pace(plan, reps, today) == "behind"


def order_problems(scenarios: Sequence[PlannedScenario], plan_weeks: int) -> list[str]:
    """What is wrong with a program's scenario list (empty, repeated, a week outside the program); each message
    starts with the field (``scenario``/``week``)."""
    problems: list[str] = []
    if not scenarios:
        problems.append("scenario: give at least one scenario")
    seen: set[str] = set()
    for s in scenarios:
        if s.scenario_id in seen:
            problems.append(f"scenario: {s.scenario_id!r} is listed twice")
        seen.add(s.scenario_id)
        if s.week is not None and not 1 <= s.week <= plan_weeks:
            problems.append(f"week: {s.scenario_id!r} is planned for week {s.week}, but the program has "
                            f"{plan_weeks} week{'' if plan_weeks == 1 else 's'}")
    return problems
