"""Weight-only int8 quantisation of the exported act model (the shipped file is checked in test_act_encoder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sparring.nlp.act_quant import WORD_EMBEDDINGS, quantise, quantise_blocks, quantise_rows


def test_rows_are_quantised_each_with_its_own_scale() -> None:
    rng = np.random.default_rng(1)
    table = rng.normal(size=(50, 16)).astype(np.float32) * rng.uniform(0.01, 3.0, size=(50, 1)).astype(np.float32)
    table[7] = 0.0
    q, scale = quantise_rows(table)
    assert q.dtype == np.int8 and scale.shape == (50, 1) and np.abs(q).max() <= 127
    assert np.all(np.abs(q * scale - table) <= scale / 2 + 1e-7)  # within half a step of its own row's scale
    assert np.all(q[7] == 0) and scale[7, 0] == 1.0


def test_matmul_weights_are_quantised_in_blocks_of_rows() -> None:
    rng = np.random.default_rng(4)
    weight = rng.normal(size=(64, 10)).astype(np.float32)
    weight[32:] *= 100  # a second block with a much larger range keeps its own scale
    q, scale = quantise_blocks(weight, 32)
    assert q.shape == weight.shape and scale.shape == (2, 10) and q.dtype == np.int8
    step = np.repeat(scale, 32, axis=0)
    assert np.all(np.abs(q * step - weight) <= step / 2 + 1e-6)
    assert np.all(scale[1] > 50 * scale[0])


def test_a_quantised_graph_has_no_per_call_activation_scales(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")  # the [train] extra
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(2)
    table = rng.normal(size=(40, 64)).astype(np.float32)
    weight = rng.normal(size=(64, 64)).astype(np.float32) / 8
    graph = helper.make_graph(
        [helper.make_node("Gather", [WORD_EMBEDDINGS, "ids"], ["emb"], axis=0),
         helper.make_node("MatMul", ["emb", "w"], ["out"])],
        "tiny", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "tokens", 64])],
        [numpy_helper.from_array(table, WORD_EMBEDDINGS), numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    src, dst = tmp_path / "fp32.onnx", tmp_path / "w8.onnx"
    onnx.save(model, str(src))
    quantise(src, dst)
    small_model = onnx.load(str(dst))
    ops = {n.op_type for n in small_model.graph.node}
    assert "DequantizeLinear" in ops and "DynamicQuantizeLinear" not in ops
    assert {i.name: i.data_type for i in small_model.graph.initializer}[WORD_EMBEDDINGS + "_q8"] == TensorProto.INT8
    assert dst.stat().st_size < src.stat().st_size / 3
    ids = rng.integers(0, 40, size=(5, 7)).astype(np.int64)
    full = ort.InferenceSession(str(src)).run(None, {"ids": ids})[0]
    for fold in ("0", "1"):  # int8 kernels (as act_encoder loads it) and folded to fp32 at load
        opts = ort.SessionOptions()
        opts.add_session_config_entry("session.disable_quant_qdq", fold)
        small = ort.InferenceSession(str(dst), opts)
        out = small.run(None, {"ids": ids})[0]
        assert np.abs(out - full).max() < 0.05 * np.abs(full).max()
        alone = np.vstack([small.run(None, {"ids": ids[i:i + 1]})[0] for i in range(5)])
        assert np.allclose(out, alone, atol=1e-5)
