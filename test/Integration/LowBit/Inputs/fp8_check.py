#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""FP8 (E4M3FN / E5M2, per-tensor / per-channel weight scales) of one MatMul
against an independent numpy reference of ONNX's saturating float8 Cast.

    fp8_check.py make DIR FORMAT SCALES   # DIR/{model.onnx,calib.npz,input.npz}
    fp8_check.py check DIR FORMAT SCALES OUT.npz [--rtol R]

The model is y = x @ W with x [24, 16] and the constant W [16, 24]. The
reference rounds on the value grid of the format, not on its bit patterns:
a finite |v| with binary exponent e (at least the smallest normal exponent
e_min) is rounded to a multiple of 2^(max(e, e_min) - mantissa bits), ties
to even (numpy's round), then clamped to +/- the largest finite value (ONNX
Cast with saturate=1: also for +/- Inf); NaN stays NaN. Scales are
amax / max rounded to f32 (1 for an all-zero range), amax of the weight per
tensor or per output column, of x from the calibration sample; values are
divided by their scale in f32, dequantized as f32(code value * scale).

The data are built so that the check is exact where it can be:
- W[:, :16] = 1.75 I and the calibration sample's amax is 1.75, so (both
  formats' max is 1.75 times a power of two) the activation scale and the
  identity columns' scale are powers of two: y[:, :16] = dequantize(x) *
  1.75 checks every activation conversion (ties, subnormals, saturation,
  Inf), and rows 0..15 of x (1.75 I) give y[:16, 16:] = 1.75 *
  dequantize(W[:, 16:]), every weight conversion.
- W[:, 16] has values exactly halfway between FP8 neighbours (in units of
  the power-of-two scale), W[:, 17] is tiny (per-channel scales keep its
  precision), W[:, 18:] is random with different ranges.

Every element must satisfy |y - y_ref| <= rtol * sum_k |x_k W_k| (f32
accumulation bound; rtol 2e-6 by default): an FP8 code one step off changes
a term by at least 1/8 (E4M3) or 1/4 (E5M2) of its size, caught in the
single-term entries above. NaN must be where the reference has NaN.
"""

import os
import sys

import numpy as np

FORMATS = {
    # mantissa bits, smallest normal exponent, largest finite value
    "e4m3": (3, -6, 448.0),
    "e5m2": (2, -14, 57344.0),
}


def fp8_round(v, fmt):
    """The value of ONNX's saturating Cast of the f32 array v to FP8."""
    mant, emin, vmax = FORMATS[fmt]
    v = np.asarray(v, np.float64)
    a = np.abs(v)
    finite = np.isfinite(a)
    _, ex = np.frexp(np.where(finite & (a > 0), a, 1.0))  # a = f 2^ex, f in [0.5, 1)
    e = np.maximum(ex - 1, emin)
    quantum = np.ldexp(1.0, e - mant)
    r = np.round(np.where(finite, a, 0.0) / quantum) * quantum
    r = np.where(np.isinf(a), vmax, np.minimum(r, vmax))
    r = np.copysign(r, v)
    return np.where(np.isnan(v), np.nan, r)


def scale_of(amax, fmt):
    vmax = FORMATS[fmt][2]
    amax = np.asarray(amax, np.float64)
    ok = (amax > 0) & np.isfinite(amax)
    return np.where(ok, (np.where(ok, amax, 1.0) / vmax), 1.0).astype(np.float32)


def data(fmt):
    mant, emin, vmax = FORMATS[fmt]
    rng = np.random.default_rng(5)
    s = np.float32(1.75 / vmax)  # a power of two for both formats
    assert s == np.float32(2.0 ** np.round(np.log2(s)))
    w = np.zeros((16, 24), np.float32)
    w[:, :16] = 1.75 * np.eye(16, dtype=np.float32)
    # Ties (halfway between neighbours, in units of s) and their negatives.
    sub = 2.0 ** (emin - mant)  # smallest subnormal
    if fmt == "e4m3":
        ties = [1.0625, 1.1875, 2.375, 432.0, 0.5 * sub, 1.5 * sub, 2.5 * sub]
    else:
        ties = [1.125, 1.375, 2.75, 53248.0, 0.5 * sub, 1.5 * sub, 2.5 * sub]
    col = np.array(ties + [-t for t in ties] + [vmax, -3.0], np.float64) * s
    w[:, 16] = col.astype(np.float32)
    assert np.all(w[:, 16].astype(np.float64) == col)  # exact in f32
    w[:, 17] = (rng.standard_normal(16) * 1e-3).astype(np.float32)
    w[:, 18:] = np.clip(rng.standard_normal((16, 6)) *
                        np.array([0.01, 0.1, 0.5, 1.0, 1.5, 1.7]), -1.75,
                        1.75).astype(np.float32)
    x = np.zeros((24, 16), np.float32)
    x[:16] = 1.75 * np.eye(16, dtype=np.float32)
    # Row 16: activation ties (units of the activation scale, also s).
    x[16] = (np.array(ties + [-t for t in ties] + [vmax, 0.0]) * s)
    # Row 17: past the calibrated range (saturates) and infinities.
    x[17] = [2.0, -2.0, 5.0, -100.0, 1e30, -1e30, np.inf, -np.inf,
             1.76, -1.76, 1.75, -1.75, 0.0, -0.0, 1e-30, 3.0]
    # Row 18: one NaN (the whole row of y is NaN: NaN * 0 is NaN).
    x[18] = rng.standard_normal(16)
    x[18, 3] = np.nan
    x[19:] = (rng.standard_normal((5, 16)) * 0.7).astype(np.float32)
    calib = np.zeros((1, 24, 16), np.float32)
    calib[0, :16] = 1.75 * np.eye(16, dtype=np.float32)
    calib[0, 16:] = np.clip(rng.standard_normal((8, 16)), -1.75, 1.75)
    return x, w, calib


def reference(x, w, fmt, scales):
    sx = scale_of(1.75, fmt)  # the calibration sample's amax
    if scales == "channel":
        sw = scale_of(np.abs(w.astype(np.float64)).max(axis=0), fmt)
    else:
        sw = np.full(w.shape[1], scale_of(np.abs(w.astype(np.float64)).max(),
                                          fmt), np.float32)
    xd = (fp8_round(x / sx, fmt).astype(np.float32) * sx).astype(np.float32)
    wd = (fp8_round(w / sw[None, :], fmt).astype(np.float32) *
          sw[None, :]).astype(np.float32)
    terms = xd.astype(np.float64)[:, :, None] * wd.astype(np.float64)[None]
    return terms.sum(axis=1), np.abs(terms).sum(axis=1)


def make(out, fmt):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    x, w, calib = data(fmt)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="fc")], "fp8",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [24, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [24, 24])],
        [numpy_helper.from_array(w, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(out, "model.onnx"))
    np.savez(os.path.join(out, "calib.npz"), x=calib)
    np.savez(os.path.join(out, "input.npz"), x=x)


def check(out, fmt, scales, got_path, rtol):
    x, w, _ = data(fmt)
    want, bound = reference(x, w, fmt, scales)
    got = np.load(got_path)["y"].astype(np.float64)
    nan_ok = np.array_equal(np.isnan(got), np.isnan(want))
    fin = ~np.isnan(want)
    err = np.abs(got - want)[fin]
    tol = rtol * bound[fin] + 1e-38
    bad = int((err > tol).sum())
    print(f"{fmt} {scales}: {bad} of {fin.sum()} elements off, NaN "
          f"{'match' if nan_ok else 'MISMATCH'}, max error / bound "
          f"{(err / tol).max() * rtol:.3g}")
    # The planted cases must really exercise the conversion: ties round to
    # even, saturation reaches +/- max.
    vmax = FORMATS[fmt][2]
    assert fp8_round(np.array([vmax * 2, -np.inf]), fmt).tolist() == [vmax, -vmax]
    ok = bad == 0 and nan_ok
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


def main():
    cmd, out, fmt, scales = sys.argv[1:5]
    if cmd == "make":
        return make(out, fmt)
    rtol = 2e-6
    if "--rtol" in sys.argv:
        rtol = float(sys.argv[sys.argv.index("--rtol") + 1])
    return check(out, fmt, scales, sys.argv[5], rtol)


if __name__ == "__main__":
    sys.exit(main())
