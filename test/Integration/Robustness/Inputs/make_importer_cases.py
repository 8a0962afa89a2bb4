#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes DIR/<case>.onnx for importer-regressions.test: models that once
crashed qc-compile (found by fuzz/onnx_import_fuzzer) and a Concat of many
inputs (once super-linear to compile), with DIR/concat.npz feeding it."""

import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    with open(f"{out}/{name}.onnx", "wb") as f:
        f.write(m.SerializeToString())


def i64(name, values):
    return nh.from_array(np.array(values, np.int64), name)


x = h.make_tensor_value_info("x", T.FLOAT, [2, 3])
y = h.make_tensor_value_info("y", T.FLOAT, None)
# Gather reads 'emb', which nothing defines: libonnx's shape inference
# dereferenced NULL on it.
save("undefined_input", [h.make_node("Gather", ["emb", "i"], ["y"])],
     [h.make_tensor_value_info("i", T.INT64, [2])], [y])
# Opset 6 (so the version converter runs) and the graph output is never
# computed: libonnx's IR builder dereferenced NULL.
save("converter_output", [h.make_node("Relu", ["x"], ["r"])], [x], [y],
     opset=6)
# Reshape's shape product overflowed int64.
save("reshape_overflow", [h.make_node("Reshape", ["x", "s"], ["y"])], [x],
     [y], [i64("s", [-1, 15, (1 << 63) - 1])])
# 2^80 elements from a 16-byte shape.
save("huge_constant", [h.make_node("ConstantOfShape", ["s"], ["y"])], [], [y],
     [i64("s", [1 << 40, 1 << 40])])
# Concat of rank-0 tensors wrote out of bounds.
save("concat_scalars", [h.make_node("Concat", ["a", "a"], ["y"], axis=0)],
     [h.make_tensor_value_info("a", T.FLOAT, [])], [y])
# The graph output is declared int64 but Relu computes float.
save("output_dtype", [h.make_node("Relu", ["x"], ["y"])], [x],
     [h.make_tensor_value_info("y", T.INT64, [2, 3])])
# 40 inputs of different lengths (79 columns in all): built as a tree of
# concatenations.
ins = [h.make_tensor_value_info(f"c{i}", T.FLOAT, [2, 1 + i % 3])
       for i in range(40)]
save("concat40", [h.make_node("Concat", [f"c{i}" for i in range(40)], ["y"],
                              axis=1)], ins,
     [h.make_tensor_value_info("y", T.FLOAT, [2, 79])])
rng = np.random.default_rng(0)
np.savez(f"{out}/concat.npz", **{f"c{i}": rng.standard_normal(
    (2, 1 + i % 3)).astype(np.float32) for i in range(40)})
# 3000 inputs: took minutes in one-shot bufferization as a flat chain.
save("concat3000", [h.make_node("Concat", ["x"] * 3000, ["y"], axis=0)], [x],
     [h.make_tensor_value_info("y", T.FLOAT, [6000, 3])])
