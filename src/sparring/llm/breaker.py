"""A circuit breaker per LLM endpoint: after a run of failures, skip the provider for a while.

A provider that hangs costs every persona turn its first-token deadline and every scorecard its judge deadline.
Once ``failures`` requests in a row to one endpoint have failed (timeouts, connection errors, HTTP 429/408/5xx,
a missed first-token deadline) within ``window`` seconds, the breaker *opens*: for ``cooldown`` seconds calls
to that endpoint do not go out at all and the engines answer with the embedded engine at once. After the
cool-down the breaker is *half-open*: one call goes out as a trial (the others still fall back); if it gets an
answer the breaker closes, if it fails the breaker opens for another cool-down. Any answer from the provider
(even a 401 or malformed output: it is reachable) closes the breaker and resets the count.

State is per process (docs/decisions.md, "Providers fail fast"): what is measured is the path from this
process to the endpoint, which another process or machine may not share, and keeping the count in memory
adds nothing to a call; each server process learns of an outage after its own ``failures`` requests.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]


class CircuitOpen(Exception):
    """The endpoint is skipped for now. ``reason`` is short and user-facing."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CircuitBreaker:
    """Thread-safe. ``failures=0`` switches the breaker off (every call goes out). ``clock`` is injectable for tests."""

    def __init__(
        self, failures: int = 3, window: float = 120.0, cooldown: float = 60.0, *, clock: Clock = time.monotonic
    ):
        self.failures = failures
        self.window = window
        self.cooldown = cooldown
        self.clock = clock
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()  # times of the failures since the last answer, within the window
        self._streak = 0  # failures in a row since the last answer (for the message)
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is under way

    def configure(self, failures: int, window: float, cooldown: float) -> None:
        """Take new settings (the same endpoint may be configured again, e.g. after a settings reload)."""
        with self._lock:
            self.failures, self.window, self.cooldown = failures, window, cooldown

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "open" if self.clock() < self._opened_at + self.cooldown else "half-open"

    def admit(self) -> bool:
        """May a call go out now? True when it is the half-open trial (then :meth:`success`, :meth:`failure` or
        :meth:`release` must follow). Raises :class:`CircuitOpen` when the call must not go out."""
        with self._lock:
            if self.failures <= 0 or self._opened_at is None:
                return False
            left = self._opened_at + self.cooldown - self.clock()
            if left > 0:
                raise CircuitOpen(self._reason(f"retrying in {math.ceil(left)} s"))
            if self._trial:
                raise CircuitOpen(self._reason("a trial request is under way"))
            self._trial = True
            return True

    def success(self) -> None:
        """The provider answered: close the breaker and forget the failures."""
        with self._lock:
            self._recent.clear()
            self._streak = 0
            self._opened_at = None
            self._trial = False

    def failure(self) -> None:
        """A request failed in a way that says the provider is down or overloaded."""
        with self._lock:
            if self.failures <= 0:
                return
            now = self.clock()
            self._streak += 1
            if self._trial or (self._opened_at is not None and now >= self._opened_at + self.cooldown):
                self._opened_at, self._trial = now, False  # the trial failed: another cool-down
                return
            if self._opened_at is not None:
                return  # a call admitted before the breaker opened failed too: nothing new
            self._recent.append(now)
            while self._recent and self._recent[0] < now - self.window:
                self._recent.popleft()
            if len(self._recent) >= self.failures:
                self._opened_at = now

    def release(self) -> None:
        """A trial call ended without a verdict (e.g. abandoned by its caller): let the next call try."""
        with self._lock:
            self._trial = False

    def _reason(self, then: str) -> str:
        failures = f"{self._streak} failure" + ("" if self._streak == 1 else "s")
        return f"LLM provider unavailable (circuit open after {failures}; {then}); used the embedded engine"


_registry: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


def shared_breaker(key: str, failures: int, window: float, cooldown: float) -> CircuitBreaker:
    """The process-wide breaker of an endpoint (``key``), created on first use; settings are updated each time."""
    with _registry_lock:
        breaker = _registry.get(key)
        if breaker is None:
            breaker = _registry[key] = CircuitBreaker(failures, window, cooldown)
        else:
            breaker.configure(failures, window, cooldown)
        return breaker


def reset_breakers() -> None:
    """Forget every endpoint's state (tests; a process that knows the provider is back)."""
    with _registry_lock:
        _registry.clear()
