"""Early coaching needs (sparring.coaching.coaching_needs): the permutation test and Holm's correction as pure
statistics, a null cohort with no real differences (fixed seed), and a stored cohort on both databases where the
one planted trailing learner is flagged on the one skill they trail, with the reps behind it, and nobody else is."""

from __future__ import annotations

import numpy as np
import pytest
import sparring_test_support as support

from sparring.coaching.coaching_needs import (
    ALPHA,
    EARLY_REPS,
    MIN_COHORT,
    MIN_GAP,
    MIN_REPS,
    assess,
    assess_learner,
    holm,
    permutation_p,
)
from sparring.services.accounts import Accounts
from sparring.store.cohorts import Cohort
from sparring.store.db import Database


def test_holm_step_down() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.001]) == pytest.approx([0.5, 0.002])
    assert holm([]) == []


def test_permutation_p_of_a_learner_at_the_bottom_of_the_pool() -> None:
    rng = np.random.default_rng(1)
    # three zeros among 24 values of which only those are zero: the exact p is 1 / C(24, 3) = 1 / 2024
    p = permutation_p([0.0, 0.0, 0.0], [80.0] * 21, rng, resamples=19_999)
    assert p == pytest.approx(1 / 2024, abs=0.0008)
    # exchangeable values: no evidence
    assert permutation_p([50.0, 60.0, 70.0], [50.0, 60.0, 70.0] * 7, rng) > 0.3


def test_too_few_reps_or_peers_are_not_tested() -> None:
    peers = [[70.0, 80.0, 90.0]] * MIN_COHORT
    assert assess_learner(1, {"discovery": [0.0] * (MIN_REPS - 1)}, {"discovery": peers}) == []
    assert assess_learner(1, {"discovery": [0.0] * MIN_REPS}, {"discovery": peers[:-1]}) == []
    (found,) = assess_learner(1, {"discovery": [0.0] * MIN_REPS}, {"discovery": peers})
    assert found.flagged and found.gap == pytest.approx(80)


def test_a_null_cohort_flags_at_most_what_alpha_allows() -> None:
    """40 learners, 5 skills, 5 early reps each, every score from the same distribution (a 1-5 scale): each
    learner is a family at ALPHA, so about ALPHA × 40 = 2 learners may be flagged by chance (this seed flags one;
    the seed was fixed before the test first ran and is not chosen for its result)."""
    rng = np.random.default_rng(2026)
    skills = ["discovery", "listening", "hold-value", "next-steps", "empathy"]
    data = {uid: {k: list(rng.integers(1, 6, size=EARLY_REPS) * 20.0) for k in skills} for uid in range(40)}
    flagged = set()
    tested = 0
    for uid, mine in data.items():
        others = {k: [data[o][k] for o in data if o != uid] for k in skills}
        tests = assess_learner(uid, mine, others)
        tested += len(tests)
        flagged |= {uid for t in tests if t.flagged}
    assert tested == 200
    assert len(flagged) <= ALPHA * 40


def test_the_planted_learner_among_random_ones_is_found() -> None:
    rng = np.random.default_rng(7)
    skills = ["discovery", "next-steps", "listening"]
    data = {uid: {k: list(rng.integers(2, 6, size=EARLY_REPS) * 20.0) for k in skills} for uid in range(20)}
    data[0]["listening"] = [20.0, 20.0, 40.0, 20.0, 20.0]
    flagged = {}
    for uid, mine in data.items():
        tests = assess_learner(uid, mine, {k: [data[o][k] for o in data if o != uid] for k in skills})
        flagged.update({(uid, t.skill): t for t in tests if t.flagged})
    assert set(flagged) == {(0, "listening")}
    assert flagged[0, "listening"].gap >= MIN_GAP and flagged[0, "listening"].p_holm <= ALPHA


def test_the_answer_is_the_same_for_the_same_data() -> None:
    peers = [[60.0, 80.0, 100.0]] * 6
    first = assess_learner(3, {"discovery": [40.0, 60.0, 40.0]}, {"discovery": peers})
    again = assess_learner(3, {"discovery": [40.0, 60.0, 40.0]}, {"discovery": peers})
    assert first == again


def test_a_stored_cohort_flags_the_trailing_learner_with_the_evidence(db: Database) -> None:
    line = support.line_practice(db)
    accounts = Accounts(db)
    team = [accounts.create_user("Acme", f"l{i}@acme.test", None, role="learner", team="East") for i in range(7)]
    trailing = accounts.create_user("Acme", "tia@acme.test", None, role="learner", team="East")
    early = accounts.create_user("Acme", "eli@acme.test", None, role="learner", team="East")  # 2 reps: too soon
    orders = [[0.6, 0.8, 1.0], [1.0, 0.8, 0.6], [0.8, 0.6, 1.0], [0.8, 1.0, 0.6], [0.6, 1.0, 0.8],
              [1.0, 0.6, 0.8], [0.8, 0.8, 0.8]]
    steps = [0.4, 0.5, 0.6]
    for user, asks in zip(team, orders, strict=True):
        for a, b in zip(asks, steps, strict=True):
            support.rep_with_scores(line, user, a, b)
    tia = [support.rep_with_scores(line, trailing, 0.0, b) for b in [0.6, 0.5, 0.4]]
    for b in steps[:2]:
        support.rep_with_scores(line, early, 0.0, b)
    cohort = Cohort.of(trailing.org_id, [u.id for u in [*team, trailing, early]])
    with db.read() as s:
        report = assess(s, cohort)
    assert report.tested == 8 and report.waiting == 1 and report.no_peers == 0
    assert [(n.user_id, n.skill) for n in report.needs] == [(trailing.id, "discovery")]
    need = report.needs[0]
    assert need.test.values == (0.0, 0.0, 0.0) and need.test.mean == 0.0
    # the reference is every other learner's early reps, eli's two too: (7 × 240 + 0) / 23 values
    assert need.test.cohort_mean == pytest.approx(1680 / 23) and need.test.cohort_learners == 8
    assert need.test.cohort_values == 23 and need.test.p_holm <= ALPHA
    assert [r.rep_id for r in need.reps] == tia and [r.position for r in need.reps] == [1, 2, 3]
    assert all(r.value == 0.0 and [c.criterion_id for c in r.criteria] == ["asks-questions"] for r in need.reps)
    assert all(c.verdict == "missed" for r in need.reps for c in r.criteria)
    # next steps: the trailing learner is like everyone else there, and nobody else trails on anything
    assert all(not t.flagged for uid, tests in report.tests.items() for t in tests if uid != trailing.id)
    assert [t.skill for t in report.tests[trailing.id] if not t.flagged] == ["next-steps"]


def test_a_lone_learner_or_too_few_reps_are_never_flagged_and_counted_as_such(db: Database) -> None:
    line = support.line_practice(db)
    accounts = Accounts(db)
    lone = accounts.create_user("Acme", "lou@acme.test", None, role="learner", team="East")
    for _ in range(5):  # five reps, all far below anything: but nobody to compare with
        support.rep_with_scores(line, lone, 0.0, 0.0)
    with db.read() as s:
        report = assess(s, Cohort.of(lone.org_id, [lone.id]))
    assert (report.tested, report.waiting, report.no_peers, report.needs) == (0, 0, 1, [])
    peers = [accounts.create_user("Acme", f"p{i}@acme.test", None, role="learner", team="East") for i in range(6)]
    for peer in peers:
        for _ in range(3):
            support.rep_with_scores(line, peer, 1.0, 1.0)
    new = accounts.create_user("Acme", "nia@acme.test", None, role="learner", team="East")
    for _ in range(2):  # two reps at zero where everyone else is at 100: still fewer than the rule needs
        support.rep_with_scores(line, new, 0.0, 0.0)
    with db.read() as s:
        report = assess(s, Cohort.of(new.org_id, [new.id, *(p.id for p in peers)]))
    assert new.id not in report.tests and report.waiting == 1
    assert all(n.user_id != new.id for n in report.needs)


def _permutation_p_by_sorting(values: list[float], others: list[float], rng: np.random.Generator,
                              resamples: int = 4999) -> float:
    """permutation_p as first written (every row sorted on every round): the reference for the faster one."""
    k = len(values)
    pool = np.concatenate([np.asarray(values, dtype=float), np.asarray(others, dtype=float)])
    observed = float(np.mean(values))
    draws = rng.integers(0, len(pool), size=(resamples, k))
    while True:
        ordered = np.sort(draws, axis=1)
        repeated = np.any(ordered[:, 1:] == ordered[:, :-1], axis=1) if k > 1 else np.zeros(resamples, bool)
        if not repeated.any():
            break
        draws[repeated] = rng.integers(0, len(pool), size=(int(repeated.sum()), k))
    means = pool[draws].mean(axis=1)
    return (1 + int(np.count_nonzero(means <= observed + 1e-9))) / (1 + resamples)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 9, 12])
def test_permutation_p_draws_exactly_as_the_sorting_version(k: int) -> None:
    for seed in range(4):
        source = np.random.default_rng(100 + seed)
        values = list(source.choice([0.0, 25.0, 50.0, 75.0, 100.0], size=k))
        others = list(source.choice([0.0, 25.0, 50.0, 75.0, 100.0], size=k + 6 + seed))  # small pools: many repeats
        fast = permutation_p(values, others, np.random.default_rng([14, seed, k]))
        assert fast == _permutation_p_by_sorting(values, others, np.random.default_rng([14, seed, k]))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7, 8])
def test_permutation_p_column_by_column_equals_the_reference_on_values_off_any_grid(k: int) -> None:
    """Values whose sums round (twelfths, random shares), some equal to the observed mean: the column-by-column
    path (fewer than 8 values) gives the reference's p-value, as the row-by-row path does beyond."""
    for seed in range(6):
        source = np.random.default_rng(200 + seed)
        sizes = (k, k + 4 + 20 * seed)
        values, others = ([float(v) for v in source.random(n)] if seed % 2 else
                          [float(v) * (100 / 12) for v in source.integers(0, 13, size=n)] for n in sizes)
        observed = float(np.mean(values))
        others[:3] = [observed] * 3  # ties with the observed mean: the comparison's edge
        fast = permutation_p(values, others, np.random.default_rng([15, seed, k]), resamples=999)
        assert fast == _permutation_p_by_sorting(values, others, np.random.default_rng([15, seed, k]), resamples=999)
