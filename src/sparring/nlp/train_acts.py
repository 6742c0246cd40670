"""Train the act model (development time only; the runtime never imports this module).

    python -m sparring.nlp.train_acts --head-only     # the linear head on frozen MiniLM vectors (default install)

Data: the training split of ``corpus/acts`` only (every author but ``TEST_AUTHORS``); the frozen test split is
never read here. Choices made by author-grouped cross-validation inside the training split (one fold per
author): the regularisation ``C`` of the per-act logistic regressions, each act's threshold, and the fallback
ratio of the decision rule (``sparring.nlp.act_model.decide``). Deterministic (lbfgs, no sampling).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sparring.nlp.act_corpus import ActLine, load_corpus
from sparring.nlp.act_head import CLAUSE_FEATURES, HEAD_PATH, LinearHead, clause_features, features
from sparring.nlp.acts import ACT_NAMES

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "corpus" / "acts"
C_GRID = (0.01, 0.03, 0.1)
THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)
FALLBACK_GRID = (0.0, 0.3, 0.5, 0.7, 0.85, 1.0, 10.0)


def training_lines(folder: Path = CORPUS) -> list[ActLine]:
    return [line for line in load_corpus(folder) if line.split == "train"]


def targets(lines: Sequence[ActLine]) -> np.ndarray:
    index = {n: i for i, n in enumerate(ACT_NAMES)}
    y = np.zeros((len(lines), len(ACT_NAMES)), dtype=np.int8)
    for r, line in enumerate(lines):
        for a in line.acts:
            y[r, index[a]] = 1
    return y


def head_inputs(lines: Sequence[ActLine]) -> np.ndarray:
    from sparring.nlp.embeddings import get_embedder

    emb = get_embedder()
    texts = emb.embed([line.text for line in lines])
    contexts = emb.embed([line.context for line in lines])
    rules = np.vstack([clause_features(line.text, line.context) for line in lines])
    return features(texts, contexts, rules)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean.astype(np.float32), np.where(scale < 1e-6, 1.0, scale).astype(np.float32)


def fit_linear(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-act class-balanced logistic regressions on standardised ``x``: (mean, scale, coef, intercept)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardise(x)
    xs = (x - mean) / scale
    coef = np.zeros((y.shape[1], x.shape[1]), dtype=np.float32)
    intercept = np.full(y.shape[1], -20.0, dtype=np.float32)  # an act never seen is never predicted
    for j in range(y.shape[1]):
        if y[:, j].min() == y[:, j].max():
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        model.fit(xs, y[:, j])
        coef[j] = model.coef_[0]
        intercept[j] = model.intercept_[0]
    return mean, scale, coef, intercept


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float((y & pred).sum())
    denom = float(y.sum() + pred.sum())
    return 2 * tp / denom if denom else 0.0


def best_thresholds(y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per act, the grid threshold with the best F1 on out-of-fold probabilities (ties: the lower one)."""
    out = np.full(y.shape[1], 0.5, dtype=np.float32)
    for j in range(y.shape[1]):
        if y[:, j].sum() == 0:
            continue
        scores = [_f1(y[:, j].astype(bool), probs[:, j] >= t) for t in THRESHOLD_GRID]
        out[j] = THRESHOLD_GRID[int(np.argmax(scores))]
    return out


def macro_f1(y: np.ndarray, acts: Sequence[frozenset[str]]) -> float:
    pred = np.zeros_like(y, dtype=bool)
    index = {n: i for i, n in enumerate(ACT_NAMES)}
    for r, a in enumerate(acts):
        for name in a:
            pred[r, index[name]] = True
    present = [j for j in range(y.shape[1]) if y[:, j].sum() > 0]
    return float(np.mean([_f1(y[:, j].astype(bool), pred[:, j]) for j in present]))


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: Sequence[str], c: float) -> np.ndarray:
    probs = np.zeros(y.shape, dtype=np.float32)
    for held in sorted(set(groups)):
        inside = np.array([g != held for g in groups])
        mean, scale, coef, intercept = fit_linear(x[inside], y[inside], c)
        head = LinearHead(mean, scale, coef, intercept, np.full(y.shape[1], 0.5), 0.0)
        probs[~inside] = head.probabilities(x[~inside])
    return probs


def train_head(folder: Path = CORPUS, out: Path = HEAD_PATH, log: Callable[[str], None] = print) -> str:
    from sparring.nlp.act_model import decide

    started = time.perf_counter()
    lines = training_lines(folder)
    groups = [line.author for line in lines]
    x, y = head_inputs(lines), targets(lines)
    log(f"{len(lines)} training lines by {len(set(groups))} authors; {x.shape[1]} features "
        f"({len(CLAUSE_FEATURES)} clause features)")
    results = {}
    for c in C_GRID:
        probs = out_of_fold(x, y, groups, c)
        thresholds = best_thresholds(y, probs)
        results[c] = (macro_f1(y, decide(probs, thresholds, 0.5)), probs, thresholds)
        log(f"  C={c}: author-grouped CV macro-F1 {results[c][0]:.3f} (thresholds tuned on the same folds)")
    c = max(C_GRID, key=lambda k: (results[k][0], -k))
    _, probs, thresholds = results[c]
    fallback = max(FALLBACK_GRID, key=lambda r: (macro_f1(y, decide(probs, thresholds, r)), -r))
    log(f"chose C={c}, fallback ratio {fallback} (CV macro-F1 {macro_f1(y, decide(probs, thresholds, fallback)):.3f})")
    mean, scale, coef, intercept = fit_linear(x, y, c)
    sha = LinearHead(mean, scale, coef, intercept, thresholds, float(fallback)).save(out)
    log(f"wrote {out} ({out.stat().st_size // 1024} KB, {time.perf_counter() - started:.0f} s); "
        f"pin HEAD_SHA256 = \"{sha}\" in sparring/nlp/act_head.py")
    return sha


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--head-only", action="store_true", help="train the linear head on frozen vectors")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)
    if not args.head_only:
        print("the fine-tuned model is not available yet; use --head-only", file=sys.stderr)
        return 2
    train_head(args.corpus, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
