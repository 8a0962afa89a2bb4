# SPDX-License-Identifier: Apache-2.0
"""Compiles one-MatMul ONNX models with qc-compile --quantize=w4a16/w8a16
--weight-only-compute=int8 and compares qc-run's output with a numpy
reference of the int8_compute rule of qc.packed_dequant_matmul (QCOps.td),
computed here without qc:

  per row m and weight group g (K elements):
    xs = f32(max |x|) / f32(127)
    xq = clip(rint(f32(x) / xs), -127, 127)     (0 when xs == 0)
    d  = sum_k xq * q(k, n)                     (exact, int64)
  y[m, n] = sum over g in order of f32(f32(w_scale * xs) * d + y)

where q(k, n) = W[k, n] / w_scale is the weight's integer code minus its
zero point (the weights are built, as in check_weight_only_matmul.py, from
chosen codes and power-of-two scales so that qc's RTN quantizer recovers
them exactly).

Tolerance: |qc - ref| <= 1e-6 * sum_g |f32(w_scale * xs) * d|. The integer
part is exact in both; what is left is f32 rounding of the group terms and
the reference's emulation of the kernel's fused multiply-add in float64
(a double rounding), a few ulps of that sum at most.

A sanity bound ties the rule to the float product: |qc - x @ W| <=
0.02 * (|x| @ |W|) (int8 activations lose about 1/254 of each group's
max per element).

  check_weight_only_int8.py WORKDIR [--threads N]
"""
import os
import sys

import numpy as np

# The weights (exact under RTN) and the compile-and-run step of the
# exact-mode checker next to this file.
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_weight_only_matmul import (  # noqa: E402
    compile_and_run, run_cases)

# (bits, symmetric, group size, M, K, N)
CASES = [
    (4, False, 128, 1, 256, 64),
    (4, True, 32, 4, 160, 33),     # K % 64 != 0, odd N
    (4, False, 64, 4, 320, 47),
    (4, True, 128, 1, 99, 31),     # odd K: one group of 99, partial row
    (4, False, 32, 3, 96, 17),
    (8, False, 128, 1, 384, 40),
    (8, True, 32, 4, 160, 31),     # K % 64 != 0, odd N
    (8, False, 64, 1, 192, 65),
    (8, True, 128, 4, 99, 5),      # odd K: one group of 99
]


def reference(x, w, g, scales):
    """The int8_compute rule; returns y and sum_g |term| per element."""
    m, k = x.shape
    n = w.shape[1]
    y = np.zeros((m, n), np.float32)
    mag = np.zeros((m, n))
    for gi in range(k // g):
        rows = slice(gi * g, (gi + 1) * g)
        codes = np.rint(w[rows].astype(np.float64) / scales[gi]).astype(
            np.int64)
        assert np.array_equal(codes * scales[gi], w[rows].astype(np.float64))
        xg = x[:, rows]
        xs = (np.abs(xg).max(axis=1) / np.float32(127)).astype(np.float32)
        safe = np.where(xs == 0, np.float32(1), xs).astype(np.float32)
        xq = np.clip(np.rint(xg / safe[:, None]), -127, 127).astype(np.int64)
        d = xq @ codes                                   # exact
        factor = (scales[gi].astype(np.float32)[None, :] *
                  xs[:, None]).astype(np.float32)         # f32 product
        term = factor.astype(np.float64) * d.astype(np.float64)
        y = (term + y.astype(np.float64)).astype(np.float32)  # ~ fma
        mag += np.abs(term)
    return y, mag


def check_int8(args, tag, case, x, w, g, scales):
    bits, sym, group, m, k = case[:5]
    if k // g > 1 or m > 1:
        x[0, :g] = 0  # a zero group: scale 0, codes 0
    if m > 1:
        x[1] *= np.float32(1e-3)
    got = compile_and_run(args.work, tag, x, w, bits, group, sym,
                          args.threads, ["--weight-only-compute=int8"])
    ref, mag = reference(x, w, g, scales)
    bound = 1e-6 * mag
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    exact = x.astype(np.float64) @ w.astype(np.float64)
    sanity = 0.02 * (np.abs(x).astype(np.float64) @
                     np.abs(w).astype(np.float64))
    ok = (got.shape == ref.shape and bool((err <= bound).all()) and
          bool((np.abs(got - exact) <= sanity).all()))
    print(f"{tag}: max err {err.max():.3g}, bitwise equal "
          f"{np.mean(got == ref):.3f}, max |qc - x@W| / |x|@|W| "
          f"{(np.abs(got - exact) / np.maximum(sanity / 0.02, 1e-30)).max():.3g}"
          f" {'ok' if ok else 'FAIL'}")
    return ok


def main():
    return run_cases(CASES, 2000, "int8_", check_int8)


if __name__ == "__main__":
    sys.exit(main())
