"""Benchmark: how well a plain baseline recognises utterance acts on lines nobody tuned it on.

    .venv/bin/python bench/act_baseline.py [--corpus corpus/acts] [--json]

The baseline is fixed here, before any number was seen (issue 11, "measure on what you did not write"): the
sentence vector of the line and of its context (the shipped MiniLM ONNX encoder, ``sparring.nlp.embeddings``),
concatenated, into one logistic regression per act (C=1, balanced class weights); an act is predicted at
probability >= 0.5, and a line with no act over 0.5 gets its most probable one. It is trained on the training
split of ``corpus/acts`` and measured once on the frozen test split (``TEST_AUTHORS``: other writers, every
voice). It is the bar a fine-tuned act model (issue 11) must beat, not the model itself.

Prints macro-F1 and micro-F1 over acts, per-act recall and support on the test split, and, for comparison, the
same numbers from author-grouped cross-validation inside the training split.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _features(lines: list, embed) -> np.ndarray:  # type: ignore[no-untyped-def]
    texts = embed([line.text for line in lines])
    contexts = embed([line.context or "" for line in lines])
    return np.hstack([texts, contexts])


def _targets(lines: list, names: tuple[str, ...]) -> np.ndarray:  # type: ignore[no-untyped-def]
    index = {n: i for i, n in enumerate(names)}
    y = np.zeros((len(lines), len(names)), dtype=int)
    for r, line in enumerate(lines):
        for a in line.acts:
            y[r, index[a]] = 1
    return y


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    probs = np.zeros((x_test.shape[0], y_train.shape[1]))
    for j in range(y_train.shape[1]):
        if y_train[:, j].min() == y_train[:, j].max():  # an act absent from training: never predicted
            probs[:, j] = float(y_train[0, j])
            continue
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
        model.fit(x_train, y_train[:, j])
        probs[:, j] = model.predict_proba(x_test)[:, 1]
    pred = (probs >= 0.5).astype(int)
    empty = pred.sum(axis=1) == 0
    pred[empty, probs[empty].argmax(axis=1)] = 1
    return pred


def scores(y: np.ndarray, pred: np.ndarray, names: tuple[str, ...]) -> dict:  # type: ignore[type-arg]
    from sklearn.metrics import f1_score, recall_score

    present = [j for j in range(len(names)) if y[:, j].sum() > 0]
    return {
        "macro_f1": round(float(f1_score(y[:, present], pred[:, present], average="macro", zero_division=0)), 4),
        "micro_f1": round(float(f1_score(y, pred, average="micro", zero_division=0)), 4),
        "recall": {names[j]: round(float(recall_score(y[:, j], pred[:, j], zero_division=0)), 3) for j in present},
        "support": {names[j]: int(y[:, j].sum()) for j in present},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "acts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from sparring.nlp.act_corpus import CorpusError, load_corpus
    from sparring.nlp.acts import ACT_NAMES
    from sparring.nlp.embeddings import embed

    try:
        lines = load_corpus(args.corpus)
    except CorpusError as exc:
        print(f"error: {exc.problems[0]} ({len(exc.problems)} problem(s))", file=sys.stderr)
        return 1
    train = [line for line in lines if line.split == "train"]
    test = [line for line in lines if line.split == "test"]
    started = time.perf_counter()
    x_train, x_test = _features(train, embed), _features(test, embed)
    y_train, y_test = _targets(train, ACT_NAMES), _targets(test, ACT_NAMES)
    result = {"train_lines": len(train), "test_lines": len(test),
              "test": scores(y_test, fit_predict(x_train, y_train, x_test), ACT_NAMES)}

    # author-grouped cross-validation inside the training split (what tuning may look at)
    authors = sorted({line.author for line in train})
    folds = []
    for held in authors:
        inside = np.array([line.author != held for line in train])
        pred = fit_predict(x_train[inside], y_train[inside], x_train[~inside])
        folds.append(scores(y_train[~inside], pred, ACT_NAMES)["macro_f1"])
    result["train_cv_macro_f1_by_author"] = dict(zip(authors, folds, strict=True))
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = f"{platform.machine()}, {platform.python_version()}"

    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    t = result["test"]
    print(f"train {len(train)} lines, frozen test {len(test)} lines ({result['seconds']} s)")
    print(f"test macro-F1 {t['macro_f1']}  micro-F1 {t['micro_f1']}")
    print("train CV macro-F1 by held-out author: " + ", ".join(f"{a} {v}" for a, v in zip(authors, folds, strict=True)))
    print("per-act recall on the test split (support):")
    for name in sorted(t["recall"], key=lambda n: t["recall"][n]):
        print(f"  {name:<24} {t['recall'][name]:.3f}  ({t['support'][name]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
