#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a float model whose pooling reads a transposed tensor, for the
transpose folding of qc-fuse-elementwise and the window-reduction order of
qc-reorder-reduction-loops:

  transpose_pool.onnx  x [2, 6, 6, 8] (channels last)
                         -> Transpose(0, 3, 1, 2) -> MaxPool 2x2 stride 2
                         -> Transpose(0, 2, 3, 1) -> y1 [2, 3, 3, 8]
                       x -> Transpose(0, 3, 1, 2) -> Relu
                         -> GlobalAveragePool -> y2 [2, 8, 1, 1]

  make_transpose_pool.py OUT_DIR

x.npz holds the feed; ref_y1.npy / ref_y2.npy the numpy results (y2 in
float64, then rounded to float32).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def main():
    out = sys.argv[1]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6, 6, 8])
    y1 = helper.make_tensor_value_info("y1", TensorProto.FLOAT, [2, 3, 3, 8])
    y2 = helper.make_tensor_value_info("y2", TensorProto.FLOAT, [2, 8, 1, 1])
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2]),
        helper.make_node("MaxPool", ["xt"], ["p"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Transpose", ["p"], ["y1"], perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["x"], ["xt2"], perm=[0, 3, 1, 2]),
        helper.make_node("Relu", ["xt2"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["y2"]),
    ]
    graph = helper.make_graph(nodes, "transpose_pool", [x], [y1, y2])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(out, "transpose_pool.onnx"))

    rng = np.random.default_rng(7)
    xv = rng.standard_normal((2, 6, 6, 8)).astype(np.float32)
    np.savez(os.path.join(out, "x.npz"), x=xv)
    # Max pooling on the channels-last data directly: [n, h, w, c] windows.
    pooled = xv.reshape(2, 3, 2, 3, 2, 8).max(axis=(2, 4))
    np.save(os.path.join(out, "ref_y1.npy"), pooled)
    mean = np.maximum(xv.astype(np.float64), 0).mean(axis=(1, 2))
    np.save(os.path.join(out, "ref_y2.npy"),
            mean.astype(np.float32).reshape(2, 8, 1, 1))


if __name__ == "__main__":
    main()
