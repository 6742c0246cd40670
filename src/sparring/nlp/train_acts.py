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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sparring.nlp.act_corpus import TEST_AUTHORS, ActLine, load_training
from sparring.nlp.act_head import CLAUSE_FEATURES, HEAD_PATH, LinearHead, clause_features, features
from sparring.nlp.acts import ACT_NAMES
from sparring.nlp.embeddings import sha256_of

if TYPE_CHECKING:
    from sparring.nlp.act_finetune import Rows

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "corpus" / "acts"
C_GRID = (0.01, 0.03, 0.1)
THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)
FALLBACK_GRID = (0.0, 0.3, 0.5, 0.7, 0.85, 1.0, 10.0)


def training_lines(folder: Path = CORPUS) -> list[ActLine]:
    """Every training writer's lines (``act_corpus.load_training``: every file but the test authors')."""
    return load_training(folder)


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


# ------------------------------------------------------------------------------ the fine-tuned model (M2)

BUILD = ROOT / "build" / "act-model"
FOLDS = ("fold-a", "fold-b")
#: the folds of the first training run; any other training writer joins them in turn (sorted: w6 -> a, w7 -> b, ...)
FIRST_FOLDS = {"w1": "fold-a", "w2": "fold-a", "w3": "fold-b", "w4": "fold-b"}


def fold_authors(authors: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The held-out authors of each CV fold, for the training authors present."""
    if set(authors) & TEST_AUTHORS:
        raise ValueError(f"a test author among the training authors: {sorted(set(authors) & TEST_AUTHORS)}")
    out: dict[str, list[str]] = {f: [] for f in FOLDS}
    for a in sorted(set(authors) & FIRST_FOLDS.keys()):
        out[FIRST_FOLDS[a]].append(a)
    for i, a in enumerate(sorted(set(authors) - FIRST_FOLDS.keys())):
        out[FOLDS[i % len(FOLDS)]].append(a)
    return {f: tuple(v) for f, v in out.items()}
ANNOMI_TRAIN_ROWS = 600
#: the int8 model is shipped only if at least this share of train-split verdicts (line, act) agree with fp32
QUANT_AGREEMENT = 0.995
#: ... and only if every training line's probabilities read alone and read in batches differ by at most this
BATCH_TOLERANCE = 1e-4
QUANTISED = "weight-only int8 (weights in 8-bit blocks of 32 read by DequantizeLinear; int8 embedding rows)"


def corpus_rows(lines: Sequence[ActLine], folder: Path | None = None) -> Rows:
    """Training rows of corpus lines: every act known, except (when ``folder`` holds a second annotation,
    ``act_agreement``) the acts the two annotators disagree on, masked out line by line."""
    from sparring.nlp.act_agreement import agreement_masks, load_second
    from sparring.nlp.act_finetune import Rows

    y = targets(lines).astype(np.float32)
    masks = agreement_masks(lines, load_second(folder, lines)) if folder is not None else np.ones_like(y)
    return Rows([line.text for line in lines], [line.context for line in lines], y, masks,
                np.ones(len(lines), dtype=np.float32), np.ones(len(lines), dtype=bool))


def annomi_rows() -> Rows:
    """AnnoMI's training transcripts (never the held-out ones): a fixed subset of ``ANNOMI_TRAIN_ROWS``
    utterances (ordered by a hash of transcript and text), weighted ``ANNOMI_WEIGHT``."""
    import hashlib

    from sparring.nlp.act_annomi import load_annomi
    from sparring.nlp.act_finetune import ANNOMI_WEIGHT, Rows

    lines = [a for a in load_annomi() if not a.held_out]
    lines.sort(key=lambda a: hashlib.sha256(f"{a.transcript}|{a.text}".encode()).hexdigest())
    lines = lines[:ANNOMI_TRAIN_ROWS]
    return Rows([a.text for a in lines], [a.context for a in lines], np.vstack([a.labels for a in lines]),
                np.vstack([a.mask for a in lines]), np.full(len(lines), ANNOMI_WEIGHT, dtype=np.float32))


def _lines(folder: Path, smoke: bool) -> list[ActLine]:
    lines = training_lines(folder)
    return lines[::50] if smoke else lines


@dataclass(frozen=True)
class Recipe:
    """How deep and how long the encoder is fine-tuned (``--train-layers``, ``--epochs``) and its seed
    (``--seed``); None: the defaults of ``act_finetune`` (``TRAIN_LAYERS``, ``EPOCHS``, ``SEED``)."""

    epochs: int | None = None
    train_layers: int | None = None
    seed: int | None = None

    def resolved(self, smoke: bool = False) -> tuple[int, int]:
        from sparring.nlp.act_finetune import EPOCHS, TRAIN_LAYERS

        epochs = 1 if smoke else (EPOCHS if self.epochs is None else self.epochs)
        return epochs, TRAIN_LAYERS if self.train_layers is None else self.train_layers

    def args(self) -> list[str]:
        return [*(["--epochs", str(self.epochs)] if self.epochs is not None else []),
                *(["--train-layers", str(self.train_layers)] if self.train_layers is not None else []),
                *(["--seed", str(self.seed)] if self.seed is not None else [])]

    def seed_or_default(self) -> int:
        from sparring.nlp.act_finetune import SEED

        return SEED if self.seed is None else self.seed


def run_part(part: str, build: Path, folder: Path = CORPUS, smoke: bool = False, recipe: Recipe = Recipe()) -> None:
    """Train one part: a CV fold (saves out-of-fold probabilities) or the final model (saves fp32 ONNX)."""
    from sparring.nlp.act_finetune import Rows, export_onnx, predict, train

    lines = _lines(folder, smoke)
    epochs, layers = recipe.resolved(smoke)
    log_path = build / f"{part}.log"
    build.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        with log_path.open("a", encoding="utf-8") as f:
            f.write(msg + "\n")

    started = time.perf_counter()
    extra = annomi_rows()
    if smoke:
        extra = extra.take(range(40))
    if part == "final":
        net = train(Rows.join([corpus_rows(lines, folder), extra]), log=log, epochs=epochs, train_layers=layers,
                    seed=recipe.seed_or_default())
        export_onnx(net, build / "acts-fp32.onnx")
    else:
        held = fold_authors([line.author for line in lines])[part]
        inside = [line for line in lines if line.author not in held]
        outside = [line for line in lines if line.author in held]
        net = train(Rows.join([corpus_rows(inside, folder), extra]), log=log, epochs=epochs, train_layers=layers,
                    seed=recipe.seed_or_default())
        probs = predict(net, [line.text for line in outside], [line.context for line in outside])
        np.savez(build / f"{part}.npz", ids=np.array([line.id for line in outside]), probs=probs)
    log(f"{part} done in {time.perf_counter() - started:.0f} s")


def _onnx_probs(path: Path, lines: Sequence[ActLine], alone: bool = False) -> np.ndarray:
    """Probabilities of the model at ``path``: batched as at run time, or each line in its own call."""
    from sparring.nlp.act_encoder import OnnxBackend
    from sparring.nlp.clauses import clauses

    backend = OnnxBackend(path, meta_path=None, verify=False)
    texts, contexts = [line.text for line in lines], [line.context for line in lines]
    parsed = [clauses(t) for t in texts]
    if not alone:
        return backend.probabilities(texts, contexts, parsed)
    return np.vstack([backend.probabilities([t], [c], [p]) for t, c, p in zip(texts, contexts, parsed, strict=True)])


def finish(build: Path, folder: Path = CORPUS, log: Callable[[str], None] = print,
           smoke: bool = False, recipe: Recipe = Recipe()) -> tuple[str, str]:
    """Thresholds from the folds' out-of-fold probabilities, the quantisation check, and the shipped files
    (written into ``build`` instead when ``smoke``)."""
    import json
    import shutil

    from sparring.nlp import act_encoder
    from sparring.nlp.act_model import decide
    from sparring.nlp.act_quant import quantise

    onnx_out = build / "acts.onnx" if smoke else act_encoder.ONNX_PATH
    meta_out = build / "acts-onnx.json" if smoke else act_encoder.META_PATH
    lines = _lines(folder, smoke)
    epochs, layers = recipe.resolved(smoke)
    by_id = {line.id: i for i, line in enumerate(lines)}
    y = targets(lines)
    oof = np.full(y.shape, np.nan, dtype=np.float32)
    for part in FOLDS:
        with np.load(build / f"{part}.npz") as data:
            for line_id, row in zip(data["ids"], data["probs"], strict=True):
                oof[by_id[str(line_id)]] = row
    if np.isnan(oof).any():
        raise RuntimeError("the folds do not cover every training line")
    thresholds = best_thresholds(y, oof)
    fallback = max(FALLBACK_GRID, key=lambda r: (macro_f1(y, decide(oof, thresholds, r)), -r))
    cv = macro_f1(y, decide(oof, thresholds, fallback))
    authors = "+".join(sorted({line.author for line in lines}))
    log(f"author-grouped 2-fold CV on {authors}: macro-F1 {cv:.3f} (thresholds tuned on the same out-of-fold "
        f"probabilities); fallback ratio {fallback}")
    fp32, int8 = build / "acts-fp32.onnx", build / "acts-w8e8.onnx"
    quantise(fp32, int8)
    p32, p8 = _onnx_probs(fp32, lines), _onnx_probs(int8, lines)
    drift = float(np.abs(p8 - _onnx_probs(int8, lines, alone=True)).max())
    if drift > BATCH_TOLERANCE:
        raise RuntimeError(f"{int8}: a line's probabilities alone and in a batch differ by {drift:.2g} "
                           f"(> {BATCH_TOLERANCE}); the runtime batches lines, so this file cannot be shipped")
    agree = float(((p32 >= thresholds) == (p8 >= thresholds)).mean())
    same_sets = float(np.mean([a == b for a, b in zip(decide(p32, thresholds, fallback),
                                                       decide(p8, thresholds, fallback), strict=True)]))
    use_int8 = agree >= QUANT_AGREEMENT
    log(f"weight-only int8 vs fp32 on the train split: {agree:.4f} of (line, act) verdicts agree, {same_sets:.4f} "
        f"of act sets identical; batched vs alone: at most {drift:.2g} apart; shipping "
        f"{'int8' if use_int8 else 'fp32'} ({(int8 if use_int8 else fp32).stat().st_size / 1e6:.1f} MB)")
    shutil.copyfile(int8 if use_int8 else fp32, onnx_out)
    meta = {"acts": list(ACT_NAMES), "thresholds": [round(float(t), 4) for t in thresholds],
            "fallback_ratio": float(fallback),
            "quantised": QUANTISED if use_int8 else "",
            "cv_macro_f1": round(cv, 4), "epochs": epochs, "train_layers": layers,
            "int8_verdict_agreement": round(agree, 4),
            "int8_set_agreement": round(same_sets, 4), "batch_max_diff": float(f"{drift:.2g}")}
    meta_out.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    onnx_sha, meta_sha = sha256_of(onnx_out), sha256_of(meta_out)
    log(f"wrote {onnx_out} and {meta_out}; pin ONNX_SHA256 = \"{onnx_sha}\" and META_SHA256 = \"{meta_sha}\" "
        "in sparring/nlp/act_encoder.py")
    return onnx_sha, meta_sha


def train_full(build: Path = BUILD, folder: Path = CORPUS, parallel: bool = True, smoke: bool = False,
               recipe: Recipe = Recipe()) -> None:
    """Every part (two CV folds and the final model, as parallel one-thread processes) and then ``finish``."""
    import subprocess

    started = time.perf_counter()
    build.mkdir(parents=True, exist_ok=True)
    for stale in build.glob("*"):
        stale.unlink()
    cmd = [sys.executable, "-m", "sparring.nlp.train_acts", "--build", str(build), "--corpus", str(folder),
           *(["--smoke"] if smoke else []), *recipe.args(), "--part"]
    parts = [*FOLDS, "final"]
    if parallel:
        procs = [subprocess.Popen([*cmd, part]) for part in parts]
        codes = [p.wait() for p in procs]
    else:
        codes = [subprocess.call([*cmd, part]) for part in parts]
    if any(codes):
        raise RuntimeError(f"a training part failed (exit codes {codes}); see {build}/*.log")
    finish(build, folder, smoke=smoke, recipe=recipe)
    print(f"trained in {time.perf_counter() - started:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--head-only", action="store_true", help="train the linear head on frozen vectors")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=HEAD_PATH, help="where --head-only writes the head")
    parser.add_argument("--build", type=Path, default=BUILD, help="working folder of the fine-tuning run")
    parser.add_argument("--part", choices=[*FOLDS, "final"], help="(internal) train one part only")
    parser.add_argument("--finish", action="store_true", help="(internal) only combine the parts in --build")
    parser.add_argument("--sequential", action="store_true", help="train the parts one after another")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (every 50th line, 1 epoch) into --build")
    parser.add_argument("--epochs", type=int, help="training epochs (default: act_finetune.EPOCHS)")
    parser.add_argument("--train-layers", type=int, help="upper encoder layers fine-tuned, 0-6 (default: "
                        "act_finetune.TRAIN_LAYERS)")
    parser.add_argument("--seed", type=int, help="training seed (default: act_finetune.SEED)")
    parser.add_argument("--dev-check", metavar="WRITER", help="train without this training writer and report "
                        "macro-F1 on it (act_devcheck; writes into --build)")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.train_layers is not None and not 0 <= args.train_layers <= 6:
        parser.error("--train-layers must be between 0 and 6")
    recipe = Recipe(args.epochs, args.train_layers, args.seed)
    if args.head_only:
        train_head(args.corpus, args.out)
    elif args.dev_check:
        from sparring.nlp.act_devcheck import dev_check

        if args.build == BUILD:
            parser.error("--dev-check needs its own --build folder (the default one holds the full run's parts)")
        try:
            dev_check(args.dev_check, args.build, args.corpus, recipe, smoke=args.smoke)
        except ValueError as exc:
            parser.error(str(exc))
    elif args.part:
        run_part(args.part, args.build, args.corpus, smoke=args.smoke, recipe=recipe)
    elif args.finish:
        finish(args.build, args.corpus, smoke=args.smoke, recipe=recipe)
    else:
        train_full(args.build, args.corpus, parallel=not args.sequential, smoke=args.smoke, recipe=recipe)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
