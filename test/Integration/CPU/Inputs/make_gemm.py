# SPDX-License-Identifier: Apache-2.0
"""Writes a one-MatMul ONNX model gemm.onnx ([M, K] x constant [K, N]), its
weight, an input and calibration data into OUT. Usage: make_gemm.py OUT M K N
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, m, k, n = sys.argv[1], *map(int, sys.argv[2:5])
rng = np.random.default_rng(m * 1000 + n)
w = (rng.standard_normal((k, n)) * 0.05).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["y"], name="matmul")], "gemm",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
    [numpy_helper.from_array(w, "W")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "gemm.onnx"))
np.save(os.path.join(out, "weight.npy"), w)
x = rng.standard_normal((4, m, k)).astype(np.float32)
np.savez(os.path.join(out, "calib.npz"), x=x)
np.savez(os.path.join(out, "input.npz"), x=x[0])
