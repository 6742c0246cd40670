"""The fine-tuned act encoder at run time: MiniLM fine-tuned with a multi-label act head (``train_acts``),
exported to ONNX (``data/acts.onnx``), run with onnxruntime and the shipped MiniLM tokenizer (no torch).

Input: the line and the other person's previous line as one token pair ([CLS] line [SEP] context [SEP]), plus
the clause features of ``act_head.clause_features``. The network mean-pools the line's tokens and the context's
tokens separately and maps [line; context; clause features] to one probability per act. Thresholds and the
decision rule's fallback ratio are in ``data/acts-onnx.json``. Both files' sha256 are pinned here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sparring.nlp.act_head import ActModelError, clause_features
from sparring.nlp.acts import ACT_NAMES
from sparring.nlp.clauses import Clause
from sparring.nlp.embeddings import sha256_of
from sparring.nlp.runtime import default_threads, run_batches, session_options

if TYPE_CHECKING:
    from tokenizers import Tokenizer

DATA = Path(__file__).parent / "data"
ONNX_PATH = DATA / "acts.onnx"
META_PATH = DATA / "acts-onnx.json"
TOKENIZER_PATH = DATA / "minilm-tokenizer.json"
#: pinned by ``python -m sparring.nlp.train_acts`` (printed at the end of training)
ONNX_SHA256 = "cb57387a7703341a4a56a145d86388f12d3ee416af4f49817e0880af311ce339"
META_SHA256 = "d48bf1ac27daacdc15dc8ce576c6e6161a55c7b3cce35907bac99413fa33f2bb"
MAX_TOKENS = 96
#: Lines are read in batches of similar token length (``batches``): the model is weight-only int8 (``act_quant``:
#: 8-bit weights, float activations), so a line's probabilities do not depend on the lines batched with it (within
#: 1e-4, tested). A batch holds at most ``MAX_BATCH`` lines and ``TOKEN_BUDGET`` padded tokens; each batch runs on
#: one thread (``sparring.nlp.runtime``), and on one thread ~256 padded tokens read fastest: AnnoMI transcripts,
#: 2.2-2.5 CPU-s at 128-256 against 4.1-4.9 at 2,048 (less padding, activations that stay in cache;
#: docs/benchmarks.md).
TOKEN_BUDGET = 256
MAX_BATCH = 64


def tokenizer() -> Tokenizer:
    """The shipped MiniLM tokenizer set up for (line, context) pairs: truncated, unpadded."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_PATH))
    tok.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
    tok.no_padding()
    return tok


def encode_pairs(tok: Tokenizer, texts: Sequence[str], contexts: Sequence[str]) -> list[tuple[list[int], list[int]]]:
    """Token ids and segment ids of each (line, context) pair."""
    encs = tok.encode_batch([(t if t.strip() else ".", c) for t, c in zip(texts, contexts, strict=True)])
    return [(e.ids, e.type_ids) for e in encs]


def batches(lengths: Sequence[int], budget: int = TOKEN_BUDGET, max_rows: int = MAX_BATCH) -> list[list[int]]:
    """Indices of the rows grouped by token length (shortest first) so that little time goes into padding: each
    group has at most ``max_rows`` rows and at most ``budget`` tokens once padded to its longest row."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    groups: list[list[int]] = []
    group: list[int] = []
    for i in order:
        if group and (len(group) >= max_rows or (len(group) + 1) * lengths[i] > budget):
            groups.append(group)
            group = []
        group.append(i)
    if group:
        groups.append(group)
    return groups


def pad(rows: Sequence[tuple[list[int], list[int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width = max(len(ids) for ids, _ in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    types = np.zeros((len(rows), width), dtype=np.int64)
    for i, (r, t) in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
        types[i, : len(t)] = t
    return ids, mask, types


class OnnxBackend:
    """The shipped ONNX act model (ActModelError when a file is missing or not the pinned one)."""

    def __init__(self, onnx_path: Path = ONNX_PATH, meta_path: Path | None = META_PATH, verify: bool = True,
                 threads: int | None = None):
        """``meta_path=None`` (training only): no thresholds yet (0.5 each)."""
        import onnxruntime as ort

        for path, sha in ((onnx_path, ONNX_SHA256), (meta_path, META_SHA256)):
            if path is None:
                continue
            if not path.is_file():
                raise ActModelError(f"act model file not found at {path} (train it: python -m sparring.nlp.train_acts)")
            if verify and sha256_of(path) != sha:
                raise ActModelError(f"act model file {path} does not match its pinned sha256 {sha[:12]}…")
        self.thresholds = np.full(len(ACT_NAMES), 0.5, dtype=np.float32)
        self.fallback_ratio = 0.0
        if meta_path is not None:
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                if tuple(meta["acts"]) != ACT_NAMES:
                    raise ActModelError(f"{meta_path}: acts differ from sparring.nlp.acts; retrain the model")
                self.thresholds = np.array(meta["thresholds"], dtype=np.float32)
                self.fallback_ratio = float(meta["fallback_ratio"])
            except (KeyError, ValueError, TypeError) as exc:
                raise ActModelError(f"{meta_path}: not a readable act model description ({exc})") from exc
        if self.thresholds.shape != (len(ACT_NAMES),):
            raise ActModelError(f"{meta_path}: thresholds: expected {len(ACT_NAMES)} values")
        #: batches read at once (each on one thread: ``sparring.nlp.runtime``)
        self.threads = threads or default_threads()
        # the blocked int8 weights run as onnxruntime's MatMulNBits with int8 arithmetic on per-row activation
        # blocks: batch-independent by construction, about twice as fast per line as folding them to fp32 at load
        # (session.disable_quant_qdq=1), and 99% of training lines get the same act set either way (docs/acts.md)
        self._session = ort.InferenceSession(str(onnx_path), sess_options=session_options(),
                                             providers=["CPUExecutionProvider"])
        self._tok = tokenizer()

    def probabilities(self, texts: Sequence[str], contexts: Sequence[str],
                      parsed: Sequence[tuple[Clause, ...]]) -> np.ndarray:
        """One row of act probabilities per (line, context) pair; a pair that occurs twice is read once (a
        transcript's one-clause sentences are both a sentence and a clause segment: 12% of AnnoMI's pairs)."""
        first: dict[tuple[str, str], int] = {}
        pick: list[int] = []  # the first row of each distinct pair
        where: list[int] = []  # each row's distinct pair
        for i, pair in enumerate(zip(texts, contexts, strict=True)):
            k = first.get(pair)
            if k is None:
                k = first[pair] = len(pick)
                pick.append(i)
            where.append(k)
        rows = encode_pairs(self._tok, [texts[i] for i in pick], [contexts[i] for i in pick])
        rules = np.vstack([clause_features(texts[i], contexts[i], parsed[i]) for i in pick])

        def read(group: list[int]) -> np.ndarray:
            ids, mask, types = pad([rows[i] for i in group])
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types, "rules": rules[group]}
            probs: np.ndarray = self._session.run(None, feeds)[0]
            return probs

        groups = batches([len(ids) for ids, _ in rows])
        out = np.zeros((len(pick), len(ACT_NAMES)), dtype=np.float32)
        for group, probs in zip(groups, run_batches(read, groups, self.threads), strict=True):
            out[group] = probs
        return out[where]
