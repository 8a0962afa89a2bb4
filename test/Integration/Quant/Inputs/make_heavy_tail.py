#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A linear layer y = x W fed with heavy-tailed (Laplace) activations: writes
DIR/linear.onnx, calibration feeds DIR/calib.npz (256 feeds of [16, 64]) and
a held-out feed DIR/test.npz ([256, 64]) drawn from the same distribution."""

import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(3)
w = (rng.standard_normal((64, 32)) * 0.1).astype(np.float32)
g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["y"], name="fc")],
                 "heavy", [h.make_tensor_value_info("x", T.FLOAT, ["n", 64])],
                 [h.make_tensor_value_info("y", T.FLOAT, ["n", 32])],
                 initializer=[nh.from_array(w, "w")])
open(f"{out}/linear.onnx", "wb").write(
    h.make_model(g, opset_imports=[h.make_opsetid("", 13)]).SerializeToString())
np.savez(f"{out}/calib.npz",
         x=rng.laplace(0, 1, (256, 16, 64)).astype(np.float32))
np.savez(f"{out}/test.npz", x=rng.laplace(0, 1, (256, 64)).astype(np.float32))
