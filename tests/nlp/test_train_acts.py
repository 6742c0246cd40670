"""The training helpers that need no torch: targets, threshold choice, macro-F1, the data assembly."""

from __future__ import annotations

import numpy as np

from sparring.nlp.acts import ACT_NAMES
from sparring.nlp.train_acts import best_thresholds, macro_f1, targets, training_lines


def test_training_lines_never_include_the_frozen_split() -> None:
    lines = training_lines()
    assert lines and {line.author for line in lines}.isdisjoint({"w5"})
    y = targets(lines)
    assert y.shape == (len(lines), len(ACT_NAMES)) and (y.sum(axis=1) >= 1).all()


def test_thresholds_maximise_f1_per_act() -> None:
    y = np.zeros((6, len(ACT_NAMES)), dtype=np.int8)
    y[:3, 0] = 1  # act 0: positives score 0.4, negatives 0.2 -> a threshold between them
    probs = np.zeros(y.shape, dtype=np.float32)
    probs[:3, 0], probs[3:, 0] = 0.4, 0.2
    t = best_thresholds(y, probs)
    assert 0.2 < t[0] <= 0.4
    assert t[1] == 0.5  # an act with no positives keeps the default


def test_macro_f1_over_present_acts() -> None:
    y = np.zeros((2, len(ACT_NAMES)), dtype=np.int8)
    y[0, 0] = y[1, 1] = 1
    assert macro_f1(y, [frozenset({ACT_NAMES[0]}), frozenset({ACT_NAMES[1]})]) == 1.0
    assert macro_f1(y, [frozenset({ACT_NAMES[0]}), frozenset({ACT_NAMES[2]})]) == 0.5
