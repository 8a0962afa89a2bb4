# SPDX-License-Identifier: Apache-2.0
"""Writes an input for Inputs/gemm_w4.mlir and the expected output y,
computed independently with numpy: x quantized to u8 (scale 0.05, zero
point 128, f32 division, round half to even, saturated), the exact integer
matmul with the int4 weights w[k][n] = (7 k + 3 n) mod 16 - 8, then one f32
multiply per column by f32(0.05) * f32(s_n), s_n = 0.01 * (1 + n mod 5).
Usage: gemm_w4_reference.py INPUT.npz WANT.npz"""
import sys

import numpy as np

K, N = 80, 24
rng = np.random.default_rng(11)
x = (rng.standard_normal((4, K)) * 3).astype(np.float32)
x[0, :2] = [1000.0, -1000.0]  # saturation
q = np.clip(np.round(x / np.float32(0.05)) + np.float32(128), 0, 255)
k, n = np.meshgrid(np.arange(K), np.arange(N), indexing="ij")
w = (7 * k + 3 * n) % 16 - 8
acc = (q.astype(np.int64) - 128) @ w.astype(np.int64)
s = np.array([np.float32(float(f"{0.01 * (1 + i % 5):.2f}")) for i in range(N)],
             np.float32)
y = acc.astype(np.float32) * (np.float32(0.05) * s)
np.savez(sys.argv[1], x=x)
np.savez(sys.argv[2], y=y)
