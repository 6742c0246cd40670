"""Benchmark: the act model (``sparring.nlp.act_model``) on lines nobody tuned it on, and its speed.

    .venv/bin/python bench/acts.py [--model onnx|linear] [--corpus corpus/acts] [--annomi DIR] [--json]

- **Frozen act corpus split** (``TEST_AUTHORS``: w5 and, from 2026-12-07, w7 — other writers, every voice and
  domain; reported together and per writer): macro-F1 over the acts present, micro-F1, and per act precision,
  recall, F1 and support. Targets (issue 11): macro-F1 >= 0.85, every act's recall >= 0.75.
- **AnnoMI held-out transcripts** (``act_annomi.is_held_out``, fixed before any measurement): F1 of each act the
  AnnoMI codes speak to, over the utterances whose code speaks to it; macro over those acts (target >= 0.78).
- **Speed**: one line at a time (p50/p95 ms, what a persona reply pays) and a 600-turn call in one batch
  (lines/s).

The model is trained on the training split only (``python -m sparring.nlp.train_acts``); this script only reads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    denom = float(y.sum() + p.sum())
    return 2 * float((y & p).sum()) / denom if denom else 0.0


def corpus_scores(gold: list[tuple[str, ...]], pred: list[frozenset[str]], names: tuple[str, ...]) -> dict:  # type: ignore[type-arg]
    index = {n: i for i, n in enumerate(names)}
    y = np.zeros((len(gold), len(names)), dtype=bool)
    p = np.zeros_like(y)
    for r, (g, a) in enumerate(zip(gold, pred, strict=True)):
        y[r, [index[n] for n in g]] = True
        p[r, [index[n] for n in a]] = True
    present = [j for j in range(len(names)) if y[:, j].any()]
    per_act = {}
    for j in present:
        tp = int((y[:, j] & p[:, j]).sum())
        per_act[names[j]] = {"support": int(y[:, j].sum()), "recall": round(tp / int(y[:, j].sum()), 3),
                             "precision": round(tp / int(p[:, j].sum()), 3) if p[:, j].any() else 0.0,
                             "f1": round(_f1(y[:, j], p[:, j]), 3)}
    return {
        "lines": len(gold),
        "macro_f1": round(float(np.mean([_f1(y[:, j], p[:, j]) for j in present])), 4),
        "micro_f1": round(_f1(y.ravel(), p.ravel()), 4),
        "exact_set": round(float(np.mean([set(g) == set(a) for g, a in zip(gold, pred, strict=True)])), 4),
        "acts_under_0.75_recall": sorted(n for n, v in per_act.items() if v["recall"] < 0.75),
        "per_act": per_act,
    }


def annomi_scores(model: str, folder: Path | None) -> dict:  # type: ignore[type-arg]
    from sparring.nlp.act_annomi import MAPPED_ACTS, load_annomi
    from sparring.nlp.act_model import ACT_NAMES, read_acts

    held = [a for a in load_annomi(folder) if a.held_out]
    readings = read_acts([a.text for a in held], [a.context for a in held], model=model)
    out = {}
    for name in MAPPED_ACTS:
        j = ACT_NAMES.index(name)
        rows = [i for i, a in enumerate(held) if a.mask[j]]
        y = np.array([held[i].labels[j] == 1 for i in rows])
        p = np.array([name in readings[i].acts for i in rows])
        out[name] = {"known": len(rows), "positives": int(y.sum()), "f1": round(_f1(y, p), 3),
                     "recall": round(float((y & p).sum() / max(1, y.sum())), 3)}
    return {"utterances": len(held), "transcripts": len({a.transcript for a in held}),
            "macro_f1": round(float(np.mean([v["f1"] for v in out.values()])), 4), "per_act": out}


def speed(model: str, texts: list[str], contexts: list[str]) -> dict:  # type: ignore[type-arg]
    from sparring.nlp.act_model import read_acts

    read_acts(["warm up"], [""], model=model)
    if model == "linear":  # its sentence vectors are cached by the accuracy part: time it from scratch
        from sparring.nlp.embeddings import get_embedder

        get_embedder().clear_cache()
    times = []
    for t, c in zip(texts[:200], contexts[:200], strict=False):
        start = time.perf_counter()
        read_acts([t], [c], model=model)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    call = (texts * (600 // max(1, len(texts)) + 1))[:600]
    ctx = (contexts * (600 // max(1, len(contexts)) + 1))[:600]
    start = time.perf_counter()
    read_acts(call, ctx, model=model)
    seconds = time.perf_counter() - start
    p95 = times[int(0.95 * len(times))]
    return {"single_p50_ms": round(statistics.median(times), 1), "single_p95_ms": round(p95, 1),
            "call_600_seconds": round(seconds, 2), "call_lines_per_second": round(600 / seconds, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("onnx", "linear"), default="onnx")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "acts")
    parser.add_argument("--annomi", type=Path, default=None, help="AnnoMI folder (default: shared/datasets/annomi)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["SPARRING_ACT_MODEL"] = args.model

    from sparring.nlp.act_corpus import CorpusError, load_corpus
    from sparring.nlp.act_model import ACT_NAMES, read_acts

    try:
        lines = load_corpus(args.corpus)
    except CorpusError as exc:
        print(f"error: {exc.problems[0]} ({len(exc.problems)} problem(s))", file=sys.stderr)
        return 1
    test = [line for line in lines if line.split == "test"]
    readings = read_acts([line.text for line in test], [line.context for line in test], model=args.model)
    result = {"model": args.model, "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}", "date": time.strftime("%Y-%m-%d", time.gmtime()),
              "frozen_test": corpus_scores([line.acts for line in test], [r.acts for r in readings], ACT_NAMES)}
    result["frozen_test_by_author"] = {
        author: corpus_scores([line.acts for line in test if line.author == author],
                              [r.acts for line, r in zip(test, readings, strict=True) if line.author == author],
                              ACT_NAMES)
        for author in sorted({line.author for line in test})
    }
    try:
        result["annomi_held_out"] = annomi_scores(args.model, args.annomi)
    except FileNotFoundError as exc:
        result["annomi_held_out"] = {"skipped": str(exc)}
    result["speed"] = speed(args.model, [line.text for line in test], [line.context for line in test])

    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    t = result["frozen_test"]
    print(f"act model '{args.model}' on {result['machine']}, {result['date']}")
    print(f"frozen test split ({t['lines']} lines): macro-F1 {t['macro_f1']}  micro-F1 {t['micro_f1']}  "
          f"exact act set {t['exact_set']}")
    for author, v in result["frozen_test_by_author"].items():
        print(f"  writer {author} ({v['lines']} lines): macro-F1 {v['macro_f1']}  micro-F1 {v['micro_f1']}  "
              f"exact act set {v['exact_set']}")
    print("  act                      recall  prec    F1   support")
    for name, v in sorted(t["per_act"].items(), key=lambda kv: kv[1]["recall"]):
        print(f"  {name:<24} {v['recall']:.3f}  {v['precision']:.3f}  {v['f1']:.3f}  {v['support']}")
    a = result["annomi_held_out"]
    if "skipped" in a:
        print(f"AnnoMI: skipped ({a['skipped']})")
    else:
        print(f"AnnoMI held-out ({a['utterances']} therapist utterances, {a['transcripts']} transcripts): "
              f"macro-F1 {a['macro_f1']}")
        for name, v in a["per_act"].items():
            print(f"  {name:<24} F1 {v['f1']:.3f}  recall {v['recall']:.3f}  ({v['positives']} of {v['known']})")
    s = result["speed"]
    print(f"speed: one line p50 {s['single_p50_ms']} ms, p95 {s['single_p95_ms']} ms; 600-turn call "
          f"{s['call_600_seconds']} s ({s['call_lines_per_second']} lines/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
