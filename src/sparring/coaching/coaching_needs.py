"""Early coaching needs (docs/analytics.md, "Early coaching needs"; issue 14 item 2): after a learner's first few
reps, the skills where they trail their cohort by more than chance, with the evidence a manager can open.

The method was fixed, with these constants, before any result was looked at:

- **Like for like.** A learner's *early* reps are their first ``EARLY_REPS`` scored reps in the cohort; they are
  compared with the early reps of the *other* learners of the cohort (everyone improves with practice, so early is
  compared with early). A skill's value in a rep is the mean of its criteria there (0-100).
- **When.** A learner is tested on a skill once ``MIN_REPS`` of their early reps scored it, and only against at least
  ``MIN_COHORT`` other learners with early values on it.
- **The test.** A one-sided permutation test of the learner's mean: under the null hypothesis the learner's early
  values are exchangeable with the cohort's, so their mean is that of ``k`` values drawn without replacement from
  the pooled values. The p-value is ``(1 + #draws with a mean ≤ the observed) / (1 + RESAMPLES)``, from
  ``RESAMPLES`` draws of a generator seeded by ``SEED``, the learner and the skill (the same data give the same
  answer). Exact for scores of a few levels (a met/missed check), with no normal approximation of three reps.
- **Multiple comparisons.** Each learner is one family: Holm's step-down correction over the skills tested for
  them, at ``ALPHA``. A learner with no real gap is therefore flagged with probability at most ``ALPHA`` however
  many skills the rubric has; in a team of 20 such learners expect at most one false flag.
- **Big enough to matter.** A flag also needs the learner's mean to trail the cohort's by at least ``MIN_GAP``
  points: a statistically clear gap of 3 points is not worth a manager's hour. A skill with a smaller gap is not
  permuted: it stays in the learner's family with p = 1, which only makes the correction stricter.

Pure statistics first (``assess_learner``), then the query wrapper (``assess``) over ``store.cohorts``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.store.cohorts import Cohort, RepScores, Windows, rep_windows
from sparring.store.models import ScorecardRow

EARLY_REPS = 5
MIN_REPS = 3
MIN_COHORT = 5
ALPHA = 0.05
MIN_GAP = 10.0
RESAMPLES = 4999
SEED = 14


@dataclass(frozen=True)
class SkillTest:
    """One learner on one skill: their early values, the cohort's, the gap and the p-values."""

    skill: str
    values: tuple[float, ...]
    mean: float
    cohort_mean: float
    cohort_learners: int
    cohort_values: int
    p: float
    p_holm: float = 1.0

    @property
    def gap(self) -> float:
        """How far the learner trails (cohort mean − learner mean; negative when ahead)."""
        return self.cohort_mean - self.mean

    @property
    def flagged(self) -> bool:
        return self.p_holm <= ALPHA and self.gap >= MIN_GAP


def _rng(user_id: int, skill: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, user_id, zlib.crc32(skill.encode())])


def permutation_p(values: Sequence[float], others: Sequence[float] | np.ndarray, rng: np.random.Generator,
                  resamples: int = RESAMPLES) -> float:
    """One-sided p-value that the mean of ``values`` is this low if they were drawn from the pool of ``values`` and
    ``others`` (without replacement)."""
    k = len(values)
    pool = np.concatenate([np.asarray(values, dtype=float), np.asarray(others, dtype=float)])
    observed = float(np.mean(values))
    if not 0 < k < SHORT:
        return _permutation_p_rows(pool, k, observed, rng, resamples)
    # the few values a learner has: the same draws, kept column by column — (k, resamples), one row per draw
    # position — so the repeat checks and the sums are whole-row operations (several times faster than numpy's work
    # along rows of 3-5 values) that give the same numbers bit for bit: for fewer than 8 values numpy's mean of a row
    # adds them one after the other, left to right, as the column sums below do (test_coaching_needs checks both)
    columns = rng.integers(0, len(pool), size=(resamples, k)).T.copy()
    rows: np.ndarray | None = None  # None: every draw
    while k > 1:  # redraw the draws that picked one value twice: uniform over draws without replacement
        drawn = columns if rows is None else columns[:, rows]  # only draws redrawn last time can repeat now
        repeated = np.zeros(drawn.shape[1], bool)
        for i in range(k):
            for j in range(i + 1, k):
                repeated |= drawn[i] == drawn[j]
        if not repeated.any():
            break
        rows = np.flatnonzero(repeated) if rows is None else rows[repeated]  # ascending, as a mask would select
        columns[:, rows] = rng.integers(0, len(pool), size=(len(rows), k)).T
    picked = pool.take(columns)
    means: np.ndarray = picked[0].copy()
    for i in range(1, k):
        means += picked[i]
    means /= k
    return (1 + int(np.count_nonzero(means <= observed + 1e-9))) / (1 + resamples)


#: below this many values ``permutation_p`` keeps its draws column by column
SHORT = 8


def _permutation_p_rows(pool: np.ndarray, k: int, observed: float, rng: np.random.Generator,
                        resamples: int) -> float:
    """``permutation_p`` for ``SHORT`` values or more, the draws row by row (the reference the column-by-column
    path is checked against)."""
    draws = rng.integers(0, len(pool), size=(resamples, k))
    rows = np.arange(resamples)
    while k > 1:  # redraw the rows that picked one value twice: uniform over draws without replacement
        repeated = _repeats(draws[rows])  # only rows redrawn last time can repeat now
        if not repeated.any():
            break
        rows = rows[repeated]  # ascending, as a boolean mask over every row would select them
        draws[rows] = rng.integers(0, len(pool), size=(len(rows), k))
    means = pool[draws].mean(axis=1)
    low = int(np.count_nonzero(means <= observed + 1e-9))
    return (1 + low) / (1 + resamples)


def _repeats(draws: np.ndarray) -> np.ndarray:
    """Per row, whether it holds one index twice: pairwise column comparisons for a few values, a sort beyond."""
    k = draws.shape[1]
    if k > 8:
        ordered = np.sort(draws, axis=1)
        sorted_repeats: np.ndarray = np.any(ordered[:, 1:] == ordered[:, :-1], axis=1)
        return sorted_repeats
    repeated = np.zeros(len(draws), bool)
    for i in range(k):
        for j in range(i + 1, k):
            repeated |= draws[:, i] == draws[:, j]
    return repeated


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def assess_learner(user_id: int, learner: Mapping[str, Sequence[float]],
                   others: Mapping[str, Sequence[Sequence[float]]], seed: int = SEED) -> list[SkillTest]:
    """Every skill the learner can be tested on (``MIN_REPS`` values, ``MIN_COHORT`` other learners), with Holm's
    correction over them. ``others[skill]`` holds one list of early values per other learner."""

    def pool_for(skill: str) -> tuple[np.ndarray, int]:
        peers = [v for v in others.get(skill, ()) if v]
        return np.asarray([x for peer in peers for x in peer], dtype=float), len(peers)

    return _assess(user_id, learner, pool_for, seed)


def _assess(user_id: int, learner: Mapping[str, Sequence[float]],
            pool_for: Callable[[str], tuple[np.ndarray, int]], seed: int) -> list[SkillTest]:
    tests: list[SkillTest] = []
    for skill in sorted(learner):
        values = list(learner[skill])
        if len(values) < MIN_REPS:
            continue
        pool, peers = pool_for(skill)
        if peers < MIN_COHORT or not len(pool):
            continue
        mean, cohort_mean = sum(values) / len(values), float(pool.mean())
        # a gap under MIN_GAP is never flagged: its p-value is not computed but counted as 1 in Holm's family,
        # which can only raise the other skills' adjusted p-values (Holm is monotone in each p): conservative
        p = permutation_p(values, pool, _rng(user_id, skill, seed)) if cohort_mean - mean >= MIN_GAP else 1.0
        tests.append(SkillTest(skill, tuple(values), mean, cohort_mean, peers, len(pool), p))
    adjusted = holm([t.p for t in tests])
    return [SkillTest(t.skill, t.values, t.mean, t.cohort_mean, t.cohort_learners, t.cohort_values, t.p, a)
            for t, a in zip(tests, adjusted, strict=True)]


# --- the query wrapper ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionEvidence:
    """A criterion of the skill on one rep: its verdict and score, the turns cited and the scorer's rationale."""

    criterion_id: str
    verdict: str
    value: float
    turns: tuple[tuple[int, str], ...]
    rationale: str


@dataclass(frozen=True)
class RepEvidence:
    rep_id: int
    position: int
    created_at: datetime
    value: float
    criteria: tuple[CriterionEvidence, ...]


@dataclass(frozen=True)
class CoachingNeed:
    user_id: int
    test: SkillTest
    reps: tuple[RepEvidence, ...]

    @property
    def skill(self) -> str:
        return self.test.skill


@dataclass
class NeedsReport:
    """``tested``: learners with at least one skill tested; ``waiting``: learners with fewer than ``MIN_REPS``
    early reps on every skill (too soon to say: never flagged); ``no_peers``: learners with enough reps on a skill
    but fewer than ``MIN_COHORT`` other learners with early values on it (nobody to compare with: never flagged);
    ``needs``: the flags, biggest gap first."""

    tested: int = 0
    waiting: int = 0
    no_peers: int = 0
    tests: dict[int, list[SkillTest]] = field(default_factory=dict)
    needs: list[CoachingNeed] = field(default_factory=list)


def _early(reps: Sequence[RepScores]) -> dict[str, list[tuple[RepScores, float]]]:
    out: dict[str, list[tuple[RepScores, float]]] = {}
    for rep in reps:
        if rep.position > EARLY_REPS:
            continue
        for skill, value in rep.by_key("skill").items():
            out.setdefault(skill, []).append((rep, value))
    return out


def assess(s: Session, cohort: Cohort, seed: int = SEED, reps: Windows | None = None) -> NeedsReport:
    """Test every learner of the cohort; the flagged skills with the reps and turns behind them. ``reps``: the
    cohort's ``rep_windows`` with at least the first ``EARLY_REPS``, when the caller has them already."""
    report = NeedsReport()
    windows = reps if reps is not None else rep_windows(s, cohort, first=EARLY_REPS)
    early = {uid: _early(mine) for uid, mine in windows.items()}
    # every early value of a skill once, learner after learner, with where each learner's run of values starts and
    # ends: the pool of the others is the values before and after the learner's run, in the same order as a mask
    # over every value would give them, not a copy per learner
    flat: dict[str, tuple[np.ndarray, dict[int, tuple[int, int]]]] = {}
    for skill in {k for mine in early.values() for k in mine}:
        values: list[float] = []
        runs: dict[int, tuple[int, int]] = {}
        for uid, mine in early.items():
            pairs = mine.get(skill)
            if pairs:
                runs[uid] = (len(values), len(values) + len(pairs))
                values += [v for _, v in pairs]
        flat[skill] = (np.asarray(values, dtype=float), runs)
    flagged: list[tuple[int, SkillTest]] = []
    for uid, mine in early.items():
        def pool_for(skill: str, uid: int = uid) -> tuple[np.ndarray, int]:
            values, runs = flat[skill]
            run = runs.get(uid)
            if run is None:
                return values, len(runs)
            return np.concatenate((values[:run[0]], values[run[1]:])), len(runs) - 1

        tests = _assess(uid, {k: [v for _, v in pairs] for k, pairs in mine.items()}, pool_for, seed)
        if tests:
            report.tested += 1
            report.tests[uid] = tests
        elif all(len(pairs) < MIN_REPS for pairs in mine.values()):
            report.waiting += 1
        else:
            report.no_peers += 1
        flagged += [(uid, t) for t in tests if t.flagged]
    documents = _documents(s, [rep.scorecard_id for uid, t in flagged for rep, _ in early[uid][t.skill]])
    for uid, t in sorted(flagged, key=lambda f: (-f[1].gap, f[0], f[1].skill)):
        evidence: list[RepEvidence] = []
        for rep, value in early[uid][t.skill]:
            criteria = [v for v in rep.values if v.skill == t.skill]
            cards = {c.get("id"): c for c in documents.get(rep.scorecard_id, {}).get("criteria", [])}
            evidence.append(RepEvidence(rep.rep_id, rep.position, rep.created_at, value, tuple(
                CriterionEvidence(c.criterion_id, c.verdict, c.value,
                                  tuple((int(e.get("turn", 0)), str(e.get("quote", "")))
                                        for e in cards.get(c.criterion_id, {}).get("evidence", [])),
                                  str(cards.get(c.criterion_id, {}).get("rationale", "")))
                for c in criteria)))
        report.needs.append(CoachingNeed(uid, t, tuple(evidence)))
    return report


def _documents(s: Session, card_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not card_ids:
        return {}
    return {cid: doc or {} for cid, doc in s.execute(
        select(ScorecardRow.id, ScorecardRow.document).where(ScorecardRow.id.in_(sorted(set(card_ids)))))}
