// RUN: split-file %s %t
// RUN: qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{group-size=2}))' | FileCheck %s
// RUN: qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=w8a16 group-size=2 symmetric=true}))' | FileCheck %s --check-prefix=SYM8
// RUN: qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{group-size=2 keep-float=fc2}))' | FileCheck %s --check-prefix=KEEP
// RUN: qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{group-size=2}),convert-qc-to-linalg)' | FileCheck %s --check-prefix=LOWER
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{algo=gptq group-size=2}))' | FileCheck %s --check-prefix=GPTQ
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{algo=awq group-size=2}))' | FileCheck %s --check-prefix=AWQ
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{algo=awq group-size=2 awq-skip-qk-clip=true}))' | FileCheck %s --check-prefix=AWQQK
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=fp8}))' | FileCheck %s --check-prefix=FP8
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=fp8 fp8-weight-scales=channel}))' | FileCheck %s --check-prefix=FP8CH
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=fp8 fp8-format=e5m2}))' | FileCheck %s --check-prefix=E5M2
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=fp8 fp8-format=e5m2 fp8-weight-scales=channel}))' | FileCheck %s --check-prefix=E5M2CH
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=fp8 fp8-format=e5m2 fp8-weight-scales=channel},qc-strip-observers),convert-qc-to-linalg)' | FileCheck %s --check-prefix=E5M2-LOWER
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=w4a8}))' | FileCheck %s --check-prefix=W4A8
// RUN: qc-opt %t/calibrated.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=w4a8},qc-strip-observers),convert-qc-to-linalg)' | FileCheck %s --check-prefix=W4A8-LOWER
// RUN: qc-opt %t/mixed.mlir --pass-pipeline='builtin.module(func.func(qc-quantize-weights{group-size=0 mixed-precision=true max-size-ratio=0.7}))' 2>&1 | FileCheck %s --check-prefix=MIXED
// RUN: qc-opt %t/mixed.mlir --pass-pipeline='builtin.module(func.func(qc-quantize-weights{group-size=0 mixed-precision=true max-size-ratio=0 max-error-increase=0.001}))' 2>&1 | FileCheck %s --check-prefix=ERRBUDGET
// RUN: qc-opt %t/mixed.mlir --pass-pipeline='builtin.module(func.func(qc-quantize-weights{group-size=0 mixed-precision=true max-size-ratio=0 max-error-increase=0.01}))' 2>&1 | FileCheck %s --check-prefix=ERRMET
// RUN: qc-opt %t/mixed.mlir --pass-pipeline='builtin.module(func.func(qc-quantize-weights{group-size=0 mixed-precision=true max-size-ratio=0.65 max-error-increase=0.001}))' 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: qc-opt %t/errors.mlir -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(qc-quantize-weights{algo=gptq}))'
// RUN: not qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=w3a16}))' 2>&1 | FileCheck %s --check-prefix=BADSCHEME
// BADSCHEME: error: qc-quantize-weights: unknown scheme 'w3a16' (expected w4a16, w8a16, w4a8 or fp8)
// RUN: not qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=fp8 fp8-format=e3m4}))' 2>&1 | FileCheck %s --check-prefix=BADFORMAT
// BADFORMAT: error: qc-quantize-weights: unknown fp8-format 'e3m4' (expected e4m3 or e5m2)
// RUN: not qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-quantize-weights{scheme=fp8 fp8-weight-scales=group}))' 2>&1 | FileCheck %s --check-prefix=BADSCALES
// BADSCALES: error: qc-quantize-weights: unknown fp8-weight-scales 'group' (expected tensor or channel)
// RUN: not qc-opt %t/mixed.mlir --pass-pipeline='builtin.module(func.func(qc-quantize-weights{mixed-precision=true max-size-ratio=0}))' 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// NOBUDGET: error: qc-quantize-weights: mixed-precision needs a budget: a positive max-size-ratio and/or max-error-increase
// RUN: not qc-opt %t/mixed.mlir --pass-pipeline='builtin.module(func.func(qc-quantize-weights{mixed-precision=true max-error-increase=-0.5}))' 2>&1 | FileCheck %s --check-prefix=NEGBUDGET
// NEGBUDGET: error: qc-quantize-weights: max-size-ratio and max-error-increase must be finite and non-negative
// RUN: not qc-opt %t/mixed.mlir --pass-pipeline='builtin.module(func.func(qc-quantize-weights{mixed-precision=true max-error-increase=abc}))' 2>&1 | FileCheck %s --check-prefix=NOTNUMBER
// NOTNUMBER: max-error-increase

//--- ok.mlir
// W [K=4, N=2], groups of 2 input channels, asymmetric u4 (range widened
// to contain 0, s = (max - min) / 15, z = -rne(min / s)):
//   group 0, column 0: {1, -1}     s = 2/15,   z = 7  (-1/s = -7.4999996)
//                                  codes 14, 0
//   group 0, column 1: {-0.5, 0.25} s = 0.05,  z = 10, codes 0, 15
//   group 1, column 0: {0, 3}      s = 0.2,    z = 0,  codes 0, 15
//   group 1, column 1: {2, 1}      s = 2/15,   z = 0,  codes 15, 7
// i4 literals print signed: 14 -> -2, 15 -> -1.

// CHECK-LABEL: func.func @rtn
// CHECK: %[[C:.*]] = arith.constant dense<{{\[}}[-2, 0], [0, -1], [0, -1], [-1, 7]]> : tensor<4x2xi4>
// CHECK: %[[W:.*]] = qc.storage_cast %[[C]] : tensor<4x2xi4> -> tensor<4x2x!qc.uniform<u4:f32:0, block = 2, scales = dense<{{\[}}[0.13333334, 5.000000e-02], [2.000000e-01, 0.13333334]]> : tensor<2x2xf32>, zero_points = dense<{{\[}}[7, 10], [0, 0]]> : tensor<2x2xi32>>>
// CHECK: qc.matmul %{{.*}}, %[[W]] : (tensor<3x4xf32>, tensor<4x2x!qc.uniform<u4:f32:0, block = 2
// CHECK-SAME: -> tensor<3x2xf32>
// The float weight is gone.
// CHECK-NOT: xf32>
// CHECK: return

// Symmetric int8: s = max|w| / 127 per group, codes in [-128, 127], no
// zero points.
// SYM8-LABEL: func.func @rtn
// SYM8: arith.constant dense<{{\[}}[127, -127], [-127, 64], [0, 127], [127, 64]]> : tensor<4x2xi8>
// SYM8: tensor<4x2x!qc.uniform<i8:f32:0, block = 2, scales = dense<{{\[}}[0.00787401571, 0.00393700786], [0.0236220472, 0.0157480314]]> : tensor<2x2xf32>>>

// The lowering packs the codes two per byte along N (column 2j in the low
// nibble): byte = code[2j+1] << 4 | code[2j], read as i8: 14, -16, -16, 127;
// the loop body unpacks the nibble of its column and dequantizes it.
// LOWER-DAG: #[[PACKED:.*]] = affine_map<(d0, d1, d2) -> (d2, d1 floordiv 2)>
// LOWER-DAG: #[[PARAMS:.*]] = affine_map<(d0, d1, d2) -> (d2 floordiv 2, d1)>
// LOWER-LABEL: func.func @rtn
// LOWER: %[[BYTES:.*]] = arith.constant dense<{{\[}}[14], [-16], [-16], [127]]> : tensor<4x1xi8>
// LOWER: linalg.generic {indexing_maps = [#{{.*}}, #[[PACKED]], #[[PARAMS]], #[[PARAMS]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[BYTES]], %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x1xi8>, tensor<2x2xf32>, tensor<2x2xi32>)
// LOWER: linalg.index 1
// LOWER: arith.shrui
// LOWER: arith.andi
// LOWER: arith.trunci %{{.*}} : i8 to i4
// LOWER: arith.extui %{{.*}} : i4 to i32
// LOWER: arith.subi
// LOWER: arith.mulf
// LOWER: arith.mulf
// LOWER: arith.addf
func.func @rtn(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -0.5], [-1.0, 0.25], [0.0, 2.0], [3.0, 1.0]]> : tensor<4x2xf32>
  %y = qc.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// K = 3 is not a multiple of the group size: one group per output channel
// (block = K). A weight read through a transpose is quantized too; keep-float
// leaves fc2 alone; batched and activation x activation matmuls are skipped.
// CHECK-LABEL: func.func @shapes
// CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x2x!qc.uniform<u4:f32:0, block = 3,
// The transposed weight [[1, -1], [2, -2], [3, 0.5]]: column 0 in [0, 3]
// (s = 0.2, z = 0, codes 5, 10, 15), column 1 in [-2, 0.5] (s = 1/6,
// z = 12, codes 6, 0, 15); i4 literals print signed.
// CHECK: arith.constant dense<{{\[}}[5, 6], [-6, 0], [-1, -1]]> : tensor<3x2xi4>
// CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x2x!qc.uniform<u4:f32:0, block = 3, scales = dense<{{\[}}[2.000000e-01, 0.166666672]]> : tensor<1x2xf32>, zero_points = dense<{{\[}}[0, 12]]>
// CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
// KEEP-LABEL: func.func @shapes
// KEEP: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x2x!qc.uniform
// KEEP: linalg.transpose
// KEEP: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
// KEEP: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
func.func @shapes(%x: tensor<2x3xf32>, %a: tensor<3x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %w = arith.constant dense<[[1.0, -0.5], [-1.0, 0.25], [0.0, 2.0]]> : tensor<3x2xf32>
  %y = qc.matmul %x, %w : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32> loc("fc1")
  %wt = arith.constant dense<[[1.0, 2.0, 3.0], [-1.0, -2.0, 0.5]]> : tensor<2x3xf32>
  %init = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%wt : tensor<2x3xf32>) outs(%init : tensor<3x2xf32>) permutation = [1, 0]
  %z = qc.matmul %x, %t : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32> loc("fc2")
  %v = qc.matmul %x, %a : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32> loc("attn")
  return %y, %z, %v : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

//--- calibrated.mlir
// GPTQ with H = cI has no correlations to exploit: it is exactly RTN (the
// codes and parameters of @rtn above).
// GPTQ-LABEL: func.func @gptq_identity
// GPTQ: arith.constant dense<{{\[}}[-2, 0], [0, -1], [0, -1], [-1, 7]]> : tensor<4x2xi4>
// GPTQ: zero_points = dense<{{\[}}[7, 10], [0, 0]]>
// FP8 (E4M3FN, per-tensor amax / 448): the activation's statistics give
// s_x = 1 / 448; the weight's max |W| = 3 gives s_w = 3 / 448. W / s_w:
// 1 -> 149.3 -> 144 (0x71 = 113), -0.5 -> -74.7 -> -72 (0xE9 = -23),
// -1 -> -144 (0xF1 = -15), 3 -> 448 (0x7E = 126), 2 -> 298.7 -> 288
// (0x79 = 121), 0.25 -> 37.3 -> 36 (0x61 = 97).
// FP8-LABEL: func.func @gptq_identity
// FP8-SAME: (%[[X:[^:]*]]: tensor<3x4xf32>)
// FP8: %[[Q:.*]] = qc.quantize %[[X]] : tensor<3x4xf32> -> tensor<3x4x!qc.uniform<f8E4M3FN:f32, 0.002232143>>
// FP8: %[[XD:.*]] = qc.dequantize %[[Q]]
// FP8: %[[C:.*]] = arith.constant dense<{{\[}}[113, -23], [-15, 97], [0, 121], [126, 113]]> : tensor<4x2xi8>
// FP8: %[[W:.*]] = qc.storage_cast %[[C]] : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<f8E4M3FN:f32, 0.0066964286>>
// FP8: qc.matmul %[[XD]], %[[W]]
// FP8 with per-output-channel weight scales: s_w[n] = max_k |W[k, n]| / 448
// (3 / 448 and 2 / 448). Column 0 as above; column 1 / s_w[1]: -0.5 -> -112
// (0xEE = -18), 0.25 -> 56 (0x66 = 102), 2 -> 448 (0x7E = 126), 1 -> 224
// (0x76 = 118).
// FP8CH-LABEL: func.func @gptq_identity
// FP8CH: qc.quantize %{{.*}} -> tensor<3x4x!qc.uniform<f8E4M3FN:f32, 0.002232143>>
// FP8CH: %[[C:.*]] = arith.constant dense<{{\[}}[113, -18], [-15, 102], [0, 126], [126, 118]]> : tensor<4x2xi8>
// FP8CH: qc.storage_cast %[[C]] : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<f8E4M3FN:f32:1, {0.0066964286, 0.004464286}>>
// E5M2 (max 57344), per tensor: s_x = 1 / 57344, s_w = 3 / 57344. W / s_w:
// 1 -> 19114.7 -> 20480 (1.25 * 2^14: exponent field 29, mantissa 01,
// 0x75 = 117), -1 -> 0xF5 = -11, 3 -> 57344 (0x7B = 123), 2 -> 38229.3 ->
// 40960 (0x79 = 121), -0.5 -> -9557.3 -> -10240 (0xF1 = -15), 0.25 ->
// 4778.7 -> 5120 (0x6D = 109).
// E5M2-LABEL: func.func @gptq_identity
// E5M2: qc.quantize %{{.*}} : tensor<3x4xf32> -> tensor<3x4x!qc.uniform<f8E5M2:f32, 1.7438617e-05>>
// E5M2: %[[C:.*]] = arith.constant dense<{{\[}}[117, -15], [-11, 109], [0, 121], [123, 117]]> : tensor<4x2xi8>
// E5M2: qc.storage_cast %[[C]] : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<f8E5M2:f32, 5.231585e-05>>
// E5M2, per channel: s_w = {3, 2} / 57344; column 1 / s_w[1]: -0.5 ->
// -14336 (1.75 * 2^13, 0xF3 = -13), 0.25 -> 7168 (0x6F = 111), 2 -> 57344
// (0x7B = 123), 1 -> 28672 (0x77 = 119).
// E5M2CH-LABEL: func.func @gptq_identity
// E5M2CH: %[[C:.*]] = arith.constant dense<{{\[}}[117, -13], [-11, 111], [0, 123], [123, 119]]> : tensor<4x2xi8>
// E5M2CH: qc.storage_cast %[[C]] : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<f8E5M2:f32:1, {5.231585e-05, 3.4877234e-05}>>
// The CPU lowering runs it by conversion: the weight-only matmul loop reads
// the FP8 byte and the scale of its column (a [2] f32 input indexed by n),
// decodes E5M2 (2 mantissa bits: shift by 21; subnormal unit 2^-16; field
// 31 is Inf/NaN) and multiplies.
// E5M2-LOWER-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// E5M2-LOWER-LABEL: func.func @gptq_identity
// E5M2-LOWER: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[COL]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x2xi8>, tensor<2xf32>)
// E5M2-LOWER: arith.constant 21 : i32
// E5M2-LOWER: arith.constant 1.52587891E-5 : f32
// E5M2-LOWER: arith.constant 124 : i32
// E5M2-LOWER: arith.mulf
// E5M2-LOWER: arith.mulf
// E5M2-LOWER: arith.addf
// w4a8: symmetric int4 weights per output channel (s = max|W[:, n]| / 7:
// 3/7 and 2/7; codes rne(W / s)) and the activation quantized to u8 per
// tensor over [-1, 1] (s = 2/255, zero point 128); the lowering
// accumulates integer products in i32.
// W4A8-LABEL: func.func @gptq_identity
// W4A8: %[[Q:.*]] = qc.quantize %{{.*}} : tensor<3x4xf32> -> tensor<3x4x!qc.uniform<u8:f32, 0.007843138:128>>
// W4A8: arith.constant dense<{{\[}}[2, -2], [-2, 1], [0, 7], [7, 3]]> : tensor<4x2xi4>
// W4A8: qc.matmul %[[Q]], %{{.*}} : (tensor<3x4x!qc.uniform<u8:f32, 0.007843138:128>>, tensor<4x2x!qc.uniform<i4:f32:1, {0.42857143, 0.2857143}>>) -> tensor<3x2xf32>
// W4A8-LOWER-LABEL: func.func @gptq_identity
// W4A8-LOWER: ^bb0(%{{.*}}: i8, %{{.*}}: i4, %{{.*}}: f32, %{{.*}}: i32):
// W4A8-LOWER: arith.extui %{{.*}} : i8 to i32
// W4A8-LOWER: arith.extsi %{{.*}} : i4 to i32
// W4A8-LOWER: arith.muli %{{.*}}, %{{.*}} : i32
func.func @gptq_identity(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -0.5], [-1.0, 0.25], [0.0, 2.0], [3.0, 1.0]]> : tensor<4x2xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 1.0, count = 4>, qc.hessian = dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]]> : tensor<4x4xf32>, qc.mean_abs = dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>} : tensor<3x4xf32>
  %y = qc.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// With AWQ, two matmuls that read the same activation share one scale
// vector s: x * (1 / s) is computed once, right after x, and both read it.
// The salient channel 0 (mean |x| 24, H[0, 0] = 1800) gets the largest s.
// AWQ-LABEL: func.func @awq_shared
// AWQ-SAME: (%[[X:[^:]*]]: tensor<3x4xf32>)
// AWQ: %[[INV:.*]] = arith.constant dense<[0.3{{[0-9]*}}, {{[1-9]}}.{{[0-9]*}}, {{[1-9]}}.{{[0-9]*}}, {{[1-9]}}.{{[0-9]*}}]> : tensor<4xf32>
// AWQ: %[[SX:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[INV]] : tensor<3x4xf32>, tensor<4xf32>)
// AWQ: arith.mulf
// AWQ: qc.matmul %[[SX]], %{{.*}} : (tensor<3x4xf32>, tensor<4x2x!qc.uniform<u4:f32:0, block = 2
// AWQ: qc.matmul %[[SX]], %{{.*}} : (tensor<3x4xf32>, tensor<4x3x!qc.uniform<u4:f32:0, block = 2
func.func @awq_shared(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x3xf32>) {
  %w = arith.constant dense<[[0.1, -0.5], [-1.0, 0.25], [0.0, 2.0], [0.7, 0.01]]> : tensor<4x2xf32>
  %v = arith.constant dense<[[0.3, -0.2, 0.1], [-0.4, 0.25, 1.0], [0.5, 0.2, -0.3], [0.01, 0.02, 0.9]]> : tensor<4x3xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -30.0, max = 30.0, count = 4>, qc.hessian = dense<[[1800.0, 1.0, 0.0, 0.0], [1.0, 2.0, 0.5, 0.0], [0.0, 0.5, 2.0, 0.0], [0.0, 0.0, 0.0, 0.5]]> : tensor<4x4xf32>, qc.mean_abs = dense<[24.0, 1.0, 1.0, 0.5]> : tensor<4xf32>} : tensor<3x4xf32>
  %y = qc.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %z = qc.matmul %x, %v : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  return %y, %z : tensor<3x2xf32>, tensor<3x3xf32>
}

// -----

// With awq-skip-qk-clip, AWQ's clip search skips the output columns that
// feed a query-key product (llm-awq/AutoAWQ skip q/k projections). A fused
// QKV weight [2, 6] whose q, k and v slices hold the same two columns: A =
// (1.0, 0.1) and B = (0.1, 1.0). The mean |x| is equal and so are the
// normalized weight magnitudes of the two channels, so s = 1 (RTN).
// Channel 0 barely varies (H[0, 0] = 2e-4) and channel 1 does (H[1, 1] =
// 2): for A, clipping to 0.75 makes the scale 0.75 / 15 = 0.05 and 0.1
// exact (error 0.25^2 * 1e-4 on channel 0 instead of (2/15 - 0.1)^2 on
// channel 1), so by default every A column gets scale 0.05; B keeps 1 / 15
// (clipping channel 1 only hurts). With the option q's and k's A columns
// keep 1 / 15 and only v's is clipped. V is told apart by its partner in
// the second product (the elementwise op on the scores is not a
// projection).
// AWQ-LABEL: func.func @awq_qk_no_clip
// AWQ-NOT: linalg.generic
// AWQ: tensor<2x6x!qc.uniform<u4:f32:0, block = 2, scales = dense<{{\[\[}}5.000000e-02, 0.0666666701, 5.000000e-02, 0.0666666701, 5.000000e-02, 0.0666666701]]>
// AWQQK-LABEL: func.func @awq_qk_no_clip
// AWQQK-NOT: linalg.generic
// AWQQK: tensor<2x6x!qc.uniform<u4:f32:0, block = 2, scales = dense<{{\[\[}}0.0666666701, 0.0666666701, 0.0666666701, 0.0666666701, 5.000000e-02, 0.0666666701]]>
func.func @awq_qk_no_clip(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 0.1, 1.0, 0.1, 1.0, 0.1], [0.1, 1.0, 0.1, 1.0, 0.1, 1.0]]> : tensor<2x6xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 1.0, count = 3>, qc.hessian = dense<[[2.0e-4, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>, qc.mean_abs = dense<[1.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>
  %qkv = qc.matmul %x, %w : (tensor<3x2xf32>, tensor<2x6xf32>) -> tensor<3x6xf32>
  %q = tensor.extract_slice %qkv[0, 0] [3, 2] [1, 1] : tensor<3x6xf32> to tensor<3x2xf32>
  %k = tensor.extract_slice %qkv[0, 2] [3, 2] [1, 1] : tensor<3x6xf32> to tensor<3x2xf32>
  %v = tensor.extract_slice %qkv[0, 4] [3, 2] [1, 1] : tensor<3x6xf32> to tensor<3x2xf32>
  %init = tensor.empty() : tensor<2x3xf32>
  %kt = linalg.transpose ins(%k : tensor<3x2xf32>) outs(%init : tensor<2x3xf32>) permutation = [1, 0]
  %s = qc.matmul %q, %kt : (tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<3x3xf32>
  %e = tensor.empty() : tensor<3x3xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<3x3xf32>) outs(%e : tensor<3x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    linalg.yield %sq : f32
  } -> tensor<3x3xf32>
  %y = qc.matmul %p, %v : (tensor<3x3xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// The same with separate q, k and v projections (each [2, 2] = A B): q and
// k meet in the first product, v's partner in the second is the scores.
// AWQ-LABEL: func.func @awq_qk_separate
// AWQ-COUNT-3: qc.matmul %{{.*}}, %{{.*}} : (tensor<3x2xf32>, tensor<2x2x!qc.uniform<u4:f32:0, block = 2, scales = dense<{{\[\[}}5.000000e-02, 0.0666666701]]>
// AWQQK-LABEL: func.func @awq_qk_separate
// AWQQK-COUNT-2: qc.matmul %{{.*}}, %{{.*}} : (tensor<3x2xf32>, tensor<2x2x!qc.uniform<u4:f32:0, block = 2, scales = dense<0.0666666701>
// AWQQK: qc.matmul %{{.*}}, %{{.*}} : (tensor<3x2xf32>, tensor<2x2x!qc.uniform<u4:f32:0, block = 2, scales = dense<{{\[\[}}5.000000e-02, 0.0666666701]]>
func.func @awq_qk_separate(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %wq = arith.constant dense<[[1.0, 0.1], [0.1, 1.0]]> : tensor<2x2xf32>
  %wk = arith.constant dense<[[1.0, 0.1], [0.1, 1.0]]> : tensor<2x2xf32>
  %wv = arith.constant dense<[[1.0, 0.1], [0.1, 1.0]]> : tensor<2x2xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 1.0, count = 3>, qc.hessian = dense<[[2.0e-4, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>, qc.mean_abs = dense<[1.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>
  %q = qc.matmul %x, %wq : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %k = qc.matmul %x, %wk : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %v = qc.matmul %x, %wv : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %init = tensor.empty() : tensor<2x3xf32>
  %kt = linalg.transpose ins(%k : tensor<3x2xf32>) outs(%init : tensor<2x3xf32>) permutation = [1, 0]
  %s = qc.matmul %q, %kt : (tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<3x3xf32>
  %y = qc.matmul %s, %v : (tensor<3x3xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

//--- mixed.mlir
// Mixed precision, per output channel (group-size=0): each weight is 32
// bytes in f32; at 4 bits 4 bytes of codes + 16 of scales and zero points,
// at 8 bits 8 + 16. Budget 0.7 * 64 = 44.8 bytes: all-4-bit takes 40, so
// exactly one weight can move to 8 bits (44). fc2's weight is exactly
// representable at 4 bits (both columns span [0, 7.5]: s = 0.5, z = 0, so
// its sensitivity is 0); fc1's is not, and is the one raised.
// MIXED-DAG: remark: loc("fc1"): mixed precision: 'fc1' gets 8-bit weights: sensitivity 0.00222 (relative output error of 4-bit RTN on the calibration data; 6.72e-06 at 8 bits); fits max-size-ratio 0.7
// MIXED-DAG: remark: loc("fc2"): mixed precision: 'fc2' gets 4-bit weights: sensitivity 0 (relative output error of 4-bit RTN on the calibration data; 0 at 8 bits); 8 bits would exceed max-size-ratio 0.7 (0.75)
// MIXED-DAG: remark: mixed precision: 1 of 2 layer groups at 8 bits; weights 0.688 of their f32 size (max-size-ratio 0.7); estimated error 6.72e-06
// The choice is also recorded on the op (for qc-compile --report).
// MIXED-LABEL: func.func @mixed
// MIXED: qc.matmul %{{.*}}, %{{.*}} {qc.mixed_precision = {bits = 8 : i64, error4 = {{.*}} : f64, error8 = {{.*}} : f64, reason = "fits max-size-ratio 0.7", sensitivity = {{.*}} : f64}} : (tensor<3x4xf32>, tensor<4x2x!qc.uniform<u8:f32:0, block = 4
// MIXED: qc.matmul %{{.*}}, %{{.*}} {qc.mixed_precision = {bits = 4 : i64, {{.*}}}} : (tensor<3x4xf32>, tensor<4x2x!qc.uniform<u4:f32:0, block = 4
//
// Error budget alone (max-size-ratio=0): all-4-bit is estimated at
// r4(fc1) + r4(fc2) = 0.00222 + 0 > 0.001, so fc1 (the most sensitive)
// moves to 8 bits; then the estimate r8(fc1) + 0 = 6.72e-06 meets the budget
// and fc2 stays at 4 bits.
// ERRBUDGET-DAG: remark: loc("fc1"): mixed precision: 'fc1' gets 8-bit weights: {{.*}}; estimated error 0.00222 > max-error-increase 0.001
// ERRBUDGET-DAG: remark: loc("fc2"): mixed precision: 'fc2' gets 4-bit weights: {{.*}}; error budget met: estimated error 6.72e-06 <= max-error-increase 0.001
// ERRBUDGET-DAG: remark: mixed precision: 1 of 2 layer groups at 8 bits; weights 0.688 of their f32 size; estimated error 6.72e-06 (max-error-increase 0.001)
// ERRBUDGET-NOT: warning
// A looser budget is met at all-4-bit: nothing is raised.
// ERRMET-DAG: remark: loc("fc1"): mixed precision: 'fc1' gets 4-bit weights: {{.*}}; error budget met: estimated error 0.00222 <= max-error-increase 0.01
// ERRMET-DAG: remark: mixed precision: 0 of 2 layer groups at 8 bits; weights 0.625 of their f32 size; estimated error 0.00222 (max-error-increase 0.01)
// Both budgets: raising fc1 would take 0.688 > 0.65 of the f32 bytes, so
// the error budget stays unmet, with a warning.
// BOTH-DAG: remark: loc("fc1"): mixed precision: 'fc1' gets 4-bit weights: {{.*}}; 8 bits would exceed max-size-ratio 0.65 (0.688)
// BOTH-DAG: warning: mixed precision: the estimated error 0.00222 stays over max-error-increase 0.001 within max-size-ratio 0.65
func.func @mixed(%x: tensor<3x4xf32>, %z: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<[[1.0, 0.01], [0.3, -0.02], [0.05, 0.5], [-0.7, 0.9]]> : tensor<4x2xf32>
  %v = arith.constant dense<[[7.5, 1.0], [0.5, 7.5], [7.5, 2.0], [3.0, 0.0]]> : tensor<4x2xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 1.0, count = 4>, qc.hessian = dense<[[2.0, 0.5, 0.0, 0.0], [0.5, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]]> : tensor<4x4xf32>, qc.mean_abs = dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>} : tensor<3x4xf32>
  qc.observe %z {name = "z", stats = #qc.stats<min = -1.0, max = 1.0, count = 4>, qc.hessian = dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]]> : tensor<4x4xf32>, qc.mean_abs = dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>} : tensor<3x4xf32>
  %y = qc.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32> loc("fc1")
  %u = qc.matmul %z, %v : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32> loc("fc2")
  return %y, %u : tensor<3x2xf32>, tensor<3x2xf32>
}

//--- errors.mlir
func.func @no_hessian(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -0.5], [-1.0, 0.25], [0.0, 2.0], [3.0, 1.0]]> : tensor<4x2xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 1.0, count = 4>} : tensor<3x4xf32>
  // expected-error @+1 {{--algo=gptq needs the calibration Hessian of this matmul's input (a qc.observe with a [4, 4] 'qc.hessian' attribute); calibrate with --calib}}
  %y = qc.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
