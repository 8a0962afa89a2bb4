#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes MODEL.onnx: y = x @ w with w [64, 64] float32 stored as external
data at LOCATION (relative to the model's folder, or absolute). The weights
are also saved as w.npy next to the model. --truncate cuts the data file
short."""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

model_path, location = sys.argv[1], sys.argv[2]
truncate = "--truncate" in sys.argv
folder = os.path.dirname(model_path)
w = np.random.default_rng(3).standard_normal((64, 64)).astype(np.float32)
np.save(os.path.join(folder, "w.npy"), w)

tensor = numpy_helper.from_array(w, "w")
data = tensor.raw_data
tensor.ClearField("raw_data")
tensor.data_location = TensorProto.EXTERNAL
for key, value in (("location", location), ("offset", "0"),
                   ("length", str(len(data)))):
    entry = tensor.external_data.add()
    entry.key, entry.value = key, value
data_path = location if os.path.isabs(location) else os.path.join(folder, location)
os.makedirs(os.path.dirname(os.path.abspath(data_path)), exist_ok=True)
with open(data_path, "wb") as f:
    f.write(data[:100] if truncate else data)
if truncate:
    for entry in tensor.external_data:
        if entry.key == "length":
            entry.value = "100"

graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "ext",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
    initializer=[tensor])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
with open(model_path, "wb") as f:
    f.write(model.SerializeToString())
