#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes ONNX models for the packed int8 convolution (constant symmetric
int8 weights, channels-last patches) and their inputs:

  convinteger.onnx     ConvInteger u8 [2, 5, 7, 6] (zp 3) x i8 [8, 5, 3, 3],
                       pads 1 -> i32; reference ref.npy (exact numpy)
  convinteger_s2.onnx  the same with strides (2, 1), dilations (1, 2), no
                       pads; reference ref_s2.npy
  chain.onnx           QLinearConv -> QLinearConv (u8 activations, per-
                       channel i8 weights, i32 bias), y2 from x
  first.onnx           the first QLinearConv alone, y1 from x
  second.onnx          the second alone, y2 from y1

  make_conv_int8.py OUT_DIR
"""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def model(nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def conv_ref(x, w, zp, pads, strides, dilations):
    x = x.astype(np.int64) - zp
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = (h - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    y = np.zeros((n, o, oh, ow), np.int64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i * dilations[0]::strides[0],
                      j * dilations[1]::strides[1]][:, :, :oh, :ow]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j].astype(np.int64))
    return y.astype(np.int32)


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (2, 5, 7, 6)).astype(np.uint8)
    w = rng.integers(-127, 128, (8, 5, 3, 3)).astype(np.int8)
    np.savez(os.path.join(out, "x.npz"), x=x)
    for tag, pads, strides, dil in (("", [1, 1, 1, 1], [1, 1], [1, 1]),
                                    ("_s2", [0, 0, 0, 0], [2, 1], [1, 2])):
        inits = [numpy_helper.from_array(w, "w"),
                 numpy_helper.from_array(np.array(3, np.uint8), "xz")]
        node = helper.make_node("ConvInteger", ["x", "w", "xz"], ["y"],
                                pads=pads, strides=strides, dilations=dil)
        ref = conv_ref(x, w, 3, pads, strides, dil)
        save(model([node],
                   [helper.make_tensor_value_info("x", TensorProto.UINT8, x.shape)],
                   [helper.make_tensor_value_info("y", TensorProto.INT32, ref.shape)],
                   inits), os.path.join(out, f"convinteger{tag}.onnx"))
        np.save(os.path.join(out, f"ref{tag}.npy"), ref)

    # Two chained QLinearConvs: 3 -> 16 -> 16 channels on 6x6, pads 1.
    xq = rng.integers(0, 256, (2, 3, 6, 6)).astype(np.uint8)
    np.savez(os.path.join(out, "xq.npz"), x=xq)
    inits, nodes = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def qconv(i, src, dst, cin):
        wq = rng.integers(-127, 128, (16, cin, 3, 3)).astype(np.int8)
        ws = (rng.random(16) * 0.01 + 0.001).astype(np.float32)
        b = rng.integers(-2000, 2000, 16).astype(np.int32)
        args = [src, const(f"s{i}", np.float32(0.05)), const(f"z{i}", np.uint8(7 + i)),
                const(f"w{i}", wq), const(f"ws{i}", ws),
                const(f"wz{i}", np.zeros(16, np.int8)),
                const(f"ys{i}", np.float32(0.05)), const(f"yz{i}", np.uint8(7 + i + 1)),
                const(f"b{i}", b)]
        return helper.make_node("QLinearConv", args, [dst], pads=[1, 1, 1, 1])

    n1, n2 = qconv(0, "x", "y1", 3), qconv(1, "y1", "y2", 16)
    vi = lambda name: helper.make_tensor_value_info(name, TensorProto.UINT8,
                                                    (2, 16 if name != "x" else 3, 6, 6))
    save(model([n1, n2], [vi("x")], [vi("y2")], inits),
         os.path.join(out, "chain.onnx"))
    first_inits = [t for t in inits if t.name.endswith("0")]
    save(model([n1], [vi("x")], [vi("y1")], first_inits),
         os.path.join(out, "first.onnx"))
    second_inits = [t for t in inits if t.name.endswith("1")]
    save(model([n2], [vi("y1")], [vi("y2")], second_inits),
         os.path.join(out, "second.onnx"))


if __name__ == "__main__":
    main()
