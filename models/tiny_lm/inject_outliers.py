#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an FP-equivalent copy of tiny_lm with activation-outlier channels.

Small models trained briefly lack the few huge activation channels of real
LLMs that make round-to-nearest weight quantization fail (and that AWQ and
SmoothQuant exist for). This script plants them without changing the
function (shared/reference/algorithms.md section 9e): for every
LayerNormalization whose output feeds MatMuls with constant weights, the
gamma and beta of 2 % of the channels (at least one; fixed seed) are
multiplied by FACTOR = 20 and the matching input rows of every consuming
MatMul weight B[K, N] are divided by FACTOR.

    inject_outliers.py IN.onnx OUT.onnx [--factor 20] [--fraction 0.02]
"""

import argparse
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--factor", type=float, default=20.0)
    ap.add_argument("--fraction", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    model = onnx.load(args.input)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    rng = np.random.default_rng(args.seed)
    values = {}

    def get(name):
        if name not in values:
            values[name] = numpy_helper.to_array(inits[name]).copy()
        return values[name]

    planted = 0
    for node in graph.node:
        if node.op_type != "LayerNormalization":
            continue
        users = consumers.get(node.output[0], [])
        matmuls = [u for u in users if u.op_type == "MatMul"
                   and u.input[0] == node.output[0] and u.input[1] in inits]
        if not matmuls or len(matmuls) != len(users):
            continue  # other readers would see the change
        gamma = get(node.input[1])
        k = gamma.shape[0]
        count = max(1, int(round(args.fraction * k)))
        channels = np.sort(rng.choice(k, count, replace=False))
        gamma[channels] *= args.factor
        if len(node.input) > 2 and node.input[2] in inits:
            get(node.input[2])[channels] *= args.factor
        for mm in matmuls:
            get(mm.input[1])[channels, :] /= args.factor
        planted += count
        print(f"{node.name}: channels {channels.tolist()} x{args.factor:g}")
    for name, value in values.items():
        inits[name].CopyFrom(numpy_helper.from_array(value, name))
    onnx.save(model, args.output)
    print(f"planted {planted} outlier channels -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
