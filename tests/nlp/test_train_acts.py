"""The training helpers that need no torch: targets, threshold choice, macro-F1, the data assembly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sparring.nlp.act_devcheck import average_precision, dev_check
from sparring.nlp.act_finetune import (
    EPOCHS,
    MAX_POS_WEIGHT,
    SEED,
    TRAIN_LAYERS,
    Rows,
    positive_weights,
    trainable_layers,
)
from sparring.nlp.acts import ACT_NAMES
from sparring.nlp.train_acts import (
    Recipe,
    best_thresholds,
    corpus_rows,
    fold_authors,
    macro_f1,
    main,
    targets,
    training_lines,
)


def test_training_lines_never_include_the_frozen_split() -> None:
    lines = training_lines()
    assert lines and {line.author for line in lines}.isdisjoint({"w5", "w7"})
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


def test_folds_keep_the_first_writers_and_take_new_ones_in_turn() -> None:
    assert fold_authors(["w1", "w2", "w3", "w4"]) == {"fold-a": ("w1", "w2"), "fold-b": ("w3", "w4")}
    assert fold_authors(["w8", "w1", "w2", "w3", "w4", "w6"]) == {"fold-a": ("w1", "w2", "w6"),
                                                                  "fold-b": ("w3", "w4", "w8")}
    for frozen in ("w5", "w7"):
        with pytest.raises(ValueError, match="test author"):
            fold_authors(["w1", frozen])


def test_positive_weights_count_only_known_corpus_entries() -> None:
    a = len(ACT_NAMES)
    labels = np.zeros((6, a), dtype=np.float32)
    labels[:2, 0] = 1  # act 0: 2 positives, 3 negatives known in the corpus rows
    masks = np.ones((6, a), dtype=np.float32)
    masks[5, 0] = 0  # a disagreed entry counts neither way
    corpus = Rows(["t"] * 6, ["c"] * 6, labels, masks, np.ones(6, dtype=np.float32), np.ones(6, dtype=bool))
    w = positive_weights(corpus)
    assert w[0] == pytest.approx(np.sqrt(3 / 2))
    assert w[1] == pytest.approx(np.sqrt(6))  # no positives: sqrt(negatives / 1)
    annomi = Rows(["t"], ["c"], np.ones((1, a), dtype=np.float32), np.ones((1, a), dtype=np.float32),
                  np.full(1, 0.5, dtype=np.float32), np.zeros(1, dtype=bool))
    joined = Rows.join([corpus, annomi])
    assert positive_weights(joined)[0] == pytest.approx(np.sqrt(3 / 2))  # the uncounted row changes nothing
    legacy = Rows(["t"] * 6, ["c"] * 6, labels, masks, np.ones(6, dtype=np.float32))  # counted=None: full rows
    assert positive_weights(legacy)[1] == pytest.approx(np.sqrt(5))  # row 5 (one act unknown) not counted at all
    many = Rows(["t"] * 200, ["c"] * 200, np.zeros((200, a), dtype=np.float32), np.ones((200, a), dtype=np.float32),
                np.ones(200, dtype=np.float32), np.ones(200, dtype=bool))
    assert positive_weights(many)[0] == MAX_POS_WEIGHT  # capped
    assert joined.take([0, 6]).counted_rows().tolist() == [True, False]


def test_trainable_layers() -> None:
    assert list(trainable_layers(6, 3)) == [3, 4, 5]
    assert list(trainable_layers(6, 6)) == [0, 1, 2, 3, 4, 5]
    assert list(trainable_layers(6, 0)) == []
    with pytest.raises(ValueError, match="between 0 and 6"):
        trainable_layers(6, 7)


def test_recipe_defaults_and_arguments() -> None:
    assert Recipe().resolved() == (EPOCHS, TRAIN_LAYERS)
    assert Recipe().resolved(smoke=True) == (1, TRAIN_LAYERS)
    assert Recipe(4, 6).resolved() == (4, 6)
    assert Recipe().args() == [] and Recipe(4, 6, 7).args() == ["--epochs", "4", "--train-layers", "6", "--seed", "7"]
    assert Recipe().seed_or_default() == SEED and Recipe(seed=7).seed_or_default() == 7


def test_corpus_rows_mask_the_second_annotators_disagreements(tmp_path: Path) -> None:
    base = {"voice": "warm", "domain": "sales", "context": "", "text": "Fair point. What changed?"}
    (tmp_path / "w1.jsonl").write_text(json.dumps({**base, "id": "w1-0001", "author": "w1",
                                                   "acts": ["acknowledge", "question_open"]}) + "\n")
    lines = training_lines(tmp_path)
    assert corpus_rows(lines, tmp_path).masks.all()  # no second annotation yet
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "w1.jsonl").write_text(json.dumps({"id": "w1-0001", "acts": ["question_open"]}) + "\n")
    rows = corpus_rows(lines, tmp_path)
    assert rows.masks[0, ACT_NAMES.index("acknowledge")] == 0 and rows.masks.sum() == len(ACT_NAMES) - 1
    assert rows.labels[0, ACT_NAMES.index("question_open")] == 1 and rows.counted_rows().all()


def test_the_dev_check_refuses_the_frozen_writer_and_unknown_writers(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--dev-check", "w5", "--build", str(tmp_path)])
    for frozen in ("w5", "w7"):
        with pytest.raises(ValueError, match="frozen test writer"):
            dev_check(frozen, tmp_path)
    with pytest.raises(ValueError, match="'w9' is not a training writer"):
        dev_check("w9", tmp_path)
    with pytest.raises(SystemExit):
        main(["--dev-check", "w4"])  # the default build folder is the full run's
    with pytest.raises(SystemExit):
        main(["--train-layers", "7", "--smoke"])
    assert not list(tmp_path.iterdir())


def test_average_precision() -> None:
    y = np.array([1, 0, 1, 0])
    assert average_precision(y, np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(y, np.array([0.9, 0.1, 0.8, 0.2])) == 1.0
    assert average_precision(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx((1 / 3 + 2 / 4) / 2)  # ties: last
    assert np.isnan(average_precision(np.zeros(3), np.ones(3)))
