#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Small float models for QDQ export tests, with calibration data and a
held-out feed each (DIR/<model>.onnx, <model>_calib.npz, <model>_test.npz).

  gemm:   x -> Gemm(transB=1, bias) -> Relu -> MatMul; x also feeds a
          Gemm(transB=0): one activation read by two quantized nodes
  conv:   Conv (group 1), ConvTranspose (group 1), Conv (group 2)
  attn:   q = x Wq, k = x Wk, s = q k^T (two activations), s Wo
  tied:   an embedding table used by a Gather and (transposed) by a MatMul
  lstm:   an LSTM (its gate matmuls are quantized inside a loop)
  convt2: ConvTranspose with group 2 (no per-axis QDQ form)
  opset11: gemm at opset 11 (no per-axis DequantizeLinear)
"""

import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(7)


def w(*shape, scale=0.3):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def save(name, nodes, inputs, outputs, inits, feeds, opset=13):
    g = h.make_graph(nodes, name, inputs, outputs,
                     initializer=[nh.from_array(v, k) for k, v in inits.items()])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    open(f"{out}/{name}.onnx", "wb").write(m.SerializeToString())
    calib = {k: f(32) for k, f in feeds.items()}
    test = {k: f(1)[0] for k, f in feeds.items()}
    np.savez(f"{out}/{name}_calib.npz", **calib)
    np.savez(f"{out}/{name}_test.npz", **test)


def normal(*shape):
    return lambda n: rng.standard_normal((n,) + shape).astype(np.float32)


# gemm
gemm_nodes = [
    h.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
    h.make_node("Relu", ["h"], ["r"], name="relu"),
    h.make_node("MatMul", ["r", "w2"], ["y"], name="fc2"),
    h.make_node("Gemm", ["x", "w3", "b3"], ["z"], name="side", transB=0,
                alpha=0.5),
]
gemm_inits = {"w1": w(24, 16), "b1": w(24), "w2": w(24, 6), "w3": w(16, 5),
              "b3": w(5)}
save("gemm", gemm_nodes,
     [h.make_tensor_value_info("x", T.FLOAT, [4, 16])],
     [h.make_tensor_value_info("y", T.FLOAT, [4, 6]),
      h.make_tensor_value_info("z", T.FLOAT, [4, 5])],
     gemm_inits, {"x": normal(4, 16)})
save("opset11", gemm_nodes,
     [h.make_tensor_value_info("x", T.FLOAT, [4, 16])],
     [h.make_tensor_value_info("y", T.FLOAT, [4, 6]),
      h.make_tensor_value_info("z", T.FLOAT, [4, 5])],
     gemm_inits, {"x": normal(4, 16)}, opset=11)

# conv
save("conv", [
    h.make_node("Conv", ["x", "cw1", "cb1"], ["c1"], name="conv1",
                pads=[1, 1, 1, 1]),
    h.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    h.make_node("ConvTranspose", ["r1", "tw", "tb"], ["t"], name="deconv",
                strides=[2, 2], pads=[1, 1, 1, 1]),
    h.make_node("Relu", ["t"], ["r2"], name="relu2"),
    h.make_node("Conv", ["r2", "cw2"], ["y"], name="conv2", group=2),
], [h.make_tensor_value_info("x", T.FLOAT, [1, 3, 6, 6])],
   [h.make_tensor_value_info("y", T.FLOAT, [1, 4, 9, 9])],
   {"cw1": w(8, 3, 3, 3), "cb1": w(8), "tw": w(8, 6, 3, 3), "tb": w(6),
    "cw2": w(4, 3, 3, 3)},
   {"x": normal(1, 3, 6, 6)})

# attn
save("attn", [
    h.make_node("MatMul", ["x", "wq"], ["q"], name="q_proj"),
    h.make_node("MatMul", ["x", "wk"], ["k"], name="k_proj"),
    h.make_node("Transpose", ["k"], ["kt"], name="k_t", perm=[1, 0]),
    h.make_node("MatMul", ["q", "kt"], ["s"], name="scores"),
    h.make_node("Softmax", ["s"], ["p"], name="softmax", axis=1),
    h.make_node("MatMul", ["p", "x"], ["o"], name="mix"),
    h.make_node("MatMul", ["o", "wo"], ["y"], name="out_proj"),
], [h.make_tensor_value_info("x", T.FLOAT, [6, 8])],
   [h.make_tensor_value_info("y", T.FLOAT, [6, 8])],
   {"wq": w(8, 8), "wk": w(8, 8), "wo": w(8, 8)},
   {"x": normal(6, 8)})

# tied embedding: Gather(table) and MatMul(h, table^T)
save("tied", [
    h.make_node("Gather", ["table", "tokens"], ["e"], name="embed"),
    h.make_node("Transpose", ["table"], ["table_t"], name="untie",
                perm=[1, 0]),
    h.make_node("MatMul", ["e", "table_t"], ["y"], name="head"),
], [h.make_tensor_value_info("tokens", T.INT64, [5])],
   [h.make_tensor_value_info("y", T.FLOAT, [5, 12])],
   {"table": w(12, 8)},
   {"tokens": lambda n: rng.integers(0, 12, (n, 5)).astype(np.int64)})

# lstm
save("lstm", [
    h.make_node("LSTM", ["x", "lw", "lr"], ["ys"], name="lstm",
                hidden_size=4),
], [h.make_tensor_value_info("x", T.FLOAT, [3, 1, 5])],
   [h.make_tensor_value_info("ys", T.FLOAT, [3, 1, 1, 4])],
   {"lw": w(1, 16, 5), "lr": w(1, 16, 4)},
   {"x": normal(3, 1, 5)})

# ConvTranspose with groups
save("convt2", [
    h.make_node("ConvTranspose", ["x", "tw"], ["y"], name="deconv_g2",
                group=2),
], [h.make_tensor_value_info("x", T.FLOAT, [1, 4, 3, 3])],
   [h.make_tensor_value_info("y", T.FLOAT, [1, 6, 5, 5])],
   {"tw": w(4, 3, 3, 3)},
   {"x": normal(1, 4, 3, 3)})
