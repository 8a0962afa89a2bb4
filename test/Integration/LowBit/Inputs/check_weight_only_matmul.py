# SPDX-License-Identifier: Apache-2.0
"""Compiles one-MatMul ONNX models with qc-compile --quantize=w4a16/w8a16 and
compares qc-run's output with a float64 numpy reference.

Each weight is built from chosen codes, power-of-two scales and zero points
so that qc's RTN quantizer recovers exactly those codes (every group and
column reaches both ends of the code range): the weight in the ONNX file
*is* its dequantized value, and the reference is x @ W in float64, computed
without qc.

Tolerance: |qc - ref| <= 1e-6 * (|x| @ Wmax) where Wmax[k, n] = 2^bits *
scale(k, n) bounds |u - zp| * scale for any code u and zero point zp (the
kernel accumulates x * u and x * zp in f32 per group and reassociates).

  check_weight_only_matmul.py WORKDIR [--threads N]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# (bits, symmetric, group size, M, K, N)
CASES = [
    (4, False, 128, 1, 256, 64),
    (4, True, 32, 4, 256, 48),
    (4, False, 64, 7, 320, 33),
    (4, True, 128, 1, 384, 100),
    (4, False, 64, 4, 100, 20),   # K % group != 0: one group of K = 100
    (4, True, 32, 1, 99, 31),     # odd K, odd N
    (4, False, 4, 3, 64, 16),     # group 4 < 8 codes per word: scalar loops
    (8, False, 128, 1, 384, 40),
    (8, True, 64, 7, 128, 17),
    (8, False, 32, 4, 96, 64),
    (8, True, 128, 1, 99, 5),     # odd K: one group of 99
]


def make_weight(rng, bits, symmetric, group, k, n):
    """W [K, N] whose RTN quantization is exact; also the group size and
    the scales [G, N]. (check_weight_only_int8.py uses it too.)"""
    g = group if k % group == 0 else k
    groups = k // g
    exps = rng.integers(3, 8, size=(groups, n))
    scales = np.ldexp(1.0, -exps)
    qmax = (1 << (bits - 1)) - 1 if symmetric else (1 << bits) - 1
    w = np.empty((k, n))
    for gi in range(groups):
        rows = slice(gi * g, (gi + 1) * g)
        if symmetric:
            q = rng.integers(-qmax, qmax + 1, size=(g, n)).astype(np.float64)
            q[rng.integers(0, g), :] = qmax * rng.choice([-1, 1], size=n)
            w[rows] = q * scales[gi]
        else:
            q = rng.integers(0, qmax + 1, size=(g, n)).astype(np.float64)
            lo, hi = rng.choice(g, size=2, replace=False)
            q[lo, :] = 0
            q[hi, :] = qmax
            zp = rng.integers(0, qmax + 1, size=n)
            w[rows] = (q - zp) * scales[gi]
    return w.astype(np.float32), g, scales


def save_matmul_model(path, name, x, w):
    """An ONNX model y = x @ W with W a constant initializer."""
    (m, k), n = x.shape, w.shape[1]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "W")])
    onnx.save(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")


def compile_and_run(work, tag, x, w, bits, group, symmetric, threads,
                    extra=()):
    """y = x @ W compiled by qc-compile --quantize=w{bits}a16 (plus `extra`
    flags) and run by qc-run."""
    model = os.path.join(work, tag + ".onnx")
    save_matmul_model(model, tag, x, w)
    so = os.path.join(work, tag + ".so")
    inputs = os.path.join(work, tag + "_in.npz")
    outputs = os.path.join(work, tag + "_out.npz")
    np.savez(inputs, x=x)
    cmd = ["qc-compile", model, "-q", f"--quantize=w{bits}a16",
           f"--group-size={group}", *extra, f"--threads={threads}", "-o", so]
    if symmetric:
        cmd.append("--weight-symmetric")
    run(cmd)
    run(["qc-run", so, "--inputs", inputs, "--outputs", outputs])
    return np.load(outputs)["y"]


def run_cases(cases, seed, prefix, check):
    """Parses WORK [--threads N] and runs `check(args, tag, case, x, w, g,
    scales)` -> ok on each case (bits, symmetric, group, m, k, n) of
    `cases`, with a weight from make_weight and a random x drawn from the
    case's own generator (seed + index). Prints the summary; returns the
    exit status."""
    p = argparse.ArgumentParser()
    p.add_argument("work")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    failed = 0
    for i, case in enumerate(cases):
        bits, sym, group, m, k, n = case
        rng = np.random.default_rng(seed + i)
        w, g, scales = make_weight(rng, bits, sym, group, k, n)
        x = rng.standard_normal((m, k)).astype(np.float32)
        tag = f"{prefix}w{bits}{'s' if sym else 'a'}_g{group}_m{m}_k{k}_n{n}"
        failed += not check(args, tag, case, x, w, g, scales)
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def check_exact(args, tag, case, x, w, g, scales):
    bits, sym, group = case[:3]
    scale = np.repeat(scales, g, axis=0)
    got = compile_and_run(args.work, tag, x, w, bits, group, sym,
                          args.threads).astype(np.float64)
    ref = x.astype(np.float64) @ w.astype(np.float64)
    bound = 1e-6 * (np.abs(x).astype(np.float64) @ ((1 << bits) * scale))
    err = np.abs(got - ref)
    ok = got.shape == ref.shape and bool((err <= bound).all())
    print(f"{tag}: max err {err.max():.3g}, max err / bound "
          f"{(err / bound).max():.3g} {'ok' if ok else 'FAIL'}")
    return ok


def main():
    return run_cases(CASES, 1000, "", check_exact)


if __name__ == "__main__":
    sys.exit(main())
