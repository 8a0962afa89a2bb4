#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Weight-only INT4 / INT8 GEMV/GEMM benchmark (run_bench.py --suite gemv,
or this file on its own).

  bench/gemv_bench.py --bin build/bin [--rounds 5] [--quick] [--cold]
                      [--shapes KxN ...] [--no-int8] [--threads N]
                      [--markdown FILE]

For M = 1 and 4 on (K, N) = (4096, 4096), (11008, 4096) and (4096, 11008):
a one-MatMul ONNX model compiled by qc with --quantize=w4a16 / w8a16
(group 128, asymmetric: unsigned codes with a zero point per group, qc's
default), in both arithmetic modes (--weight-only-compute=exact, f32
products, and =int8, activations quantized to int8 per group at run time
with integer dot products), against

  (a) the read bandwidth measured in the same run: a small C program
      (compiled here with cc -O3 -march=native) that sums, with 8 AVX-512
      accumulators, a buffer exactly as large as the weight bytes qc reads
      (codes + scales + zero points), repeatedly, median of REPS passes.
      Like qc's timed runs it reads a buffer that earlier passes left in
      whatever cache level it fits (warm). "fraction of bandwidth" =
      (weight bytes / qc time) / (buffer bytes / sum time) = sum ms / qc ms;
  (b) onnxruntime's com.microsoft MatMulNBits (onnxruntime-node, CPU EP)
      on the same codes, scales and zero points, at accuracy_level 0
      (float activations: qc's exact mode's class) and 4 (activations
      quantized to int8 per block: qc's int8 mode's class; its output is
      only checked to 5 % relative RMS error).

The int8 table's "fraction at the vpdpbusd floor" is the best that any
kernel doing the int8 mode's M*K*N/64 vpdpbusd could reach: read time /
(that count x the ns per vpdpbusd that bench/vnni_peak.c measures in the
same round, divided by the threads). Below 0.7 the target is out of reach
of integer dot products on this core (compute-bound).

--cold: every weight comes from DRAM, as for consecutive LLM layers. The
ONNX models (qc's and ORT's) hold R independent MatMuls of the same x with
R different weights (the columns of W rotated by r, r < R), R the least
number (>= 2) of copies whose bytes reach COLD_BYTES (64 MiB, twice the
32 MiB L3); a timing is model time / R. The read loop likewise reads R
buffers of the weight size in turn, one per pass.

The weight W = (u - zp) * s is built from random codes u, power-of-two
scales s and zero points zp, with every (group, column) reaching both ends
of the code range, so qc's RTN quantizer recovers exactly those codes and
all contenders multiply by the same dequantized matrix; the outputs are
checked before timing: qc exact and ORT acc. 0 against x @ W (numpy,
float64), qc int8 against a numpy evaluation of its rule
(qc.packed_dequant_matmul's int8_compute, QCOps.td). Rounds interleave
qc, ORT and the bandwidth probe; each figure is the median over rounds of
in-process medians; ratios are per round (min / median / max). One thread
everywhere by default (qc --threads 1, intraOpNumThreads 1, a one-thread
read loop); --threads N gives all three N threads (the read loop splits
its buffer into N contiguous shares).
"""

import argparse
import math
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench as rb  # noqa: E402

GEMV_SHAPES = [(4096, 4096), (11008, 4096), (4096, 11008)]
QUICK_SHAPES = [(1024, 1024)]
GROUP = 128
#: --cold: the weight copies together reach this many bytes (2 x L3).
COLD_BYTES = 64 << 20

BANDWIDTH_C = r"""
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
int main(int argc, char **argv) {
  /* bandwidth BYTES REPS [COPIES]: pass r reads buffer r mod COPIES. */
  size_t bytes = strtoull(argv[1], 0, 10), n = (bytes + 511) / 512;
  int reps = atoi(argv[2]), copies = argc > 3 ? atoi(argv[3]) : 1;
  __m512i **bufs = malloc(sizeof(__m512i *) * copies);
  for (int c = 0; c < copies; ++c) {
    bufs[c] = aligned_alloc(64, n * 512);
    memset(bufs[c], 1 + c, n * 512);
  }
  double *ms = malloc(sizeof(double) * reps);
  long long total = 0;
  for (int r = -3 * copies; r < reps; ++r) {
    __m512i *buf = bufs[(r + 3 * copies) % copies];
    double t0 = now();
    /* OMP_NUM_THREADS threads, each summing its contiguous share. */
#pragma omp parallel reduction(+ : total)
    {
    size_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    size_t lo = n * t / nt, hi = n * (t + 1) / nt;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0,
            a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t i = lo; i < hi; ++i) {
      const __m512i *p = buf + 8 * i;
      a0 = _mm512_add_epi32(a0, _mm512_load_si512(p + 0));
      a1 = _mm512_add_epi32(a1, _mm512_load_si512(p + 1));
      a2 = _mm512_add_epi32(a2, _mm512_load_si512(p + 2));
      a3 = _mm512_add_epi32(a3, _mm512_load_si512(p + 3));
      a4 = _mm512_add_epi32(a4, _mm512_load_si512(p + 4));
      a5 = _mm512_add_epi32(a5, _mm512_load_si512(p + 5));
      a6 = _mm512_add_epi32(a6, _mm512_load_si512(p + 6));
      a7 = _mm512_add_epi32(a7, _mm512_load_si512(p + 7));
    }
    __m512i s = _mm512_add_epi32(
        _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
        _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
    total += _mm512_reduce_add_epi32(s);
    }
    if (r >= 0) ms[r] = now() - t0;
  }
  qsort(ms, reps, sizeof(double), cmp);
  printf("median_ms %.4f\ncheck %lld\n", ms[reps / 2], total);
  return 0;
}
"""


class Bandwidth:
    def __init__(self, work):
        src = os.path.join(work, "bandwidth.c")
        with open(src, "w") as f:
            f.write(BANDWIDTH_C)
        self.exe = os.path.join(work, "bandwidth")
        rb.sh(["cc", "-O3", "-march=native", "-fopenmp", src, "-o",
               self.exe])

    def ms(self, nbytes, reps, copies=1, threads=1):
        return rb.median_ms(rb.sh([self.exe, str(nbytes), str(reps),
                                   str(copies)], env=rb.thread_env(threads)))


class VnniPeak:
    """bench/vnni_peak.c: nanoseconds per 512-bit vpdpbusd on this core at
    its best issue rate (12 independent chains, inline assembly)."""

    def __init__(self, work):
        self.exe = os.path.join(work, "vnni_peak")
        rb.sh(["cc", "-O2", "-mavx512f", "-mavx512vnni",
               os.path.join(rb.REPO, "bench", "vnni_peak.c"), "-o",
               self.exe])

    def ns(self):
        for line in rb.sh([self.exe]).splitlines():
            if line.startswith("vpdpbusd zmm:"):
                return float(line.split()[2])
        raise RuntimeError("vnni_peak printed no vpdpbusd rate")


def make_weights(rng, k, n, bits):
    """Unsigned codes u [K, N], scales and zero points [K / GROUP, N]."""
    groups = k // GROUP
    qmax = (1 << bits) - 1
    u = rng.integers(0, qmax + 1, size=(k, n), dtype=np.int64)
    for g in range(groups):
        rows = rng.choice(GROUP, size=2, replace=False) + g * GROUP
        u[rows[0], :] = 0
        u[rows[1], :] = qmax
    scales = np.ldexp(1.0, -rng.integers(6, 10, size=(groups, n)))
    zps = rng.integers(0, qmax + 1, size=(groups, n))
    w = (u - np.repeat(zps, GROUP, axis=0)) * np.repeat(scales, GROUP, axis=0)
    return u, scales.astype(np.float32), zps, w.astype(np.float32)


def rolled(a, r):
    """Copy r of a [.., N] array: its columns rotated by r."""
    return np.roll(a, r, axis=-1)


def matmul_nbits_model(path, m, k, n, bits, u, scales, zps, accuracy,
                       copies=1):
    """MatMulNBits y{r} = x @ W_r for r < copies (W_r: columns rotated by r;
    the output of a single copy is "y")."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    groups = k // GROUP
    nodes, inits, outs = [], [], []
    for r in range(copies):
        ur, sr, zr = rolled(u, r), rolled(scales, r), rolled(zps, r)
        # B [N, blocks, GROUP * bits / 8]: column-major blocks, for 4 bits
        # the even k in the low nibble.
        ut = ur.T.reshape(n, groups, GROUP).astype(np.uint8)
        if bits == 4:
            b = (ut[:, :, 0::2] | (ut[:, :, 1::2] << 4)).astype(np.uint8)
            zt = zr.T.astype(np.uint8)  # [N, groups], packed two per byte
            if groups % 2:
                zt = np.concatenate([zt, np.zeros((n, 1), np.uint8)], axis=1)
            zp = (zt[:, 0::2] | (zt[:, 1::2] << 4)).astype(np.uint8).reshape(
                -1)
        else:
            b = ut
            zp = zr.T.astype(np.uint8).reshape(-1)
        y = "y" if copies == 1 else f"y{r}"
        nodes.append(helper.make_node(
            "MatMulNBits", ["x", f"B{r}", f"scales{r}", f"zero_points{r}"],
            [y], domain="com.microsoft", name=f"mm{r}", K=k, N=n, bits=bits,
            block_size=GROUP, accuracy_level=accuracy))
        inits += [numpy_helper.from_array(b, f"B{r}"),
                  numpy_helper.from_array(
                      sr.T.reshape(-1).astype(np.float32), f"scales{r}"),
                  numpy_helper.from_array(zp, f"zero_points{r}")]
        outs.append(helper.make_tensor_value_info(y, TensorProto.FLOAT,
                                                  [m, n]))
    graph = helper.make_graph(
        nodes, "gemv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        outs, inits)
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)]),
        path)


def matmul_model(path, m, k, n, w, copies=1):
    """MatMul y{r} = x @ W_r for r < copies (as matmul_nbits_model)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    nodes, inits, outs = [], [], []
    for r in range(copies):
        y = "y" if copies == 1 else f"y{r}"
        nodes.append(helper.make_node("MatMul", ["x", f"W{r}"], [y],
                                      name=f"mm{r}"))
        inits.append(numpy_helper.from_array(rolled(w, r), f"W{r}"))
        outs.append(helper.make_tensor_value_info(y, TensorProto.FLOAT,
                                                  [m, n]))
    graph = helper.make_graph(
        nodes, "gemv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        outs, inits)
    onnx.save(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def int8_reference(x, u, scales, zps):
    """qc's --weight-only-compute=int8 rule (qc.packed_dequant_matmul's
    int8_compute): per row and group xs = max|x| / 127, xq = rint(x / xs),
    d = xq @ (u - zp) exactly, y = sum over groups in order of
    f32(w_scale * xs) * d (float64 here, then f32 per group)."""
    m, k = x.shape
    y = np.zeros((m, u.shape[1]), np.float32)
    for g in range(k // GROUP):
        rows = slice(g * GROUP, (g + 1) * GROUP)
        xg = x[:, rows]
        xs = (np.abs(xg).max(axis=1) / np.float32(127)).astype(np.float32)
        safe = np.where(xs == 0, np.float32(1), xs).astype(np.float32)
        xq = np.clip(np.rint(xg / safe[:, None]), -127, 127).astype(np.int64)
        d = xq @ (u[rows] - zps[g][None, :])
        factor = (scales[g][None, :] * xs[:, None]).astype(np.float32)
        y = (factor.astype(np.float64) * d + y).astype(np.float32)
    return y


def check(name, got, ref, x, wabs):
    # f32 accumulation against a float64 reference.
    bound = 1e-5 * (np.abs(x) @ wabs) + 1e-6
    if got.shape != ref.shape or not (np.abs(got - ref) <= bound).all():
        raise RuntimeError(f"{name}: output differs from numpy, max error "
                           f"{np.abs(got - ref).max():.3g}")


def check_outputs(name, outputs, ref, copies, checker):
    """Every copy's output against ref with its columns rotated."""
    for r in range(copies):
        key = "y" if copies == 1 else f"y{r}"
        checker(f"{name} copy {r}", outputs[key], rolled(ref, r), r)


def gemv_suite(args, work, clock, out):
    bw = Bandwidth(work)
    int8 = not getattr(args, "no_int8", False)
    peak = VnniPeak(work) if int8 else None
    cold = getattr(args, "cold", False)
    # run_bench.py's --threads (a list) is for its other suites.
    threads = getattr(args, "gemv_threads", 1)
    shapes = QUICK_SHAPES if args.quick else GEMV_SHAPES
    only = getattr(args, "shapes", None)
    if only:
        shapes = [tuple(int(v) for v in s.split("x")) for s in only]
    rows, rows8 = [], []
    for (k, n) in shapes:
        for bits in (4, 8):
            rng = np.random.default_rng(k + n + bits)
            u, scales, zps, w = make_weights(rng, k, n, bits)
            groups = k // GROUP
            # What qc reads: packed codes, f32 scales and f32 zero points
            # per (group, 16-column tile lane).
            n_pad = -(-n // 16) * 16
            nbytes = k * n_pad * bits // 8 + 2 * 4 * groups * n_pad
            copies = max(2, math.ceil(COLD_BYTES / nbytes)) if cold else 1
            wmax = np.repeat(scales, GROUP, axis=0).astype(np.float64) * (
                1 << bits)
            for m in (1, 4):
                tag = f"gemv_w{bits}_{m}_{k}_{n}"
                x = rng.standard_normal((m, k)).astype(np.float32)
                ref = x.astype(np.float64) @ w.astype(np.float64)
                model = os.path.join(work, tag + ".onnx")
                matmul_model(model, m, k, n, w, copies)
                inputs_npz = os.path.join(work, tag + "_in.npz")
                rb.save_npz(inputs_npz, {"x": x})
                env = rb.thread_env(threads)
                # qc in each arithmetic mode: the .so, checked.
                modes = {"qc": "exact"}
                if int8:
                    modes["qc8"] = "int8"
                    ref8 = int8_reference(x, u, scales, zps)
                sos = {}
                for key, mode in modes.items():
                    so = os.path.join(work, f"{tag}_{mode}.so")
                    rb.sh([os.path.join(args.bin, "qc-compile"), model, "-q",
                           f"--quantize=w{bits}a16", f"--group-size={GROUP}",
                           f"--weight-only-compute={mode}",
                           f"--threads={threads}",
                           "-o", so])
                    qc_out = os.path.join(work, f"{tag}_{mode}_qc.npz")
                    rb.sh([os.path.join(args.bin, "qc-run"), so, "--inputs",
                           inputs_npz, "--outputs", qc_out], env=env)
                    got = np.load(qc_out)
                    if mode == "exact":
                        check_outputs(f"qc {tag}", got, ref, copies,
                                      lambda nm, g, rr, r: check(
                                          nm, g, rr, x, rolled(wmax, r)))
                    else:
                        # The integer part is exact; the f32 group terms
                        # agree to a few ulps of their magnitude.
                        mag = np.abs(x) @ (np.abs(w).astype(np.float64))

                        def check8(nm, g, rr, r):
                            err = np.abs(g.astype(np.float64) - rr)
                            if g.shape != rr.shape or not (
                                    err <= 1e-5 * rolled(mag, r) + 1e-6).all():
                                raise RuntimeError(
                                    f"{nm}: differs from the int8 rule, max "
                                    f"error {err.max():.3g}")
                        check_outputs(f"qc int8 {tag}", got, ref8, copies,
                                      check8)
                    sos[key] = so
                os.remove(model)  # the float copies are large
                # ORT at accuracy_level 0 (float activations, as qc exact)
                # and 4 (activations quantized to int8 per block, as qc
                # int8; checked loosely).
                ort = {}
                if args.ort:
                    inputs_json = rb.save_npy_inputs(work, tag, {"x": x})
                    for level in (0, 4):
                        ort_model = os.path.join(work,
                                                 f"{tag}_nbits{level}.onnx")
                        matmul_nbits_model(ort_model, m, k, n, bits, u, scales,
                                           zps, level, copies)
                        ort_dir = os.path.join(work, f"{tag}_ort{level}")
                        os.makedirs(ort_dir, exist_ok=True)
                        rb.sh(rb.ort_cmd(ort_model, inputs_json, ort_dir,
                                         threads, 1)
                              [:-2], env=rb.ort_env(args.cache))
                        got = rb.read_ort_output(ort_dir)

                        def check4(nm, g, rr, r):
                            rel = np.sqrt(((g - rr) ** 2).mean() /
                                          (rr ** 2).mean())
                            if not rel < 0.05:
                                raise RuntimeError(
                                    f"{nm} level 4: relative RMS error "
                                    f"{rel:.3g}")
                        check_outputs(
                            f"onnxruntime {tag}", got, ref, copies,
                            (lambda nm, g, rr, r: check(
                                nm, g, rr, x, rolled(wmax, r)))
                            if level == 0 else check4)
                        # Enough runs for ~0.3 s, 3 to 50.
                        once = rb.median_ms(rb.sh(
                            rb.ort_cmd(ort_model, inputs_json, ort_dir,
                                       threads, 3),
                            env=rb.ort_env(args.cache)))
                        ort[level] = (rb.ort_cmd(
                            ort_model, inputs_json, ort_dir, threads,
                            max(3, min(50, int(300 / max(once, 1e-3))))))
                reps = 50
                times = []
                for r in range(args.rounds):
                    t = {"ghz": clock.ghz(threads)}
                    for key, so in sos.items():
                        t[key] = rb.median_ms(rb.sh(
                            [os.path.join(args.bin, "qc-run"), so, "--inputs",
                             inputs_npz, "--bench", str(reps)],
                            env=env)) / copies
                    for level, cmd in ort.items():
                        t[f"ort{level}"] = rb.median_ms(rb.sh(
                            cmd, env=rb.ort_env(args.cache))) / copies
                    t["bw"] = bw.ms(nbytes, reps * copies, copies, threads)
                    if peak:
                        # The int8 kernel's vpdpbusd (64 multiply-adds
                        # each) at this core's best rate, per thread.
                        t["floor"] = (m * k * n_pad / 64 * peak.ns() * 1e-6
                                      / threads)
                    times.append(t)
                    print(f"  {tag} round {r}: " +
                          ", ".join(f"{a}={v:.3f}" for a, v in t.items()),
                          file=sys.stderr)
                best = max(t["ghz"] for t in times)
                slow = f"{sum(t['ghz'] < 0.85 * best for t in times)}" \
                    f"/{len(times)}"
                bw_ms = statistics.median(t["bw"] for t in times)
                shape = [f"{m}x{k}x{n}", f"w{bits}a16 g{GROUP}",
                         f"{nbytes / 2**20:.1f}"]
                if cold:
                    shape.append(str(copies))

                def timing(key):
                    ms = statistics.median(t[key] for t in times)
                    return [f"{ms:.3f}", f"{nbytes / ms / 1e6:.1f}"]

                def versus(key, levels):
                    cells = []
                    for level in levels:
                        if level in ort:
                            ort_key = f"ort{level}"
                            ms = statistics.median(t[ort_key] for t in times)
                            cells += [f"{ms:.3f}", rb.fmt_ratio(
                                rb.ratios_row(times, key, ort_key))]
                        else:
                            cells += ["n/a", "n/a"]
                    return cells

                rows.append(shape + timing("qc") + [
                    f"{nbytes / bw_ms / 1e6:.1f}",
                    rb.fmt_ratio(rb.ratios_row(times, "qc", "bw"))] +
                    versus("qc", (0, 4)) + [slow])
                print("  row: " + " | ".join(rows[-1]), file=sys.stderr)
                if int8:
                    rows8.append(shape + timing("qc8") + [
                        f"{nbytes / bw_ms / 1e6:.1f}",
                        rb.fmt_ratio(rb.ratios_row(times, "qc8", "bw"))] +
                        versus("qc8", (4,)) + [
                        rb.fmt_ratio(rb.ratios_row(times, "qc8", "qc")),
                        rb.fmt_ratio(rb.ratios_row(times, "floor", "bw")),
                        slow])
                    print("  int8 row: " + " | ".join(rows8[-1]),
                          file=sys.stderr)
    shape_header = ["M x K x N", "scheme", "weight MiB"] + (
        ["copies"] if cold else [])
    where = ("cold weights: copies from DRAM, time per copy" if cold else
             "warm weights")
    header = shape_header + [
        "qc ms", "qc GB/s", "read GB/s", "fraction of read bandwidth",
        "ORT MatMulNBits ms (acc. 0)", "ORT acc. 0 ms / qc ms",
        "ORT ms (acc. 4)", "ORT acc. 4 ms / qc ms", "slow rounds"]
    nt = f"{threads} thread{'s' if threads > 1 else ''}"
    rb.table(out, f"Weight-only GEMV/GEMM, exact mode ({nt}, {where})",
             header, rows)
    if int8:
        header8 = shape_header + [
            "qc int8 ms", "qc int8 GB/s", "read GB/s",
            "fraction of read bandwidth", "ORT MatMulNBits ms (acc. 4)",
            "ORT acc. 4 ms / qc int8 ms", "qc exact ms / qc int8 ms",
            "fraction at the vpdpbusd floor", "slow rounds"]
        rb.table(out, "Weight-only GEMV/GEMM, --weight-only-compute=int8 "
                 f"({nt}, {where})", header8, rows8)


def main():
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(rb.REPO, "build", "bin"))
    p.add_argument("--cache", default=os.environ.get(
        "QC_CACHE", os.path.join(rb.REPO, ".cache")))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--cold", action="store_true",
                   help="weights from DRAM: R weight copies per model "
                        "(together >= 64 MiB), time per copy")
    p.add_argument("--shapes", nargs="*", metavar="KxN",
                   help="only these (K, N) shapes, e.g. 4096x11008")
    p.add_argument("--no-int8", action="store_true",
                   help="skip qc's --weight-only-compute=int8 mode")
    p.add_argument("--threads", dest="gemv_threads", type=int, default=1,
                   help="threads for qc (--threads), onnxruntime and the "
                   "read loop (default 1)")
    p.add_argument("--markdown", help="also write the table to this file")
    args = p.parse_args()
    args.ort = rb.shutil.which("node") is not None and os.path.isdir(
        os.path.join(args.cache, "ort", "node_modules", "onnxruntime-node"))
    out = []
    with tempfile.TemporaryDirectory(prefix="qc-gemv-") as work:
        gemv_suite(args, work, rb.Clock(work), out)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(out))


if __name__ == "__main__":
    main()
