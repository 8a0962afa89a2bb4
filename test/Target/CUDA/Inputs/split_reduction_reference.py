# SPDX-License-Identifier: Apache-2.0
"""Writes two GEMVs whose reductions qc-gpu-map-linalg splits across
threads (few outputs, long reductions), their inputs, and their expected
outputs computed independently with numpy:

- gemv_f32.mlir: y[1, 40] = x[1, 1000] @ (0.01 * w4[1000, 40]), float
  activations and per-tensor int4 weights w[k][n] = (5 k + 3 n) mod 16 - 8.
  40 outputs leave idle lanes; 1000 terms do not divide into the slices.
  Expected in float64 (the GPU sums in another order than numpy).
- gemv_f32_128.mlir: the same with 128 outputs and 300 terms,
  w[k][n] = (3 k + 5 n) mod 16 - 8: two outputs per thread.
- gemv_w4a8.mlir: y[1, 24] = dequant(u8(x[1, 512]) @ w4[512, 24]), x
  quantized with scale 0.05 and zero point 128, per-channel int4 weights
  w[k][n] = (7 k + 3 n) mod 16 - 8 with scales 0.01 * (1 + n mod 5): an
  exact integer sum, then one f32 multiply by f32(0.05) * f32(s_n).

Usage: split_reduction_reference.py OUTDIR"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "Integration", "GPU"))
from bench_gemm import write_w4_gemv_model  # noqa: E402

out = sys.argv[1]


def int4_hex(w):
    # MLIR's hex form of an i4 tensor keeps one value per byte.
    return (w.astype(np.int8) & 0xF).astype(np.uint8).tobytes().hex().upper()


rng = np.random.default_rng(24)

def float_gemv(name, K, N, a, b):
    """Float activations x int4 weights w[k][n] = (a k + b n) mod 16 - 8
    (scale 0.01): the model, an input and the float64 numpy result."""
    k, n = np.meshgrid(np.arange(K), np.arange(N), indexing="ij")
    w = (a * k + b * n) % 16 - 8
    write_w4_gemv_model(os.path.join(out, f"gemv_{name}.mlir"), N, K, w)
    x = rng.standard_normal((1, K)).astype(np.float32)
    y = x.astype(np.float64) @ (w.astype(np.float64) *
                                np.float64(np.float32(0.01)))
    np.savez(os.path.join(out, f"{name}_in.npz"), x=x)
    np.savez(os.path.join(out, f"{name}_want.npz"), y=y.astype(np.float32))


float_gemv("f32", 1000, 40, 5, 3)
# 128 outputs: each thread computes two neighbouring ones (split-outputs=2
# divides 128 = 2 blocks x 32 lanes x 2), so both nibbles of a weight byte.
float_gemv("f32_128", 300, 128, 3, 5)

# u8 activations x per-channel int4 weights, exact.
K, N = 512, 24
k, n = np.meshgrid(np.arange(K), np.arange(N), indexing="ij")
w = (7 * k + 3 * n) % 16 - 8
scales = ", ".join(f"{0.01 * (1 + i % 5):.2f}" for i in range(N))
w_t = f"!qc.uniform<i4:f32:1, {{{scales}}}>"
x_t = "!qc.uniform<u8:f32, 0.05:128>"
with open(os.path.join(out, "gemv_w4a8.mlir"), "w") as f:
    f.write(f"""module {{
  func.func @main_graph(%x: tensor<1x{K}xf32> {{qc.name = "x"}}) -> (tensor<1x{N}xf32> {{qc.name = "y"}}) {{
    %q = qc.quantize %x : tensor<1x{K}xf32> -> tensor<1x{K}x{x_t}>
    %wb = arith.constant dense<"0x{int4_hex(w)}"> : tensor<{K}x{N}xi4>
    %w = qc.storage_cast %wb : tensor<{K}x{N}xi4> -> tensor<{K}x{N}x{w_t}>
    %y = qc.matmul %q, %w : (tensor<1x{K}x{x_t}>, tensor<{K}x{N}x{w_t}>) -> tensor<1x{N}xf32>
    return %y : tensor<1x{N}xf32>
  }}
}}
""")
x = (rng.standard_normal((1, K)) * 3).astype(np.float32)
q = np.clip(np.round(x / np.float32(0.05)) + np.float32(128), 0, 255)
acc = (q.astype(np.int64) - 128) @ w.astype(np.int64)
s = np.array([np.float32(float(f"{0.01 * (1 + i % 5):.2f}")) for i in range(N)],
             np.float32)
y = acc.astype(np.float32) * (np.float32(0.05) * s)
np.savez(os.path.join(out, "w4a8_in.npz"), x=x)
np.savez(os.path.join(out, "w4a8_want.npz"), y=y)
