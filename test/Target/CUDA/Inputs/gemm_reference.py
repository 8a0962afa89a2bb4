# SPDX-License-Identifier: Apache-2.0
"""Writes an input for Inputs/gemm.mlir and the expected value of its INT8
output y, computed independently with numpy: x quantized to u8 (scale 0.05,
zero point 128, f32 division, round half to even, saturated), the integer
matmul with the constant weight (all 3) exactly, then one f32 multiply by
the f32 product of the scales. Usage: gemm_reference.py INPUT.npz WANT.npz"""
import sys

import numpy as np

rng = np.random.default_rng(7)
x = (rng.standard_normal((4, 96)) * 3).astype(np.float32)
x[0, :4] = [1000.0, -1000.0, 0.025, -0.075]  # saturation and ties
q = np.clip(np.round(x / np.float32(0.05)) + np.float32(128), 0, 255)
acc = (q.astype(np.int64) - 128) @ np.full((96, 40), 3, np.int64)
scale = np.float32(np.float32(0.05) * np.float32(0.01))
y = acc.astype(np.float32) * scale
np.savez(sys.argv[1], x=x)
np.savez(sys.argv[2], y=y)
