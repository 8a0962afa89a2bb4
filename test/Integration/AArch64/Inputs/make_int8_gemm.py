#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an int8 GEMM with a constant weight for the AArch64 kernel tests:

  gemm.onnx  MatMulInteger(a u8 [7, 2056] (zp 3), w s8 [2056, 40] (zp 0,
             an initializer)) -> i32 [7, 40]

K = 2056 is 257 packed k-steps of 8 (three kc slices of 128, the last one
step long), M = 7 is a 4-row block, a 2-row pair and an odd row, N = 40 is
two full column tiles and a padded one. a.bin holds the input's bytes and
ref.npy the exact numpy product.

  make_int8_gemm.py OUT_DIR
"""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    m, k, n, za = 7, 2056, 40, 3
    a = rng.integers(0, 256, (m, k)).astype(np.uint8)
    w = rng.integers(-128, 128, (k, n)).astype(np.int8)
    # Extreme codes, where a wrong signedness would show.
    a[0, :64] = 255
    w[:64, 0] = -128
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.array(za, np.uint8), "za"),
             numpy_helper.from_array(np.array(0, np.int8), "zw")]
    node = helper.make_node("MatMulInteger", ["a", "w", "za", "zw"], ["y"])
    graph = helper.make_graph(
        [node], "gemm",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, (m, k))],
        [helper.make_tensor_value_info("y", TensorProto.INT32, (m, n))],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, os.path.join(out, "gemm.onnx"))
    a.tofile(os.path.join(out, "a.bin"))
    ref = (a.astype(np.int64) - za) @ w.astype(np.int64)
    np.save(os.path.join(out, "ref.npy"), ref.astype(np.int32))


if __name__ == "__main__":
    main()
