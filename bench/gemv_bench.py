#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Weight-only INT4 / INT8 GEMV/GEMM benchmark (run_bench.py --suite gemv,
or this file on its own).

  bench/gemv_bench.py --bin build/bin [--rounds 5] [--quick]
                      [--markdown FILE]

For M = 1 and 4 on (K, N) = (4096, 4096), (11008, 4096) and (4096, 11008):
a one-MatMul ONNX model compiled by qc with --quantize=w4a16 / w8a16
(group 128, asymmetric: unsigned codes with a zero point per group, qc's
default) against

  (a) the read bandwidth measured in the same run: a small C program
      (compiled here with cc -O3 -march=native) that sums, with 8 AVX-512
      accumulators, a buffer exactly as large as the weight bytes qc reads
      (codes + scales + zero points), repeatedly, median of REPS passes.
      Like qc's timed runs it reads a buffer that earlier passes left in
      whatever cache level it fits. "fraction of bandwidth" = (weight bytes
      / qc time) / (buffer bytes / sum time) = sum ms / qc ms;
  (b) onnxruntime's com.microsoft MatMulNBits (onnxruntime-node, CPU EP)
      on the same codes, scales and zero points, at accuracy_level 0
      (float activations, as qc) and 4 (activations quantized to int8 per
      block: ORT's fastest CPU path, not the same numerics; its output is
      only checked to 5 % relative RMS error).

The weight W = (u - zp) * s is built from random codes u, power-of-two
scales s and zero points zp, with every (group, column) reaching both ends
of the code range, so qc's RTN quantizer recovers exactly those codes and
both contenders multiply by the same dequantized matrix; their outputs are
checked against x @ W (numpy, float64) before timing. Rounds interleave
qc, ORT and the bandwidth probe; each figure is the median over rounds of
in-process medians; ratios are per round (min / median / max). One thread
everywhere (--threads 1, intraOpNumThreads 1).
"""

import argparse
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

BANDWIDTH_C = r"""
#include <immintrin.h>
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
  size_t bytes = strtoull(argv[1], 0, 10), n = (bytes + 511) / 512;
  int reps = atoi(argv[2]);
  __m512i *buf = aligned_alloc(64, n * 512);
  memset(buf, 1, n * 512);
  double *ms = malloc(sizeof(double) * reps);
  long long total = 0;
  for (int r = -3; r < reps; ++r) {
    double t0 = now();
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0,
            a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t i = 0; i < n; ++i) {
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
        rb.sh(["cc", "-O3", "-march=native", src, "-o", self.exe])

    def ms(self, nbytes, reps):
        return rb.median_ms(rb.sh([self.exe, str(nbytes), str(reps)]))


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


def matmul_nbits_model(path, m, k, n, bits, u, scales, zps, accuracy):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    groups = k // GROUP
    # B [N, blocks, GROUP * bits / 8]: column-major blocks, for 4 bits the
    # even k in the low nibble.
    ut = u.T.reshape(n, groups, GROUP).astype(np.uint8)
    if bits == 4:
        b = (ut[:, :, 0::2] | (ut[:, :, 1::2] << 4)).astype(np.uint8)
        zt = zps.T.astype(np.uint8)  # [N, groups], packed two per byte
        if groups % 2:
            zt = np.concatenate([zt, np.zeros((n, 1), np.uint8)], axis=1)
        zp = (zt[:, 0::2] | (zt[:, 1::2] << 4)).astype(np.uint8).reshape(-1)
    else:
        b = ut
        zp = zps.T.astype(np.uint8).reshape(-1)
    node = helper.make_node(
        "MatMulNBits", ["x", "B", "scales", "zero_points"], ["y"],
        domain="com.microsoft", name="mm", K=k, N=n, bits=bits,
        block_size=GROUP, accuracy_level=accuracy)
    graph = helper.make_graph(
        [node], "gemv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(b, "B"),
         numpy_helper.from_array(scales.T.reshape(-1).astype(np.float32),
                                 "scales"),
         numpy_helper.from_array(zp, "zero_points")])
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)]),
        path)


def matmul_model(path, m, k, n, w):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "gemv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "W")])
    onnx.save(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def check(name, got, ref, x, wabs):
    # f32 accumulation against a float64 reference.
    bound = 1e-5 * (np.abs(x) @ wabs) + 1e-6
    if got.shape != ref.shape or not (np.abs(got - ref) <= bound).all():
        raise RuntimeError(f"{name}: output differs from numpy, max error "
                           f"{np.abs(got - ref).max():.3g}")


def gemv_suite(args, work, clock, out):
    bw = Bandwidth(work)
    shapes = QUICK_SHAPES if args.quick else GEMV_SHAPES
    rows = []
    for (k, n) in shapes:
        for bits in (4, 8):
            rng = np.random.default_rng(k + n + bits)
            u, scales, zps, w = make_weights(rng, k, n, bits)
            groups = k // GROUP
            # What qc reads: packed codes, f32 scales and f32 zero points
            # per (group, 16-column tile lane).
            n_pad = -(-n // 16) * 16
            nbytes = k * n_pad * bits // 8 + 2 * 4 * groups * n_pad
            wmax = np.repeat(scales, GROUP, axis=0).astype(np.float64) * (
                1 << bits)
            for m in (1, 4):
                tag = f"gemv_w{bits}_{m}_{k}_{n}"
                x = rng.standard_normal((m, k)).astype(np.float32)
                ref = x.astype(np.float64) @ w.astype(np.float64)
                model = os.path.join(work, tag + ".onnx")
                matmul_model(model, m, k, n, w)
                so = os.path.join(work, tag + ".so")
                rb.sh([os.path.join(args.bin, "qc-compile"), model, "-q",
                       f"--quantize=w{bits}a16", f"--group-size={GROUP}",
                       "--threads=1", "-o", so])
                inputs_npz = os.path.join(work, tag + "_in.npz")
                rb.save_npz(inputs_npz, {"x": x})
                qc_out = os.path.join(work, tag + "_qc.npz")
                env = rb.thread_env(1)
                rb.sh([os.path.join(args.bin, "qc-run"), so, "--inputs",
                       inputs_npz, "--outputs", qc_out], env=env)
                check(f"qc {tag}", np.load(qc_out)["y"], ref, x, wmax)
                # ORT at accuracy_level 0 (float activations, as qc) and 4
                # (activations quantized to int8 per block: ORT's fastest
                # CPU path, less exact; checked loosely).
                ort = {}
                if args.ort:
                    inputs_json = rb.save_npy_inputs(work, tag, {"x": x})
                    for level in (0, 4):
                        ort_model = os.path.join(work,
                                                 f"{tag}_nbits{level}.onnx")
                        matmul_nbits_model(ort_model, m, k, n, bits, u, scales,
                                           zps, level)
                        ort_dir = os.path.join(work, f"{tag}_ort{level}")
                        os.makedirs(ort_dir, exist_ok=True)
                        rb.sh(rb.ort_cmd(ort_model, inputs_json, ort_dir, 1, 1)
                              [:-2], env=rb.ort_env(args.cache))
                        got = rb.read_ort_output(ort_dir)["y"]
                        if level == 0:
                            check(f"onnxruntime {tag}", got, ref, x, wmax)
                        else:
                            rel = np.sqrt(((got - ref) ** 2).mean() /
                                          (ref ** 2).mean())
                            if not rel < 0.05:
                                raise RuntimeError(
                                    f"onnxruntime {tag} level 4: relative "
                                    f"RMS error {rel:.3g}")
                        # Enough runs for ~0.3 s, 3 to 50.
                        once = rb.median_ms(rb.sh(
                            rb.ort_cmd(ort_model, inputs_json, ort_dir, 1, 3),
                            env=rb.ort_env(args.cache)))
                        ort[level] = (rb.ort_cmd(
                            ort_model, inputs_json, ort_dir, 1,
                            max(3, min(50, int(300 / max(once, 1e-3))))))
                reps = 50
                times = []
                for r in range(args.rounds):
                    t = {"ghz": clock.ghz()}
                    t["qc"] = rb.median_ms(rb.sh(
                        [os.path.join(args.bin, "qc-run"), so, "--inputs",
                         inputs_npz, "--bench", str(reps)], env=env))
                    for level, cmd in ort.items():
                        t[f"ort{level}"] = rb.median_ms(rb.sh(
                            cmd, env=rb.ort_env(args.cache)))
                    t["bw"] = bw.ms(nbytes, reps)
                    times.append(t)
                    print(f"  {tag} round {r}: " +
                          ", ".join(f"{a}={v:.3f}" for a, v in t.items()),
                          file=sys.stderr)
                best = max(t["ghz"] for t in times)
                slow = sum(t["ghz"] < 0.85 * best for t in times)
                qc_ms = statistics.median(t["qc"] for t in times)
                bw_ms = statistics.median(t["bw"] for t in times)
                row = [f"{m}x{k}x{n}", f"w{bits}a16 g{GROUP}",
                       f"{nbytes / 2**20:.1f}", f"{qc_ms:.3f}",
                       f"{nbytes / qc_ms / 1e6:.1f}",
                       f"{nbytes / bw_ms / 1e6:.1f}",
                       rb.fmt_ratio(rb.ratios_row(times, "qc", "bw"))]
                for level in (0, 4):
                    if level in ort:
                        key = f"ort{level}"
                        ms = statistics.median(t[key] for t in times)
                        row += [f"{ms:.3f}",
                                rb.fmt_ratio(rb.ratios_row(times, "qc", key))]
                    else:
                        row += ["n/a", "n/a"]
                row.append(f"{slow}/{len(times)}")
                rows.append(row)
    header = ["M x K x N", "scheme", "weight MiB", "qc ms", "qc GB/s",
              "read GB/s", "fraction of read bandwidth",
              "ORT MatMulNBits ms (acc. 0)", "ORT acc. 0 ms / qc ms",
              "ORT ms (acc. 4)", "ORT acc. 4 ms / qc ms", "slow rounds"]
    rb.table(out, "Weight-only GEMV/GEMM (1 thread)", header, rows)


def main():
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(rb.REPO, "build", "bin"))
    p.add_argument("--cache", default=os.environ.get(
        "QC_CACHE", os.path.join(rb.REPO, ".cache")))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true")
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
