from __future__ import annotations

import numpy as np

from sparring.nlp.embeddings import DIM, Embedder

TEXTS = [
    "What would be different for you if you cut down?",
    "Okay.",
    "So part of you wants to quit, and part of you worries about losing the one thing that calms you down.",
    "Would it be okay if I shared some information about that?",
    "",
    "Okay.",
]


def test_batching_does_not_change_the_vectors() -> None:
    one_thread = Embedder(threads=1, cache_size=0)
    default = one_thread.embed(TEXTS)  # several texts per model call
    single = np.vstack([one_thread.embed([t], token_budget=1) for t in TEXTS])
    assert default.shape == (len(TEXTS), DIM) and default.dtype == np.float32
    assert np.allclose(default, single, atol=1e-5)
    assert np.allclose(np.linalg.norm(default, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(default[1], default[5])  # duplicates are embedded once


def test_two_threads_give_the_same_vectors_as_one() -> None:
    a = Embedder(threads=1, cache_size=0).embed(TEXTS)
    b = Embedder(threads=2, cache_size=0).embed(TEXTS)
    assert np.allclose(a, b, atol=1e-5)
