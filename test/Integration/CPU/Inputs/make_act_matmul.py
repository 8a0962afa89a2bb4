#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes ONNX models multiplying two runtime int8 tensors (attention's
Q K^T and P V shape class) and their inputs, for the runtime-packed int8
matmul:

  matmulinteger.onnx  MatMulInteger(a u8 [2, 3, 9, 32], b u8 [2, 3, 32, 48],
                      a_zp = 3, b_zp = 131) -> i32
  matmulinteger_s8.onnx  the same with a s8 (zp -5) and b s8 (zp 7)
  qlinear.onnx        QLinearMatMul of u8 [3, 17, 64] x s8 [3, 64, 32] -> u8

  make_act_matmul.py OUT_DIR

inputs.npz / inputs_s8.npz / inputs_q.npz hold the feeds; ref*.npy the
exact numpy results.
"""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def model(name, nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    for tag, dt, onnx_dt, zps in (("", np.uint8, TensorProto.UINT8, (3, 131)),
                                  ("_s8", np.int8, TensorProto.INT8, (-5, 7))):
        info = np.iinfo(dt)
        a = rng.integers(info.min, info.max + 1, (2, 3, 9, 32)).astype(dt)
        b = rng.integers(info.min, info.max + 1, (2, 3, 32, 48)).astype(dt)
        za = numpy_helper.from_array(np.array(zps[0], dt), "za")
        zb = numpy_helper.from_array(np.array(zps[1], dt), "zb")
        node = helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])
        m = model("mmi", [node],
                  [helper.make_tensor_value_info("a", onnx_dt, a.shape),
                   helper.make_tensor_value_info("b", onnx_dt, b.shape)],
                  [helper.make_tensor_value_info("y", TensorProto.INT32,
                                                 (2, 3, 9, 48))], [za, zb])
        save(m, os.path.join(out, f"matmulinteger{tag}.onnx"))
        np.savez(os.path.join(out, f"inputs{tag}.npz"), a=a, b=b)
        ref = (a.astype(np.int64) - zps[0]) @ (b.astype(np.int64) - zps[1])
        np.save(os.path.join(out, f"ref{tag}.npy"), ref.astype(np.int32))

    # QLinearMatMul: u8 x s8 -> u8, requantized (round half to even).
    a = rng.integers(0, 256, (3, 17, 64)).astype(np.uint8)
    b = rng.integers(-128, 128, (3, 64, 32)).astype(np.int8)
    sa, za, sb, zb, sy, zy = 0.02, 120, 0.01, -3, 0.9, 100
    inits = [numpy_helper.from_array(np.array(v, t), n) for n, v, t in (
        ("sa", sa, np.float32), ("za", za, np.uint8), ("sb", sb, np.float32),
        ("zb", zb, np.int8), ("sy", sy, np.float32), ("zy", zy, np.uint8))]
    node = helper.make_node("QLinearMatMul",
                            ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"],
                            ["y"])
    m = model("qlm", [node],
              [helper.make_tensor_value_info("a", TensorProto.UINT8, a.shape),
               helper.make_tensor_value_info("b", TensorProto.INT8, b.shape)],
              [helper.make_tensor_value_info("y", TensorProto.UINT8,
                                             (3, 17, 32))], inits)
    save(m, os.path.join(out, "qlinear.onnx"))
    np.savez(os.path.join(out, "inputs_q.npz"), a=a, b=b)
    acc = (a.astype(np.int64) - za) @ (b.astype(np.int64) - zb)
    scale = np.float32(np.float32(sa) * np.float32(sb) / np.float32(sy))
    y = np.rint(acc.astype(np.float32) * scale) + zy
    np.save(os.path.join(out, "ref_q.npy"), np.clip(y, 0, 255).astype(np.uint8))


if __name__ == "__main__":
    main()
