#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""GPU GEMM benchmark: qc's tensor-core kernels against cuBLASLt.

Run by hand on a machine with an NVIDIA GPU (sm_89 or sm_90a), the CUDA
toolkit and PyTorch with CUDA (for the cuBLASLt reference):

  test/Integration/GPU/bench_gemm.py --bin build/bin --arch sm_90a \
      [--sizes 4096,8192] [--wgmma] [--runs 20]

For each size S and each of INT8 (u8 x s8 -> i32, then the fused f32
rescale) and FP8 (e4m3 x e4m3 -> f32, fused rescale), it writes a one-matmul
model (the input is the already quantized activation bytes, so the model
runs exactly one GEMM kernel), compiles it with qc-gpu-compile, runs it with
qc-run under QC_CUDA_PROFILE=1 (runtime/src/qc_cuda.c times each kernel
with CUDA events, without the host<->device copies) and takes the GEMM
kernel's best time. The reference is PyTorch on the same GPU in the same
run: torch._int_mm (cuBLASLt INT8) and torch._scaled_mm (cuBLASLt FP8),
timed with CUDA events, best of --runs.

It also checks the result of the smallest INT8 problem against numpy (exact:
integer accumulation, then one f32 multiply) so that a fast but wrong kernel
does not pass, and measures a W4 GEMV (1 x S x S, int4 weights) against the
device's copy bandwidth.

Prints one line per measurement and a summary table (Markdown, for
docs/benchmarks.md).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

PROFILE_LINE = re.compile(
    r"qc-cuda-profile: (\S+) launches (\d+) min_ms ([0-9.]+) mean_ms ([0-9.]+)")


def write_gemm_model(path, kind, m, n, k, weight_bytes):
    """A model computing y = dequant(x_q) @ dequant(w) for quantized x bytes."""
    if kind == "int8":
        data = "!qc.uniform<u8:f32, 0.05:128>"
        weight = "!qc.uniform<i8:f32, 0.01>"
    else:
        data = "!qc.uniform<f8E4M3FN:f32, 0.5>"
        weight = "!qc.uniform<f8E4M3FN:f32, 0.25>"
    hex_bytes = weight_bytes.tobytes().hex().upper()
    with open(path, "w") as f:
        f.write(f"""module {{
  func.func @main_graph(%x: tensor<{m}x{k}xi8> {{qc.name = "x"}}) -> (tensor<{m}x{n}xf32> {{qc.name = "y"}}) {{
    %q = qc.storage_cast %x : tensor<{m}x{k}xi8> -> tensor<{m}x{k}x{data}>
    %wb = arith.constant dense<"0x{hex_bytes}"> : tensor<{k}x{n}xi8>
    %w = qc.storage_cast %wb : tensor<{k}x{n}xi8> -> tensor<{k}x{n}x{weight}>
    %y = qc.matmul %q, %w : (tensor<{m}x{k}x{data}>, tensor<{k}x{n}x{weight}>) -> tensor<{m}x{n}xf32>
    return %y : tensor<{m}x{n}xf32>
  }}
}}
""")


def write_w4_gemv_model(path, n, k, weights):
    """y[1, n] = x[1, k] @ dequant(w4[k, n]), float activations; `weights`
    holds int4 values in [-8, 7] (MLIR's hex form keeps one per byte)."""
    hex_bytes = (weights.astype(np.int8) & 0xF).astype(np.uint8).tobytes().hex().upper()
    w = "!qc.uniform<i4:f32, 0.01>"
    with open(path, "w") as f:
        f.write(f"""module {{
  func.func @main_graph(%x: tensor<1x{k}xf32> {{qc.name = "x"}}) -> (tensor<1x{n}xf32> {{qc.name = "y"}}) {{
    %wb = arith.constant dense<"0x{hex_bytes}"> : tensor<{k}x{n}xi4>
    %w = qc.storage_cast %wb : tensor<{k}x{n}xi4> -> tensor<{k}x{n}x{w}>
    %y = qc.matmul %x, %w : (tensor<1x{k}xf32>, tensor<{k}x{n}x{w}>) -> tensor<1x{n}xf32>
    return %y : tensor<1x{n}xf32>
  }}
}}
""")


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}\n"
                 f"{r.stderr[-2000:]}")
    return r


def compile_model(args, mlir, so, extra=()):
    cmd = [os.path.join(args.bin, "qc-gpu-compile"), mlir, "-o", so,
           f"--gpu-arch={args.arch}"] + list(extra)
    if args.wgmma:
        cmd.append("--gpu-wgmma")
    run(cmd)


def profile_model(args, so, inputs, outputs=None):
    """Best device time (ms) of the slowest kernel of the model."""
    env = dict(os.environ, QC_CUDA_PROFILE="1")
    cmd = [os.path.join(args.bin, "qc-run"), so, "--inputs", inputs,
           "--bench", str(args.runs), "--warmup", "3"]
    if outputs:
        cmd += ["--outputs", outputs]
    r = run(cmd, env)
    kernels = [(name, float(best)) for name, _, best, _ in
               PROFILE_LINE.findall(r.stderr)]
    if not kernels:
        sys.exit(f"no qc-cuda-profile lines from {so}:\n{r.stderr}")
    return max(kernels, key=lambda kv: kv[1])


def torch_best_ms(fn, runs):
    import torch
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        best = min(best, start.elapsed_time(stop))
    return best


def reference_ms(kind, s, runs):
    import torch
    dev = "cuda"
    if kind == "int8":
        a = torch.randint(-128, 127, (s, s), dtype=torch.int8, device=dev)
        b = torch.randint(-128, 127, (s, s), dtype=torch.int8, device=dev)
        return torch_best_ms(lambda: torch._int_mm(a, b), runs)
    a = torch.randn(s, s, device=dev).to(torch.float8_e4m3fn)
    b = torch.randn(s, s, device=dev).to(torch.float8_e4m3fn).t()
    one = torch.ones((), device=dev)
    return torch_best_ms(
        lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one,
                                 out_dtype=torch.bfloat16), runs)


def copy_bandwidth_gbs(nbytes, runs):
    import torch
    src = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = torch_best_ms(lambda: dst.copy_(src), runs)
    return 2 * nbytes / (ms * 1e-3) / 1e9  # read + write


def save_npz(path, arrays):
    np.savez(path, **arrays)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True,
                    help="directory with qc-gpu-compile and qc-run")
    ap.add_argument("--arch", default="sm_90a")
    ap.add_argument("--sizes", default="4096,8192")
    ap.add_argument("--wgmma", action="store_true",
                    help="compile with --gpu-wgmma (sm_90a)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--kinds", default="int8,fp8")
    ap.add_argument("--no-gemv", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = args.kinds.split(",")
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="qc-gpu-bench") as tmp:
        # Correctness first, on a small INT8 problem (exact).
        m, n, k = 256, 384, 512
        x = rng.integers(0, 256, (m, k), dtype=np.uint8)
        w = rng.integers(-127, 128, (k, n), dtype=np.int8)
        mlir, so = os.path.join(tmp, "check.mlir"), os.path.join(tmp, "check.so")
        write_gemm_model(mlir, "int8", m, n, k, w)
        compile_model(args, mlir, so)
        inputs, outputs = os.path.join(tmp, "check_in.npz"), os.path.join(tmp, "check_out.npz")
        save_npz(inputs, {"x": x.view(np.int8)})
        profile_model(args, so, inputs, outputs)
        got = np.load(outputs)["y"]
        acc = (x.astype(np.int64) - 128) @ w.astype(np.int64)
        want = acc.astype(np.float32) * np.float32(np.float32(0.05) * np.float32(0.01))
        if not np.array_equal(got, want):
            bad = np.argwhere(got != want)[0]
            sys.exit(f"INT8 GEMM {m}x{n}x{k} differs from numpy at {tuple(bad)}:"
                     f" {got[tuple(bad)]} vs {want[tuple(bad)]}")
        print(f"check: INT8 GEMM {m}x{n}x{k} matches numpy exactly")

        for s in sizes:
            for kind in kinds:
                w = rng.integers(-127, 128, (s, s), dtype=np.int8)
                if kind == "fp8":
                    # Finite e4m3 bytes only (no NaN encodings 0x7F/0xFF).
                    w = (w.view(np.uint8) & 0xF7).view(np.int8)
                mlir = os.path.join(tmp, f"{kind}{s}.mlir")
                so = os.path.join(tmp, f"{kind}{s}.so")
                write_gemm_model(mlir, kind, s, s, s, w)
                compile_model(args, mlir, so)
                x = rng.integers(0, 256, (s, s), dtype=np.uint8)
                if kind == "fp8":
                    x &= 0xF7
                inputs = os.path.join(tmp, f"{kind}{s}.npz")
                save_npz(inputs, {"x": x.view(np.int8)})
                kernel, qc_ms = profile_model(args, so, inputs)
                ref_ms = reference_ms(kind, s, args.runs)
                tops = 2 * s ** 3 / (qc_ms * 1e-3) / 1e12
                ratio = ref_ms / qc_ms
                print(f"{kind} {s}^3: qc {qc_ms:.3f} ms ({tops:.1f} TOPS, "
                      f"kernel {kernel}), cuBLASLt {ref_ms:.3f} ms, "
                      f"qc/cuBLASLt speed {ratio:.2f}x")
                rows.append((f"{kind.upper()} GEMM {s}^3", f"{qc_ms:.3f}",
                             f"{ref_ms:.3f}", f"{ratio:.2f}"))

        if not args.no_gemv:
            s = max(sizes)
            w4 = rng.integers(-8, 8, (s, s), dtype=np.int8)
            mlir = os.path.join(tmp, "gemv.mlir")
            so = os.path.join(tmp, "gemv.so")
            write_w4_gemv_model(mlir, s, s, w4)
            compile_model(args, mlir, so)
            inputs = os.path.join(tmp, "gemv.npz")
            save_npz(inputs, {"x": rng.standard_normal((1, s)).astype(np.float32)})
            kernel, qc_ms = profile_model(args, so, inputs)
            weight_bytes = s * s // 2
            achieved = weight_bytes / (qc_ms * 1e-3) / 1e9
            copy = copy_bandwidth_gbs(weight_bytes, args.runs)
            print(f"W4 GEMV 1x{s}x{s}: qc {qc_ms:.3f} ms, {achieved:.0f} GB/s "
                  f"of weights; copy bandwidth {copy:.0f} GB/s; "
                  f"ratio {achieved / copy:.2f}")
            rows.append((f"W4 GEMV 1x{s}x{s}", f"{qc_ms:.3f}",
                         f"copy {copy:.0f} GB/s", f"{achieved / copy:.2f}"))

    print("\n| problem | qc (ms) | reference | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
