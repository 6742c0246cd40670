"""The rules of certification (issue 14 item 3; docs/programs.md "Certification"), pure: parsing a pass bar, whether
an attempt passes (every criterion reaches its bar), attempts left, and a learner's certification status.

A bar is a score share in 0..1 (the criterion's score divided by its maximum must reach it) or the verdict ``"met"``
(the criterion's verdict must be ``met``). A criterion with a bar that the scorecard lacks fails the attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Bar = float | str
MET = "met"


class BarError(ValueError):
    """A bar written wrongly (the message names the criterion and the problem)."""


def parse_bar(text: str) -> tuple[str, Bar]:
    """``CRITERION=0.7`` or ``CRITERION=met`` into (criterion, bar)."""
    criterion, sep, value = text.partition("=")
    criterion, value = criterion.strip(), value.strip()
    if not sep or not criterion or not value:
        raise BarError(f"bar: {text!r} is not CRITERION=SHARE or CRITERION=met")
    if value.lower() == MET:
        return criterion, MET
    try:
        share = float(value)
    except ValueError:
        raise BarError(f"bar: {criterion}: {value!r} is neither a share between 0 and 1 nor 'met'") from None
    if not 0 <= share <= 1:
        raise BarError(f"bar: {criterion}: {value} is outside 0..1 (a share of the criterion's maximum)")
    return criterion, share


def check_bars(bars: Mapping[str, object]) -> dict[str, Bar]:
    """Bars as stored, checked (a JSON object criterion -> share or "met"); at least one."""
    if not bars:
        raise BarError("bar: give at least one criterion's bar (CRITERION=0.7 or CRITERION=met)")
    checked: dict[str, Bar] = {}
    for criterion, bar in bars.items():
        if isinstance(bar, str):
            checked[criterion] = parse_bar(f"{criterion}={bar}")[1]
        elif isinstance(bar, int | float) and not isinstance(bar, bool) and 0 <= bar <= 1:
            checked[criterion] = float(bar)
        else:
            raise BarError(f"bar: {criterion}: {bar!r} is neither a share between 0 and 1 nor 'met'")
    return checked


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of the scored rep: its score out of ``max`` and its verdict (met, partial, missed...)."""

    criterion_id: str
    score: float
    max: float
    verdict: str


@dataclass(frozen=True)
class BarCheck:
    criterion_id: str
    bar: Bar
    reached: bool
    shown: str  # what the rep got: "0.80" or the verdict, "-" when the scorecard lacks the criterion


def check_attempt(bars: Mapping[str, Bar], results: Sequence[CriterionResult]) -> list[BarCheck]:
    """Each bar against the rep's results, in the bars' order."""
    by_id = {r.criterion_id: r for r in results}
    checks = []
    for criterion, bar in bars.items():
        result = by_id.get(criterion)
        if result is None:
            checks.append(BarCheck(criterion, bar, False, "-"))
        elif bar == MET:
            checks.append(BarCheck(criterion, bar, result.verdict == MET, result.verdict))
        else:
            share = result.score / result.max if result.max > 0 else 0.0
            checks.append(BarCheck(criterion, bar, share + 1e-9 >= float(bar), f"{share:.2f}"))
    return checks


def attempt_passes(bars: Mapping[str, Bar], results: Sequence[CriterionResult]) -> bool:
    """An attempt passes when every criterion reaches its bar."""
    return bool(bars) and all(c.reached for c in check_attempt(bars, results))


def attempts_left(max_attempts: int, used: int) -> int:
    return max(0, max_attempts - used)


#: a learner's status: not started, an attempt in progress (unscored), failed with attempts left, out of attempts,
#: passed and awaiting a manager's sign-off, certified, and their certificate revoked with no attempt since
STATUSES = ("not_started", "in_progress", "retry", "out_of_attempts", "awaiting_sign_off", "certified", "revoked")


def status(max_attempts: int, results: Sequence[bool | None], certified: bool, *, revoked: bool = False,
           used: int | None = None) -> str:
    """The status from the attempts' results in order (None: not scored yet).

    After a revocation (``revoked``) ``results`` are the attempts started since — the pass that earned the revoked
    certificate is spent — while ``used`` counts every attempt (a revocation gives no attempts back; the default is
    ``len(results)``). A revoked learner with no attempt since is ``revoked``; they may try again while attempts are
    left (docs/programs.md "Revoking a certificate")."""
    if certified:
        return "certified"
    if any(r is True for r in results):
        return "awaiting_sign_off"
    if any(r is None for r in results):
        return "in_progress"
    if not results:
        return "revoked" if revoked else "not_started"
    return "retry" if attempts_left(max_attempts, len(results) if used is None else used) > 0 else "out_of_attempts"
