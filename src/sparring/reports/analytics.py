"""Analytics of a cohort's practice (docs/analytics.md; issue 14 item 2): per learner and per cohort, the score trend
per criterion and per skill (first reps against the latest, with their spread and a confidence interval), the
outcomes of the reps, the time practised, the score per skill by rep number, and the practice-to-call transfer.

Every function takes a ``store.cohorts.Cohort`` (learners + optional dates + optional scenarios), so a team page,
a program and the sponsor report call the same code. Scores are shares of each criterion's maximum (0-100);
blockers and n/a criteria are left out; each rep counts with its current (newest) scorecard.

**The unit of a cohort number is the learner.** A learner's reps are not independent of each other, so a cohort's
mean, spread and interval are over learner means (each learner one value), and ``n`` counts learners. For one
learner the unit is the rep (their reps are all there is) and ``n`` counts reps. Intervals are two-sided 95 %
t intervals (``LEVEL``): for a cohort the paired differences of learners' latest and first means, for one learner
Welch's interval on the difference of the two windows' means.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Float, case, cast, func, select
from sqlalchemy.orm import Session

from sparring.store.cohorts import Cohort, RepScores, Windows, chunked, rep_windows, without_jit
from sparring.store.models import ConversationRow, CriterionResultRow, Rep

#: how many reps make the "first" and the "latest" window; a learner counts in a trend once they have twice as many
#: (the windows never overlap)
WINDOW = 3
#: the level of every interval
LEVEL = 0.95
#: a rep counts for at most this long in the time practised (a rep left open overnight is not ten hours of practice)
MAX_REP_SECONDS = 3600
#: how many rep numbers the per-skill curve shows
CURVE_POSITIONS = 10


@lru_cache(maxsize=512)
def t_quantile(df: float, level: float = LEVEL) -> float:
    """The two-sided t quantile (scipy, imported on first use: pages that show no interval never load it)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, df))


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation, n and the t interval of the mean (None when n < 2)."""

    mean: float | None
    sd: float | None
    n: int
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        n = len(values)
        if n == 0:
            return cls(None, None, 0)
        mean = sum(values) / n
        if n < 2:
            return cls(mean, None, 1)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        half = t_quantile(n - 1) * sd / math.sqrt(n)
        return cls(mean, sd, n, mean - half, mean + half)

    def as_json(self) -> dict[str, float | int | None]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {"mean": r(self.mean), "sd": r(self.sd), "n": self.n, "low": r(self.low), "high": r(self.high)}


def welch_difference(before: Sequence[float], after: Sequence[float]) -> Summary:
    """The difference of two independent means (after − before) with Welch's t interval; ``n`` is the smaller
    group's size, ``sd`` the difference's standard error. No interval when a group has fewer than 2 values."""
    a, b = Summary.of(before), Summary.of(after)
    if a.mean is None or b.mean is None:
        return Summary(None, None, 0)
    diff = b.mean - a.mean
    if a.sd is None or b.sd is None:
        return Summary(diff, None, min(a.n, b.n))
    va, vb = a.sd ** 2 / a.n, b.sd ** 2 / b.n
    se = math.sqrt(va + vb)
    if se == 0:
        return Summary(diff, 0.0, min(a.n, b.n), diff, diff)
    df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1))
    half = t_quantile(df) * se
    return Summary(diff, se, min(a.n, b.n), diff - half, diff + half)


@dataclass(frozen=True)
class Comparison:
    """Before against after for one criterion or skill: ``unit`` "learners" (a cohort: one mean per learner,
    the change their paired differences) or "reps"/"calls" (one learner: every value, Welch's interval)."""

    key: str
    before: Summary
    after: Summary
    change: Summary
    unit: str
    learners: int

    @property
    def interval_note(self) -> str | None:
        """Why the change has no interval ("not enough learners for an interval (n=1)"), None when it has one."""
        if self.change.low is not None:
            return None
        return f"not enough {self.unit} for an interval (n={self.change.n})"

    def as_json(self) -> dict[str, object]:
        return {"key": self.key, "before": self.before.as_json(), "after": self.after.as_json(),
                "change": self.change.as_json(), "unit": self.unit, "learners": self.learners,
                "interval_note": self.interval_note}


def compare(key: str, pairs: Mapping[int, tuple[Sequence[float], Sequence[float]]], single: bool,
            single_unit: str = "reps") -> Comparison | None:
    """Before/after values per learner → a ``Comparison``; learners need values on both sides. ``single`` (a
    cohort of one learner): their values, in ``single_unit``; otherwise learner means and their paired
    differences. None when nobody qualifies."""
    both = {uid: (b, a) for uid, (b, a) in pairs.items() if b and a}
    if not both:
        return None
    if single:
        ((b, a),) = both.values()
        return Comparison(key, Summary.of(b), Summary.of(a), welch_difference(b, a), single_unit, 1)
    firsts = [sum(b) / len(b) for b, _ in both.values()]
    lasts = [sum(a) / len(a) for _, a in both.values()]
    change = Summary.of([y - x for x, y in zip(firsts, lasts, strict=True)])
    return Comparison(key, Summary.of(firsts), Summary.of(lasts), change, "learners", len(both))


@dataclass
class Trends:
    """First ``window`` reps against the latest ``window``, per criterion and per skill. ``learners`` counts the
    learners with at least ``2 × window`` scored reps (who are in the trends); ``too_few`` those with fewer."""

    window: int
    by_criterion: dict[str, Comparison] = field(default_factory=dict)
    by_skill: dict[str, Comparison] = field(default_factory=dict)
    learners: int = 0
    too_few: int = 0


def _windows(reps: Sequence[RepScores], window: int) -> dict[str, dict[str, tuple[list[float], list[float]]]]:
    """One learner's first and latest ``window`` values, by "criterion" and by "skill": in one pass over their reps."""
    out: dict[str, dict[str, tuple[list[float], list[float]]]] = {"criterion": {}, "skill": {}}
    for rep in reps:
        side = 0 if rep.position <= window else 1 if rep.position > rep.total - window else None
        if side is None:
            continue
        for key, found in out.items():
            for k, v in rep.by_key(key).items():
                pair = found.get(k)
                if pair is None:
                    pair = found[k] = ([], [])
                pair[side].append(v)
    return out


def trends(s: Session, cohort: Cohort, window: int = WINDOW, reps: Windows | None = None) -> Trends:
    """The trend of every criterion and skill of the cohort (one learner: over their reps)."""
    if window < 1:
        raise ValueError("window: must be at least 1")
    if reps is None:
        reps = rep_windows(s, cohort, first=window, latest=window)
    result = Trends(window)
    per_key: dict[str, dict[str, dict[int, tuple[list[float], list[float]]]]] = {"criterion": {}, "skill": {}}
    single = len(cohort.user_ids) == 1
    for uid, mine in reps.items():
        if mine[0].total < 2 * window:
            result.too_few += 1
            continue
        result.learners += 1
        for key, sides in _windows(mine, window).items():
            for k, pair in sides.items():
                per_key[key].setdefault(k, {})[uid] = pair
    for key, target in (("criterion", result.by_criterion), ("skill", result.by_skill)):
        for k in sorted(per_key[key]):
            found = compare(k, per_key[key][k], single)
            if found is not None:
                target[k] = found
    return result


@dataclass
class Curve:
    """The cohort's mean per skill at each rep number (1 = everyone's first rep): ``points[skill][i]`` is the mean
    at rep ``i + 1`` (None where nobody has it) and ``counts[skill][i]`` how many learners it rests on."""

    positions: int
    points: dict[str, list[float | None]] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=dict)


def skill_curve(s: Session, cohort: Cohort, positions: int = CURVE_POSITIONS, reps: Windows | None = None) -> Curve:
    if reps is None:
        reps = rep_windows(s, cohort, first=positions)
    sums: dict[str, list[list[float]]] = defaultdict(lambda: [[] for _ in range(positions)])
    for mine in reps.values():
        for rep in mine:
            if rep.position > positions:
                continue
            for skill, v in rep.by_key("skill").items():
                sums[skill][rep.position - 1].append(v)
    curve = Curve(positions)
    for skill in sorted(sums):
        curve.points[skill] = [sum(v) / len(v) if v else None for v in sums[skill]]
        curve.counts[skill] = [len(v) for v in sums[skill]]
    return curve


@dataclass
class Outcomes:
    """How the cohort's finished reps ended and whether their current scorecard passed (``unscored``: none)."""

    success: int = 0
    failure: int = 0
    incomplete: int = 0
    passed: int = 0
    not_passed: int = 0
    unscored: int = 0

    @property
    def reps(self) -> int:
        return self.success + self.failure + self.incomplete


@dataclass
class Practice:
    """Reps, their outcomes and the time practised, for the cohort and per learner. ``seconds`` sums each rep's
    conversation time (end − start, at most ``MAX_REP_SECONDS``) over the ``timed`` reps; ``untimed`` reps have no
    start or end time and add nothing (``time_practised`` says so rather than show "0 min")."""

    outcomes: Outcomes = field(default_factory=Outcomes)
    seconds: float = 0.0
    untimed: int = 0
    timed: int = 0
    per_learner: dict[int, Outcomes] = field(default_factory=dict)
    seconds_per_learner: dict[int, float] = field(default_factory=dict)


def practice(s: Session, cohort: Cohort) -> Practice:
    """Counts per learner and outcome: one grouped query over the cohort's reps (private ones count too)."""
    out = Practice()
    if not cohort.user_ids:
        return out
    # each rep's time and its current scorecard's verdict are the roll-up's copies (store.rep_rollup): this reads
    # the covering index ix_reps_cohort alone
    duration = Rep.seconds
    capped = case((duration > MAX_REP_SECONDS, float(MAX_REP_SECONDS)), (duration < 0, 0.0), else_=duration)
    reps = (
        select(Rep.user_id, Rep.outcome, cast(capped, Float).label("seconds"), Rep.passed.label("passed"))
        .where(*cohort.rep_filter())
        .subquery()
    )
    without_jit(s)
    rows = s.execute(
        select(reps.c.user_id, reps.c.outcome, reps.c.passed, func.count(), func.sum(reps.c.seconds),
               func.sum(case((reps.c.seconds.is_(None), 1), else_=0)))
        .group_by(reps.c.user_id, reps.c.outcome, reps.c.passed)
    ).all()
    for uid, outcome, passed, n, seconds, untimed in rows:
        mine = out.per_learner.setdefault(uid, Outcomes())
        for target in (mine, out.outcomes):
            setattr(target, outcome, getattr(target, outcome) + n)
            name = "unscored" if passed is None else "passed" if passed else "not_passed"
            setattr(target, name, getattr(target, name) + n)
        out.seconds += float(seconds or 0)
        out.seconds_per_learner[uid] = out.seconds_per_learner.get(uid, 0.0) + float(seconds or 0)
        out.untimed += int(untimed or 0)
        out.timed += n - int(untimed or 0)
    return out


def time_practised(p: Practice) -> tuple[str, str]:
    """The time practised as a page shows it, and what it rests on: ("42 min", "measured on all 3 reps"), or
    ("—", the reason) when nothing was measured — never "0 min" for time nobody measured. Under a minute measured
    reads "under 1 min"."""
    reps = p.timed + p.untimed
    if reps == 0:
        return "—", "no finished reps in this period"
    if p.timed == 0:
        return "—", f"not measured: {'the rep has no' if reps == 1 else f'none of the {reps} reps has an'} end time"
    if p.seconds >= 3600:
        value = f"{p.seconds / 3600:.1f} h"
    elif p.seconds >= 60:
        value = f"{int(p.seconds // 60)} min"
    else:
        value = "under 1 min"
    if not p.untimed:
        return value, f"measured on {'the one rep' if p.timed == 1 else f'all {p.timed} reps'}"
    return value, f"measured on {p.timed} of {reps} reps; {p.untimed} without an end time are not counted"


@dataclass
class Transfer:
    """The same criteria on the learners' real calls before and after their first practice rep in the cohort.
    ``by_criterion`` covers the criteria the cohort practised; ``calls_before``/``calls_after`` count the calls."""

    by_criterion: dict[str, Comparison] = field(default_factory=dict)
    calls_before: int = 0
    calls_after: int = 0
    learners_with_calls: int = 0


def transfer(s: Session, cohort: Cohort, reps: Windows | None = None) -> Transfer:
    """Practice-to-call transfer. A call's time is its recording start (its import time when unknown); calls before
    the learner's first cohort rep are "before", calls after it "after"; the cohort's dates do not limit calls. The
    criteria are those the cohort's first ``WINDOW`` reps scored (the same criterion id on a call's rubric). Each
    call's current scorecard is the roll-up's copy (``conversations.scorecard_id``, ``store.rep_rollup``): the calls
    are read from the covering index ``ix_conversations_user_source``."""
    out = Transfer()
    firsts = reps if reps is not None else rep_windows(s, cohort, first=WINDOW)
    if not firsts:
        return out
    practised = {v.criterion_id for mine in firsts.values() for r in mine if r.position <= WINDOW for v in r.values}
    started = {uid: reps[0].created_at for uid, reps in firsts.items()}
    calls_q = (
        select(ConversationRow.id, ConversationRow.user_id,
               func.coalesce(ConversationRow.started_at, ConversationRow.created_at).label("at"),
               ConversationRow.scorecard_id.label("card_id"))
        .where(ConversationRow.org_id == cohort.org_id, ConversationRow.user_id.in_(list(started)),
               ConversationRow.source == "call", ConversationRow.scorecard_id.is_not(None))
    )
    if not cohort.include_private:
        calls_q = calls_q.where(ConversationRow.private.is_(False))
    calls = calls_q.subquery()
    q = (
        select(calls.c.id, calls.c.user_id, calls.c.at, CriterionResultRow.criterion_id, CriterionResultRow.score,
               CriterionResultRow.max)
        .select_from(calls)
        .join(CriterionResultRow, CriterionResultRow.scorecard_id == calls.c.card_id)
        .where(CriterionResultRow.kind != "blocker", CriterionResultRow.verdict != "n/a", CriterionResultRow.max > 0)
        .order_by(calls.c.id, CriterionResultRow.criterion_id)  # the same sums in the same order, whatever the plan
    )
    pairs: dict[str, dict[int, tuple[list[float], list[float]]]] = defaultdict(dict)
    seen: tuple[set[int], set[int]] = (set(), set())
    without_jit(s)
    starts = {uid: _aware(at) for uid, at in started.items()}
    sides: dict[int, int] = {}  # call → 0 before the learner's first rep, 1 after (a call's rows come together)
    for conv_id, uid, at, cid, score, maximum in chunked(s.connection().execute(q)):
        if cid not in practised:
            continue
        side = sides.get(conv_id)
        if side is None:
            side = sides[conv_id] = 0 if _aware(at) < starts[uid] else 1
        seen[side].add(conv_id)
        pair = pairs[cid].setdefault(uid, ([], []))
        pair[side].append(max(0.0, min(100.0, 100.0 * score / maximum)))
    out.calls_before, out.calls_after = len(seen[0]), len(seen[1])
    out.learners_with_calls = len({uid for per in pairs.values() for uid in per})
    for cid in sorted(pairs):
        found = compare(cid, pairs[cid], len(cohort.user_ids) == 1, single_unit="calls")
        if found is not None:
            out.by_criterion[cid] = found
    return out


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)

