"""A call's time budget: the whole-call deadline, the first-token deadline, and whether a retry still fits."""

from __future__ import annotations

import pytest

from sparring.llm import deadline as deadline_module
from sparring.llm.deadline import Budget, secs
from sparring.testing.fakes import FakeClock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(100.0)
    monkeypatch.setattr(deadline_module.time, "monotonic", fake)
    return fake


def test_no_deadline_means_the_attempt_timeout_and_every_retry(clock: FakeClock) -> None:
    budget = Budget()
    assert budget.attempt_timeout(30) == (30, False)
    assert budget.first_token_timeout() is None
    clock.now += 10_000
    assert budget.can_start() and budget.allows_retry(8.0, 30.0, timed_out=True)


def test_the_attempt_timeout_is_cut_to_what_is_left(clock: FakeClock) -> None:
    budget = Budget(25)
    assert budget.attempt_timeout(30) == (25, True)
    assert budget.attempt_timeout(10) == (10, False)
    clock.now += 20
    assert budget.attempt_timeout(10) == (5, True)


def test_a_retry_needs_the_time_the_timed_out_attempt_took(clock: FakeClock) -> None:
    budget = Budget(25)
    clock.now += 10  # an attempt of 10 s timed out
    assert budget.allows_retry(1.0, 10.0, timed_out=True)  # 14 s left after the backoff
    clock.now += 10
    assert not budget.allows_retry(1.0, 10.0, timed_out=True)  # 4 s left: it would not finish
    assert budget.allows_retry(1.0, 0.1, timed_out=False)  # a fast 503: 4 s is plenty for another try
    clock.now += 4.5
    assert not budget.allows_retry(0.0, 0.1, timed_out=False)  # 0.5 s left: under the 1 s floor
    assert not budget.can_start()


def test_a_shared_end_keeps_the_nominal_deadline_for_the_message(clock: FakeClock) -> None:
    end = clock.now + 25
    clock.now += 24.5
    budget = Budget(25, end_at=end)
    assert budget.attempt_timeout(30) == (0.5, True)
    assert budget.limit_reason("timeout") == (
        "LLM provider did not answer within the 25 s deadline (timeout); used the embedded engine"
    )


def test_the_first_token_deadline_counts_from_the_start_of_the_call_and_ends_with_the_first_token(
    clock: FakeClock,
) -> None:
    budget = Budget(first_token=5)
    clock.now += 2
    assert budget.first_token_timeout() == 3
    assert not budget.missed_first_token()
    assert not budget.allows_retry(2.9, 0.1, timed_out=False)  # 0.1 s left after the backoff: below 0.5 s
    assert budget.limit_reason() == "LLM provider did not start answering within 5 s; used the embedded engine"
    clock.now += 4
    assert budget.missed_first_token() and not budget.can_start()
    budget.started = True  # a reply that started is bound by the attempt timeout only
    assert budget.can_start() and not budget.missed_first_token()


def test_the_closer_deadline_names_the_reason(clock: FakeClock) -> None:
    assert "did not answer within the 3 s deadline" in Budget(3, first_token=5).limit_reason()
    assert "did not start answering within 5 s" in Budget(30, first_token=5).limit_reason()


def test_seconds_are_written_briefly() -> None:
    assert [secs(v) for v in (5.0, 0.3, 25.0, 1.25, 120.0)] == ["5", "0.3", "25", "1.25", "120"]
