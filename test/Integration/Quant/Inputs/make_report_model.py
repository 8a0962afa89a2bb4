#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A model with one compute node of each kind the quantization report
tells apart, and its calibration data (DIR/report.onnx, DIR/report_calib.npz):

  embed     Gather over a float table       float: embedding lookup
  fc        MatMul(e, w1 [16, 32])          int8
  keep_me   Gemm(h, w2 [32, 8], b2)         float: --keep-float
  dyn_conv  Conv(img, k) with k an input    float: non-constant weight

    make_report_model.py DIR
    make_report_model.py check DIR REPORT.json
        recomputes in numpy what the report says about `fc` (activation
        scale and zero point from the data's min/max, per-channel int8
        weights, SQNR of its output on the calibration data), the error of
        output y1, the exactness of y2, and the byte counts.
"""

import json
import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

N = 16


def make(out):
    rng = np.random.default_rng(3)
    table = rng.standard_normal((10, 16)).astype(np.float32)
    w1 = (rng.standard_normal((16, 32)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((32, 8)) * 0.3).astype(np.float32)
    b2 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    g = h.make_graph(
        [h.make_node("Gather", ["table", "tokens"], ["e"], name="embed"),
         h.make_node("MatMul", ["e", "w1"], ["h"], name="fc"),
         h.make_node("Gemm", ["h", "w2", "b2"], ["y1"], name="keep_me"),
         h.make_node("Conv", ["img", "k"], ["y2"], name="dyn_conv")],
        "report",
        [h.make_tensor_value_info("tokens", T.INT64, [4]),
         h.make_tensor_value_info("img", T.FLOAT, [1, 2, 4, 4]),
         h.make_tensor_value_info("k", T.FLOAT, [3, 2, 1, 1])],
        [h.make_tensor_value_info("y1", T.FLOAT, [4, 8]),
         h.make_tensor_value_info("y2", T.FLOAT, [1, 3, 4, 4])],
        initializer=[nh.from_array(table, "table"), nh.from_array(w1, "w1"),
                     nh.from_array(w2, "w2"), nh.from_array(b2, "b2")])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    open(f"{out}/report.onnx", "wb").write(m.SerializeToString())
    np.savez(f"{out}/report_calib.npz",
             tokens=rng.integers(0, 10, (N, 4)).astype(np.int64),
             img=rng.standard_normal((N, 1, 2, 4, 4)).astype(np.float32),
             k=rng.standard_normal((N, 3, 2, 1, 1)).astype(np.float32))
    np.savez(f"{out}/w.npz", table=table, w1=w1, w2=w2, b2=b2)


def sqnr(f, q):
    return 10 * np.log10((f ** 2).sum() / ((q - f) ** 2).sum())


def check(out, report_path):
    rep = json.load(open(report_path))
    w = np.load(f"{out}/w.npz")
    calib = np.load(f"{out}/report_calib.npz")
    layers = {l["node"]: l for l in rep["layers"]}
    ok = True

    def expect(what, cond):
        nonlocal ok
        print(f"{what}: {'ok' if cond else 'MISMATCH'}")
        ok &= bool(cond)

    # fc: u8 activation over the data's [min, max] (onnxruntime's rule).
    x = w["table"][calib["tokens"]].astype(np.float32)  # [N, 4, 16]
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    s = np.float32((hi - lo) / 255)
    zp = int(np.clip(np.rint(-lo / np.float64(s)), 0, 255))
    fc = layers["fc"]
    expect(f"fc activation scale {fc['activation']['scale']:.6g} zero point "
           f"{fc['activation']['zero_point']} (numpy {s:.6g} {zp})",
           np.float32(fc["activation"]["scale"]) == s and
           fc["activation"]["zero_point"] == zp)
    xd = ((np.clip(np.rint(x / s) + zp, 0, 255) - zp) * s).astype(np.float32)
    w1 = w["w1"]
    ws = (np.abs(w1).max(0).astype(np.float64) / 127).astype(np.float32)
    wd = (np.clip(np.rint(w1 / ws), -127, 127) * ws).astype(np.float32)
    f, q = x.astype(np.float64) @ w1, xd.astype(np.float64) @ wd
    ref = sqnr(f, q)
    expect(f"fc SQNR {fc['sqnr_db']:.3f} dB (numpy {ref:.3f} dB)",
           abs(fc["sqnr_db"] - ref) < 0.01)
    expect(f"fc weight bytes {fc['weight_bytes']} -> "
           f"{fc['quantized_weight_bytes']} (16x32 f32 -> i8 + 32 scales)",
           fc["weight_bytes"] == 2048 and fc["quantized_weight_bytes"] == 640)
    # y1 = Gemm(h) in float on the quantized h.
    y1f = f @ w["w2"] + w["b2"]
    y1q = q @ w["w2"] + w["b2"]
    ref = ((y1q - y1f) ** 2).sum() / (y1f ** 2).sum()
    out_y1 = next(o for o in rep["outputs"] if o["name"] == "y1")
    expect(f"y1 relative MSE {out_y1['relative_mse']:.4e} (numpy {ref:.4e})",
           abs(out_y1["relative_mse"] - ref) <= 1e-3 * ref)
    out_y2 = next(o for o in rep["outputs"] if o["name"] == "y2")
    expect("y2 exact", out_y2["relative_mse"] == 0 and
           out_y2["max_abs_error"] == 0 and out_y2["sqnr_db"] is None)
    summary = rep["summary"]
    expect(f"weights {summary['weight_bytes']} -> "
           f"{summary['quantized_weight_bytes']} (table 640 + w1 2048 + w2 "
           f"1024 -> 640 + 640 + 1024)",
           summary["weight_bytes"] == 3712 and
           summary["quantized_weight_bytes"] == 2304)
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    make(sys.argv[1])
