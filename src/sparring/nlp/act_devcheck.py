"""A cheap author-held-out check of a training recipe (development only; needs the ``[train]`` extra).

One fine-tuning run instead of three: train on every training writer but one (plus the usual AnnoMI rows), read
the held-out writer's lines, and report macro-F1 there. The frozen test writers (``TEST_AUTHORS``) are refused.

    python -m sparring.nlp.train_acts --dev-check w4 --train-layers 6 --epochs 4 --build build/dev-6l-4e

Reported (all on the held-out writer, answer gate applied as at run time):
- ``macro_f1_at_half``: every act's threshold 0.5, no fallback (thresholds not tuned; the model's own calibration);
- ``macro_f1_tuned``: thresholds and fallback chosen on the held-out writer itself (optimistic: an upper bound
  of what the shipped thresholds reach; compare recipes with it, never quote it as a test number);
- ``macro_ap``: mean per-act average precision (threshold-free ranking quality);
- wall and CPU seconds of the training (CPU seconds are less sensitive to a busy machine than wall time).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sparring.nlp.act_corpus import TEST_AUTHORS
from sparring.nlp.acts import ACT_NAMES

if TYPE_CHECKING:
    from sparring.nlp.train_acts import Recipe


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of one act (mean precision at each positive, ranked by score; ties: positives last)."""
    if y.sum() == 0:
        return float("nan")
    order = np.lexsort((y, -scores))  # by score descending; among equal scores negatives first (pessimistic)
    hits = y[order].astype(bool)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


def per_act_f1(y: np.ndarray, acts: list[frozenset[str]]) -> dict[str, float]:
    out = {}
    for j, name in enumerate(ACT_NAMES):
        if y[:, j].sum() == 0:
            continue
        pred = np.array([name in a for a in acts])
        tp = float((pred & (y[:, j] > 0)).sum())
        out[name] = round(2 * tp / float(pred.sum() + y[:, j].sum()), 4)
    return out


def dev_check(hold_out: str, build: Path, folder: Path | None = None, recipe: Recipe | None = None,
              smoke: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train without ``hold_out`` and measure on it; writes ``dev-<hold_out>.json`` and ``.npz`` into ``build``."""
    from sparring.nlp import train_acts as ta
    from sparring.nlp.act_finetune import Rows, predict, train
    from sparring.nlp.act_model import answer_rows, decide
    from sparring.nlp.clauses import clauses

    if hold_out in TEST_AUTHORS:
        raise ValueError(f"{hold_out!r} is a frozen test writer; the development check holds out a training writer")
    folder = folder or ta.CORPUS
    recipe = recipe or ta.Recipe()
    lines = ta._lines(folder, smoke)
    authors = sorted({line.author for line in lines})
    if hold_out not in authors:
        raise ValueError(f"{hold_out!r} is not a training writer in {folder} (there: {', '.join(authors)})")
    inside = [line for line in lines if line.author != hold_out]
    outside = [line for line in lines if line.author == hold_out]
    epochs, layers = recipe.resolved(smoke)
    extra = ta.annomi_rows()
    if smoke:
        extra = extra.take(range(40))
    wall, cpu = time.perf_counter(), time.process_time()
    rows = ta.corpus_rows(inside, folder)
    net = train(Rows.join([rows, extra]), log=log, epochs=epochs, train_layers=layers,
                seed=recipe.seed_or_default())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    texts, contexts = [line.text for line in outside], [line.context for line in outside]
    probs = predict(net, texts, contexts)
    y = ta.targets(outside)
    answers = answer_rows([clauses(t) for t in texts], contexts)
    half = np.full(len(ACT_NAMES), 0.5, dtype=np.float32)
    thresholds = ta.best_thresholds(y, probs)
    fallback = max(ta.FALLBACK_GRID, key=lambda r: (ta.macro_f1(y, decide(probs, thresholds, r, answers)), -r))
    tuned = decide(probs, thresholds, fallback, answers)
    result = {
        "held_out": hold_out, "trained_on": [a for a in authors if a != hold_out], "epochs": epochs,
        "train_layers": layers, "seed": recipe.seed_or_default(), "train_rows": len(inside) + len(extra),
        "held_out_lines": len(outside), "masked_entries": int((rows.masks[:len(inside)] == 0).sum()),
        "macro_f1_at_half": round(ta.macro_f1(y, decide(probs, half, 0.0, answers)), 4),
        "macro_f1_tuned": round(ta.macro_f1(y, tuned), 4),
        "macro_ap": round(float(np.nanmean([average_precision(y[:, j], probs[:, j]) for j in range(y.shape[1])])), 4),
        "exact_sets_tuned": round(float(np.mean([set(a) == set(line.acts) for a, line in zip(tuned, outside,
                                                                                                 strict=True)])), 4),
        "per_act_f1_tuned": per_act_f1(y, tuned), "train_wall_s": round(wall), "train_cpu_s": round(cpu),
        "smoke": smoke,
    }
    build.mkdir(parents=True, exist_ok=True)
    np.savez(build / f"dev-{hold_out}.npz", ids=np.array([line.id for line in outside]), probs=probs)
    (build / f"dev-{hold_out}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    log(f"dev check, {hold_out} held out ({len(outside)} lines), {layers} layers, {epochs} epochs: macro-F1 "
        f"{result['macro_f1_at_half']:.3f} at 0.5, {result['macro_f1_tuned']:.3f} with thresholds tuned on it "
        f"(optimistic), macro-AP {result['macro_ap']:.3f}; training {wall:.0f} s wall, {cpu:.0f} s CPU")
    return result
