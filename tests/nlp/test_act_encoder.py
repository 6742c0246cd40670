"""The ONNX act encoder's inputs and its file checks (the model's behaviour is tested in test_act_model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sparring.nlp import act_encoder
from sparring.nlp.act_encoder import MAX_TOKENS, OnnxBackend, encode_pairs, pad, tokenizer
from sparring.nlp.act_head import ActModelError, sha256_of
from sparring.nlp.acts import ACT_NAMES


def test_pairs_mark_the_line_and_the_context_apart() -> None:
    tok = tokenizer()
    (ids, types), (ids2, types2) = encode_pairs(tok, ["Is that okay?", ""], ["I drink a lot.", ""])
    assert types[0] == 0 and types[-1] == 1 and sum(types) == 6  # "i drink a lot ." and its [SEP]
    assert len(ids) == len(types) and ids[0] == ids2[0]  # [CLS]
    assert len(ids2) == 4  # an empty line reads as "." ([CLS] . [SEP] [SEP])
    long = encode_pairs(tok, ["word " * 300], ["other " * 300])[0][0]
    assert len(long) == MAX_TOKENS
    a, m, t = pad([(ids, types), (ids2, types2)])
    assert a.shape == m.shape == t.shape == (2, len(ids)) and m[1].sum() == 4 and a[1, 4:].sum() == 0


def test_shipped_files_match_their_pins() -> None:
    assert sha256_of(act_encoder.ONNX_PATH) == act_encoder.ONNX_SHA256
    assert sha256_of(act_encoder.META_PATH) == act_encoder.META_SHA256
    assert act_encoder.ONNX_PATH.stat().st_size <= 25 * 1024 * 1024
    meta = json.loads(act_encoder.META_PATH.read_text(encoding="utf-8"))
    assert meta["acts"] == list(ACT_NAMES) and len(meta["thresholds"]) == len(ACT_NAMES)
    assert all(0.0 < t < 1.0 for t in meta["thresholds"])


def test_missing_or_altered_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ActModelError, match="not found"):
        OnnxBackend(tmp_path / "acts.onnx", tmp_path / "acts.json")
    altered = tmp_path / "acts.onnx"
    altered.write_bytes(act_encoder.ONNX_PATH.read_bytes()[:-1] + b"\0")
    with pytest.raises(ActModelError, match="sha256"):
        OnnxBackend(altered, act_encoder.META_PATH)
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"acts": ["small_talk"], "thresholds": [0.5], "fallback_ratio": 0}), encoding="utf-8")
    with pytest.raises(ActModelError, match="acts differ"):
        OnnxBackend(act_encoder.ONNX_PATH, meta, verify=False)
    meta.write_text("{}", encoding="utf-8")
    with pytest.raises(ActModelError, match="not a readable"):
        OnnxBackend(act_encoder.ONNX_PATH, meta, verify=False)


def test_backend_batches_equal_single_rows() -> None:
    backend = OnnxBackend(threads=1)
    texts = ["Could we meet on Thursday?", "No.", "You never listen to a word I say, do you?"]
    contexts = ["", "Is that a yes?", "I did read your email."]
    from sparring.nlp.clauses import clauses

    parsed = [clauses(t) for t in texts]
    together = backend.probabilities(texts, contexts, parsed)
    alone = np.vstack([backend.probabilities([t], [c], [p]) for t, c, p in zip(texts, contexts, parsed, strict=True)])
    assert together.shape == (3, len(ACT_NAMES)) and np.allclose(together, alone, atol=1e-4)
