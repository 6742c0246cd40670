"""The time one LLM call may take, retries included: a whole-call deadline and, for a stream, a first-token one.

``LLMClient`` asks a :class:`Budget` how long the next attempt may wait and whether a retry still fits. A retry
is started only when, after its backoff, at least ``min_attempt`` seconds are left before every deadline that
still applies, and at least as long as the failed attempt took when that one timed out (an attempt that just
timed out is not expected to be faster the next time): no attempt starts that cannot finish in time.
"""

from __future__ import annotations

import time

#: the least time worth starting an attempt with, in seconds (or a tenth of the deadline, if that is shorter)
MIN_ATTEMPT = 1.0


def secs(value: float) -> str:
    """Seconds for a message: ``5``, ``0.3``, ``25``."""
    return f"{value:.3g}"


class Budget:
    """Deadlines on the monotonic clock. ``deadline`` (seconds) bounds the whole call unless ``end_at`` (an
    absolute time, e.g. shared by a judge's k samples) is given; ``first_token`` bounds the wait for a stream's
    first token, from now, across attempts."""

    def __init__(self, deadline: float | None = None, first_token: float | None = None, *, end_at: float | None = None):
        now = time.monotonic()
        self.end = end_at if end_at is not None else (now + deadline if deadline is not None else None)
        self.deadline = deadline if end_at is None else (deadline or max(0.0, end_at - now))
        self.first_token = first_token
        self.first_by = now + first_token if first_token is not None else None
        self.started = False  # the stream's first token arrived: the first-token deadline no longer applies

    def _limits(self) -> list[tuple[float, float]]:
        """(absolute end, its length in seconds) of each deadline that still applies."""
        out = []
        if self.end is not None:
            out.append((self.end, self.deadline or 0.0))
        if self.first_by is not None and self.first_token is not None and not self.started:
            out.append((self.first_by, self.first_token))
        return out

    def attempt_timeout(self, per_attempt: float) -> tuple[float, bool]:
        """(seconds the next attempt may take, whether the whole-call deadline shortened it)."""
        if self.end is None:
            return per_attempt, False
        left = max(0.0, self.end - time.monotonic())
        return (left, True) if left < per_attempt else (per_attempt, False)

    def first_token_timeout(self) -> float | None:
        """Seconds the next attempt may wait for its first token (None: no first-token deadline)."""
        if self.first_by is None:
            return None
        return max(0.0, self.first_by - time.monotonic())

    def can_start(self) -> bool:
        """Is there time for an attempt at all?"""
        now = time.monotonic()
        return all(end - now >= _least(length) for end, length in self._limits())

    def allows_retry(self, delay: float, took: float, timed_out: bool) -> bool:
        """May a retry start after ``delay`` seconds of backoff, the failed attempt having taken ``took``?"""
        now = time.monotonic()
        for end, length in self._limits():
            need = max(_least(length), took if timed_out else 0.0)
            if end - now - delay < need:
                return False
        return True

    def missed_first_token(self) -> bool:
        """Has the first-token deadline passed without a token?"""
        return self.first_by is not None and not self.started and time.monotonic() >= self.first_by

    def limit_reason(self, detail: str | None = None) -> str:
        """What the learner is told when a deadline ended the call."""
        more = f" ({detail})" if detail else ""
        first = self.first_by is not None and not self.started and (self.end is None or self.first_by <= self.end)
        if first and self.first_token is not None:
            said = f"LLM provider did not start answering within {secs(self.first_token)} s{more}"
        else:
            said = f"LLM provider did not answer within the {secs(self.deadline or 0.0)} s deadline{more}"
        return f"{said}; used the embedded engine"


def _least(length: float) -> float:
    return min(MIN_ATTEMPT, length / 10)
