#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a BERT-style transformer encoder as ONNX (opset 17) with random
weights, for speed benchmarks: x [1, S, D] -> y [1, S, D], pre-LayerNorm
blocks of multi-head self-attention and a GELU MLP.

  make_encoder.py OUT.onnx [--layers 7] [--width 512] [--heads 8] [--seq 128]

7 layers of width 512 (MLP 4x) hold 22M parameters.
"""

import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--layers", type=int, default=7)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    args = p.parse_args()
    d, h, s = args.width, args.heads, args.seq
    dh = d // h
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    count = [0]

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        count[0] += np.asarray(value).size
        return name

    def weight(name, shape):
        return const(name, (rng.standard_normal(shape) /
                            np.sqrt(shape[0])).astype(np.float32))

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    shape_heads = const("shape_heads", np.array([1, s, h, dh], np.int64))
    shape_model = const("shape_model", np.array([1, s, d], np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(dh), np.float32))
    half = const("half", np.array(0.5, np.float32))
    one = const("one", np.array(1.0, np.float32))
    rsqrt2 = const("rsqrt2", np.array(1.0 / np.sqrt(2.0), np.float32))
    x = "x"
    for l in range(args.layers):
        p_ = f"l{l}_"
        g1 = const(p_ + "ln1_g", np.ones(d, np.float32))
        b1 = const(p_ + "ln1_b", np.zeros(d, np.float32))
        n1 = node("LayerNormalization", [x, g1, b1], p_ + "ln1", axis=-1)
        heads = {}
        for part in "qkv":
            proj = node("MatMul", [n1, weight(p_ + "w" + part, (d, d))],
                        p_ + part)
            proj = node("Add", [proj, const(p_ + "b" + part,
                                            np.zeros(d, np.float32))],
                        p_ + part + "_bias")
            r = node("Reshape", [proj, shape_heads], p_ + part + "_heads")
            perm = [0, 2, 3, 1] if part == "k" else [0, 2, 1, 3]
            heads[part] = node("Transpose", [r], p_ + part + "_t", perm=perm)
        scores = node("MatMul", [heads["q"], heads["k"]], p_ + "scores")
        scores = node("Mul", [scores, scale], p_ + "scaled")
        probs = node("Softmax", [scores], p_ + "probs", axis=-1)
        ctx = node("MatMul", [probs, heads["v"]], p_ + "ctx")
        ctx = node("Transpose", [ctx], p_ + "ctx_t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, shape_model], p_ + "ctx_r")
        o = node("MatMul", [ctx, weight(p_ + "wo", (d, d))], p_ + "o")
        x = node("Add", [x, o], p_ + "res1")
        g2 = const(p_ + "ln2_g", np.ones(d, np.float32))
        b2 = const(p_ + "ln2_b", np.zeros(d, np.float32))
        n2 = node("LayerNormalization", [x, g2, b2], p_ + "ln2", axis=-1)
        up = node("MatMul", [n2, weight(p_ + "w1", (d, 4 * d))], p_ + "up")
        up = node("Add", [up, const(p_ + "b1", np.zeros(4 * d, np.float32))],
                  p_ + "up_bias")
        # GELU(x) = 0.5 x (1 + erf(x / sqrt 2))
        e = node("Erf", [node("Mul", [up, rsqrt2], p_ + "gelu_s")],
                 p_ + "gelu_erf")
        gelu = node("Mul", [node("Mul", [up, half], p_ + "gelu_h"),
                            node("Add", [e, one], p_ + "gelu_1")],
                    p_ + "gelu")
        down = node("MatMul", [gelu, weight(p_ + "w2", (4 * d, d))],
                    p_ + "down")
        x = node("Add", [x, down], p_ + "res2")
    nodes.append(helper.make_node("Identity", [x], ["y"], name="output"))
    graph = helper.make_graph(
        nodes, "encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, s, d])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, s, d])],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, args.out)
    print(f"{args.out}: {args.layers} layers, {count[0] / 1e6:.1f}M parameters")


if __name__ == "__main__":
    main()
