#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes DIR/mlp.onnx (64 -> 128 ReLU -> 10, dynamic batch), calibration
data DIR/calib.npz (32 samples of shape [1, 64]) and a test feed
DIR/test.npz ([8, 64]), plus bad calibration files for error tests."""

import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(0)
w1 = (rng.standard_normal((64, 128)) * 0.1).astype(np.float32)
b1 = (rng.standard_normal(128) * 0.1).astype(np.float32)
w2 = (rng.standard_normal((128, 10)) * 0.1).astype(np.float32)
g = h.make_graph(
    [h.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
     h.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
     h.make_node("Relu", ["hb"], ["r"], name="relu1"),
     h.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")], "mlp",
    [h.make_tensor_value_info("x", T.FLOAT, ["batch", 64])],
    [h.make_tensor_value_info("y", T.FLOAT, ["batch", 10])],
    initializer=[nh.from_array(w1, "w1"), nh.from_array(b1, "b1"),
                 nh.from_array(w2, "w2")])
m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
open(f"{out}/mlp.onnx", "wb").write(m.SerializeToString())
calib = rng.standard_normal((32, 1, 64)).astype(np.float32)
np.savez(f"{out}/calib.npz", x=calib)
np.savez(f"{out}/test.npz", x=rng.standard_normal((8, 64)).astype(np.float32))
# Bad calibration data.
np.savez(f"{out}/wrong_name.npz", y=calib)
np.savez(f"{out}/missing.npz")
nan = calib.copy()
nan[3, 0, 5] = np.nan
nan[7, 0, 1] = np.inf
np.savez(f"{out}/some_nan.npz", x=nan)
np.savez(f"{out}/all_nan.npz", x=np.full((4, 1, 64), np.nan, np.float32))
np.savez(f"{out}/float64.npz", x=calib.astype(np.float64))
np.savez(f"{out}/bad_shape.npz", x=rng.standard_normal((4, 1, 63)).astype(np.float32))
