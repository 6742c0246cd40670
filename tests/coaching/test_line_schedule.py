"""The spaced-repetition schedule of winning lines (sparring.coaching.line_schedule), pure, with fixed times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sparring.coaching.line_schedule import INTERVALS_DAYS, Schedule, after_review, first, is_due

SAVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_each_successful_recall_waits_longer() -> None:
    assert INTERVALS_DAYS == (1, 3, 7, 14, 30)
    s = first(SAVED)
    assert s == Schedule(step=0, due_at=SAVED + timedelta(days=1))
    assert not is_due(s, SAVED + timedelta(hours=23)) and is_due(s, SAVED + timedelta(days=1))
    gaps = []
    now = SAVED
    for _ in range(7):
        now = s.due_at + timedelta(hours=2)  # reviewed a little after it came due
        s = after_review(s, True, now)
        gaps.append((s.due_at - now).days)
    assert gaps == [3, 7, 14, 30, 30, 30, 30]
    assert (s.reviews, s.lapses, s.step) == (7, 0, 4)


def test_forgetting_starts_over_and_counts_a_lapse() -> None:
    s = Schedule(step=3, due_at=SAVED, reviews=5, lapses=1)
    now = SAVED + timedelta(days=2)
    after = after_review(s, False, now)
    assert after == Schedule(step=0, due_at=now + timedelta(days=1), reviews=6, lapses=2)
    again = after_review(after, True, after.due_at)
    assert again.step == 1 and again.due_at == after.due_at + timedelta(days=3)


def test_an_early_review_does_not_skip_the_spacing() -> None:
    s = Schedule(step=2, due_at=SAVED + timedelta(days=7))
    early = after_review(s, True, SAVED)
    assert early.step == 2 and early.due_at == SAVED + timedelta(days=7) and early.reviews == 1
    late_early = after_review(Schedule(step=2, due_at=SAVED + timedelta(days=1)), True, SAVED)
    assert late_early.step == 2 and late_early.due_at == SAVED + timedelta(days=7)
