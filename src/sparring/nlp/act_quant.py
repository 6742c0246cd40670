"""Shrinking the exported act model to the package budget without making a line depend on its batch
(development time only: needs the ``[train]`` extra's ``onnx``).

**Weight-only int8.** Every constant MatMul weight is stored as int8, symmetric, with one fp32 scale per block
of ``BLOCK_SIZE`` rows of each output column, and read through a standard ``DequantizeLinear`` (opset 21
blocked quantisation); the word embedding table becomes an int8 table with one fp32 scale per row (a Gather of
the rows and of their scales, a Cast and a Mul). Activations stay float, so nothing is scaled per call: a
line's probabilities are the same alone and in any batch (up to float summation order). At run time
onnxruntime runs the blocked weights as MatMulNBits with int8 arithmetic on per-row activation blocks (still
batch-independent); ``session.disable_quant_qdq=1`` would instead fold them to fp32 at load — 0.2 points closer to
fp32, twice as slow per line (docs/acts.md).

The dynamic int8 model shipped first quantised its activations with one scale over the whole input tensor, so a
line's probabilities moved by up to 0.17 with its batch neighbours and the runtime had to read one line per call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: block of the 8-bit MatMul weights along their input dimension (one fp32 scale per block)
BLOCK_SIZE = 32
WORD_EMBEDDINGS = "net.encoder.embeddings.word_embeddings.weight"


def quantise(src: Path, dst: Path, block_size: int = BLOCK_SIZE) -> None:
    """Write ``src`` (fp32 ONNX) as the weight-only int8 model ``dst``."""
    import onnx

    model = onnx.load(str(src))
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, 21)  # blocked DequantizeLinear
    _int8_matmul_weights(model, block_size)
    _int8_embeddings(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def _int8_matmul_weights(model: Any, block_size: int) -> None:
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    for node in list(graph.node):
        init = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if init is None or len(init.dims) != 2 or init.dims[0] % block_size:
            continue
        q, scale = quantise_blocks(numpy_helper.to_array(init).astype(np.float32), block_size)
        name = init.name
        graph.initializer.remove(init)
        del inits[name]
        graph.initializer.extend([numpy_helper.from_array(q, name + "_q8"),
                                  numpy_helper.from_array(scale, name + "_scale")])
        at = list(graph.node).index(node)
        graph.node.insert(at, helper.make_node("DequantizeLinear", [name + "_q8", name + "_scale"], [name],
                                               name=name + "_dq", axis=0, block_size=block_size))


def quantise_blocks(weight: np.ndarray, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 ``weight`` (K, N) with one scale per block of ``block_size`` rows of each column:
    ``weight ≈ q * repeat(scale, block_size, axis=0)``, ``scale`` of shape (K / block_size, N)."""
    k, n = weight.shape
    blocks = weight.reshape(k // block_size, block_size, n)
    scale = np.abs(blocks).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(blocks / scale[:, None, :]), -127, 127).astype(np.int8).reshape(k, n)
    return q, scale.astype(np.float32)


def _int8_embeddings(model: Any) -> None:
    """Replace the word-embedding Gather by an int8 table with one symmetric scale per row."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    init = next((i for i in graph.initializer if i.name == WORD_EMBEDDINGS), None)
    if init is None:
        raise ValueError(f"the exported model has no initializer {WORD_EMBEDDINGS!r}")
    table = numpy_helper.to_array(init).astype(np.float32)
    q, scale = quantise_rows(table)
    at = next(k for k, n in enumerate(graph.node) if n.op_type == "Gather" and n.input[0] == WORD_EMBEDDINGS)
    node = graph.node[at]
    ids, out = node.input[1], node.output[0]
    graph.initializer.remove(init)
    graph.initializer.extend([numpy_helper.from_array(q, WORD_EMBEDDINGS + "_q8"),
                              numpy_helper.from_array(scale, WORD_EMBEDDINGS + "_scale")])
    new = [helper.make_node("Gather", [WORD_EMBEDDINGS + "_q8", ids], [out + "_q8"], name="emb_q8_gather", axis=0),
           helper.make_node("Gather", [WORD_EMBEDDINGS + "_scale", ids], [out + "_scale"], name="emb_scale_gather",
                            axis=0),
           helper.make_node("Cast", [out + "_q8"], [out + "_f"], name="emb_cast", to=TensorProto.FLOAT),
           helper.make_node("Mul", [out + "_f", out + "_scale"], [out], name="emb_dequant")]
    graph.node.remove(node)
    for k, n in enumerate(new):
        graph.node.insert(at + k, n)


def quantise_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 rows: ``table ≈ q * scale`` with ``scale`` of shape (rows, 1)."""
    scale = np.abs(table).max(axis=1, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(table / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)
