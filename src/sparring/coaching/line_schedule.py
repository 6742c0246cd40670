"""When a saved winning line comes back for review (spaced repetition; docs/lines.md, "Review lines"). Pure: every
function takes the time as an argument.

The schedule: a line is first due ``INTERVALS_DAYS[0]`` (1) day after it is saved. Each time the learner marks it
*remembered* it moves one step up and is due again after the next interval — 1, 3, 7, 14, then every 30 days — so
it comes back just before it would fade; *not remembered* sends it back to the first step (due again tomorrow) and
counts a lapse. A line reviewed before it is due keeps its step: early reviews do not skip the spacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: days until the next review after step 0, 1, 2 ... (the last one repeats)
INTERVALS_DAYS: tuple[int, ...] = (1, 3, 7, 14, 30)


@dataclass(frozen=True)
class Schedule:
    """Where a line stands: its step (index into ``INTERVALS_DAYS``) and when it is next due."""

    step: int
    due_at: datetime
    reviews: int = 0
    lapses: int = 0


def interval(step: int) -> timedelta:
    return timedelta(days=INTERVALS_DAYS[min(max(step, 0), len(INTERVALS_DAYS) - 1)])


def first(saved_at: datetime) -> Schedule:
    """The schedule of a line saved at ``saved_at``."""
    return Schedule(step=0, due_at=saved_at + interval(0))


def is_due(schedule: Schedule, now: datetime) -> bool:
    return schedule.due_at <= now


def after_review(schedule: Schedule, remembered: bool, now: datetime) -> Schedule:
    """The schedule after a review at ``now``."""
    if not remembered:
        return Schedule(step=0, due_at=now + interval(0), reviews=schedule.reviews + 1, lapses=schedule.lapses + 1)
    if not is_due(schedule, now):  # early: no step up, and not due any sooner than it already was
        return Schedule(step=schedule.step, due_at=max(schedule.due_at, now + interval(schedule.step)),
                        reviews=schedule.reviews + 1, lapses=schedule.lapses)
    step = min(schedule.step + 1, len(INTERVALS_DAYS) - 1)
    return Schedule(step=step, due_at=now + interval(step), reviews=schedule.reviews + 1, lapses=schedule.lapses)
