#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks QDQ models written by `qc-compile --emit=onnx` against their float
originals, independently of qc:

  - onnx.checker (full check, with type inference) accepts them;
  - every weight DequantizeLinear holds what per-output-channel symmetric
    int8 quantization of the original initializer gives in numpy: scale
    s_c = max|W_c| / 127 (in f64, stored as f32), codes rne(W / s_c) on the
    output-channel axis of the ONNX layout (MatMul [K, N]: 1, Gemm transB=1
    [N, K]: 0, Conv [O, I, k..]: 0, ConvTranspose [I, O, k..]: 1);
  - a graph input's QuantizeLinear has onnxruntime's asymmetric u8 scale
    and zero point of the calibration data's min/max;
  - every node except the added Q/DQ nodes is the original node (same op,
    attributes and inputs up to the renamed, quantized ones).

    check_export.py DIR MODEL...     (DIR/MODEL.onnx vs DIR/MODEL.qdq.onnx)

Prints the QDQ graph and one line per checked tensor; exits 1 on a mismatch.
"""

import sys

import numpy as np
import onnx
from onnx import numpy_helper as nh

CHANNEL_AXIS = {"MatMul": -1, "Gemm": None, "Conv": 0, "ConvTranspose": 1}


def attr(node, name, default):
    return next((onnx.helper.get_attribute_value(a) for a in node.attribute
                 if a.name == name), default)


def check(d, name):
    fmodel = onnx.load(f"{d}/{name}.onnx")
    qmodel = onnx.load(f"{d}/{name}.qdq.onnx")
    onnx.checker.check_model(qmodel, full_check=True)
    print(onnx.helper.printable_graph(qmodel.graph))
    finit = {t.name: nh.to_array(t) for t in fmodel.graph.initializer}
    qinit = {t.name: nh.to_array(t) for t in qmodel.graph.initializer}
    fvalues = dict(finit)
    # Values of constant subgraphs (a Transpose of an initializer).
    for n in fmodel.graph.node:
        if n.op_type == "Transpose" and n.input[0] in fvalues:
            fvalues[n.output[0]] = np.transpose(fvalues[n.input[0]],
                                                attr(n, "perm", None))
    producers = {o: n for n in qmodel.graph.node for o in n.output}
    fnodes = {n.name: n for n in fmodel.graph.node}
    ok = True
    added = {"QuantizeLinear", "DequantizeLinear"}
    calib = np.load(f"{d}/{name}_calib.npz")
    for qn in qmodel.graph.node:
        if qn.op_type in added and qn.name not in fnodes:
            continue
        fn = fnodes.get(qn.name)
        if fn is None or fn.op_type != qn.op_type or \
                list(fn.attribute) != list(qn.attribute):
            print(f"FAIL {name}: node {qn.name} is not the original")
            ok = False
            continue
        for i, (fi, qi) in enumerate(zip(fn.input, qn.input)):
            if fi == qi:
                continue
            dq = producers.get(qi)
            if dq is None or dq.op_type != "DequantizeLinear":
                print(f"FAIL {name}: {qn.name} input {i} '{qi}' is not a DQ")
                ok = False
                continue
            scale = qinit[dq.input[1]]
            zp = qinit[dq.input[2]]
            if dq.input[0] in qinit:
                # A weight: recompute it from the float original.
                w = fvalues[fi].astype(np.float32)
                axis = CHANNEL_AXIS[qn.op_type]
                if axis is None:
                    axis = 0 if attr(qn, "transB", 0) else 1
                axis %= w.ndim
                moved = np.moveaxis(np.abs(w), axis, 0).reshape(w.shape[axis], -1)
                s = (moved.max(1).astype(np.float64) / 127).astype(np.float32)
                shape = [1] * w.ndim
                shape[axis] = -1
                codes = np.clip(np.rint(w / s.reshape(shape)), -127, 127)
                got = qinit[dq.input[0]]
                good = (attr(dq, "axis", 1) == axis and got.dtype == np.int8
                        and np.array_equal(scale, s) and not zp.any()
                        and np.array_equal(got, codes.astype(np.int8)))
                print(f"{name}: {qn.name} weight '{fi}' {list(w.shape)} "
                      f"axis {axis}: {'ok' if good else 'MISMATCH'}")
                ok &= good
                continue
            q = producers.get(dq.input[0])
            src = q.input[0] if q is not None and q.op_type == "QuantizeLinear" else None
            if src != fi:
                print(f"FAIL {name}: {qn.name} input {i}: DQ does not "
                      f"dequantize Q({fi})")
                ok = False
                continue
            if fi in calib.files:
                # A model input: onnxruntime's compute_scale_zp on the data.
                x = calib[fi].astype(np.float64)
                lo, hi = min(x.min(), 0.0), max(x.max(), 0.0)
                s = np.float32((hi - lo) / 255)
                z = np.clip(np.rint(0 - lo / np.float64(s)), 0, 255)
                good = scale == s and zp.dtype == np.uint8 and zp == z
                print(f"{name}: {qn.name} activation '{fi}' u8 scale {scale} "
                      f"zero point {zp}: {'ok' if good else 'MISMATCH'} "
                      f"(numpy {s} {z})")
                ok &= bool(good)
            else:
                print(f"{name}: {qn.name} activation '{fi}' u8 scale {scale} "
                      f"zero point {zp}")
    return ok


def main():
    d = sys.argv[1]
    ok = all([check(d, name) for name in sys.argv[2:]])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
