// RUN: split-file %s %t
// RUN: qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-smoothquant{alpha=0.5}))' | FileCheck %s
// RUN: qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-smoothquant{alpha=0.5},qc-quantize))' | FileCheck %s --check-prefix=QUANT
// RUN: qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-smoothquant{alpha=1.0}))' | FileCheck %s --check-prefix=ALPHA1
// RUN: qc-opt %t/errors.mlir -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(qc-smoothquant{alpha=0.5}))'
// RUN: not qc-opt %t/ok.mlir -split-input-file --pass-pipeline='builtin.module(func.func(qc-smoothquant{alpha=1.5}))' 2>&1 | FileCheck %s --check-prefix=BADALPHA
// BADALPHA: error: qc-smoothquant: alpha must be in [0, 1], got 1.5

//--- ok.mlir
// Hand-written statistics, alpha = 0.5:
//   act_max = max(|channel_min|, |channel_max|) = [4, 1, 16, 0.25]
//   w_max   = max_n |W[j, n]|                   = [1, 4, 1, 1]
//   s       = sqrt(act_max / w_max)              = [2, 0.5, 4, 0.5]
// The weight becomes diag(s) W, the activation x * (1 / s) with
// 1 / s = [0.5, 2, 0.25, 2]; its statistics become channel_min / s =
// [-2, -2, 0, -0.5], channel_max / s = [1, 1, 4, 0.25], per tensor [-2, 4];
// the |x| histogram does not carry over.

// CHECK-LABEL: func.func @basic
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>
// CHECK: %[[INV:.*]] = arith.constant dense<[5.000000e-01, 2.000000e+00, 2.500000e-01, 2.000000e+00]> : tensor<4xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[SX:.*]] = linalg.generic {indexing_maps = [#[[ID:.*]], #[[LAST:.*]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[INV]] : tensor<2x4xf32>, tensor<4xf32>) outs(%[[EMPTY]] : tensor<2x4xf32>)
// CHECK: arith.mulf
// CHECK: qc.observe %[[SX]] {name = "x", stats = #qc.stats<min = -2.0, max = 4.0, count = 8, channel_axis = 1, channel_min = dense<[-2.000000e+00, -2.000000e+00, 0.000000e+00, -5.000000e-01]> : tensor<4xf32>, channel_max = dense<[1.000000e+00, 1.000000e+00, 4.000000e+00, 2.500000e-01]> : tensor<4xf32>>}
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, -1.000000e+00, 5.000000e-01], [1.000000e+00, -2.000000e+00, 5.000000e-01], [2.000000e+00, 4.000000e+00, -4.000000e+00], [1.250000e-01, 6.250000e-02, 5.000000e-01]]> : tensor<4x3xf32>
// CHECK: qc.matmul %[[SX]], %[[W]]
// The old weight is gone.
// CHECK-NOT: arith.constant
// CHECK: return

// qc-quantize then quantizes the smoothed activation over [-2, 4]
// (scale 6 / 255, zero point 85).
// QUANT-LABEL: func.func @basic
// QUANT: %[[SX:.*]] = linalg.generic
// QUANT: qc.quantize %[[SX]] : tensor<2x4xf32> -> tensor<2x4x!qc.uniform<u8:f32, 0.023529412:85>>

// alpha = 1: s = act_max, all of the range moves into the weights and every
// channel of x / s spans at most [-1, 1].
// ALPHA1-LABEL: func.func @basic
// ALPHA1: arith.constant dense<[2.500000e-01, 1.000000e+00, 6.250000e-02, 4.000000e+00]> : tensor<4xf32>
// ALPHA1: qc.observe {{.*}}#qc.stats<min = -1.0, max = 1.0, count = 8, channel_axis = 1, channel_min = dense<[-1.000000e+00, -1.000000e+00, 0.000000e+00, -1.000000e+00]> : tensor<4xf32>, channel_max = dense<[5.000000e-01, 5.000000e-01, 1.000000e+00, 5.000000e-01]> : tensor<4xf32>>}
func.func @basic(%x: tensor<2x4xf32> {qc.name = "x"}) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[1.0, -0.5, 0.25], [2.0, -4.0, 1.0], [0.5, 1.0, -1.0], [0.25, 0.125, 1.0]]> : tensor<4x3xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -4.0, max = 16.0, count = 8, hist_max = 16.0, hist = dense<[5, 0, 2, 1]> : tensor<4xi64>, channel_axis = 1, channel_min = dense<[-4.0, -1.0, 0.0, -0.25]> : tensor<4xf32>, channel_max = dense<[2.0, 0.5, 16.0, 0.125]> : tensor<4xf32>>} : tensor<2x4xf32>
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A scale-sharing group: two matmuls read %h (one weight through a
// transpose, as ONNX Gemm transB imports); w_max is taken over both weights
// ([4, 1, 0.5] and [1, 4, 3]: w_max = [4, 4, 3]); act_max = [16, 4, 0], so
// s = sqrt(act_max / w_max) = [2, 1, -], and one multiply feeds both. %h is also read by an add, so its probe
// stays and a second one watches the scaled value. Channel 2 never left
// zero: nothing to migrate, s = 1 there.

// CHECK-LABEL: func.func @group
// CHECK: %[[H:.*]] = arith.addf
// CHECK: %[[INV:.*]] = arith.constant dense<[5.000000e-01, 1.000000e+00, 1.000000e+00]> : tensor<3xf32>
// CHECK: %[[SH:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[INV]] : tensor<1x2x3xf32>, tensor<3xf32>)
// CHECK: qc.observe %[[SH]] {name = "h/smoothed", stats = #qc.stats<min = -8.0, max = 4.0, count = 4, channel_axis = 2, channel_min = dense<[-8.000000e+00, -4.000000e+00, 0.000000e+00]> : tensor<3xf32>, channel_max = dense<[4.000000e+00, 2.000000e+00, 0.000000e+00]> : tensor<3xf32>>}
// CHECK: qc.observe %[[H]] {name = "h", stats = #qc.stats<min = -16.0, max = 8.0
// CHECK: %[[W1:.*]] = arith.constant dense<{{\[}}[8.000000e+00], [1.000000e+00], [5.000000e-01]]> : tensor<3x1xf32>
// CHECK: qc.matmul %[[SH]], %[[W1]]
// CHECK: %[[W2:.*]] = arith.constant dense<{{\[}}[2.000000e+00], [4.000000e+00], [3.000000e+00]]> : tensor<3x1xf32>
// CHECK: qc.matmul %[[SH]], %[[W2]]
// CHECK-NOT: linalg.transpose
// CHECK: arith.addf %[[H]], %[[H]]
func.func @group(%a: tensor<1x2x3xf32> {qc.name = "a"}) -> (tensor<1x2x1xf32>, tensor<1x2x1xf32>, tensor<1x2x3xf32>) {
  %h = arith.addf %a, %a : tensor<1x2x3xf32>
  qc.observe %h {name = "h", stats = #qc.stats<min = -16.0, max = 8.0, count = 4, channel_axis = 2, channel_min = dense<[-16.0, -4.0, 0.0]> : tensor<3xf32>, channel_max = dense<[8.0, 2.0, 0.0]> : tensor<3xf32>>} : tensor<1x2x3xf32>
  %w1 = arith.constant dense<[[4.0], [1.0], [0.5]]> : tensor<3x1xf32>
  %y1 = qc.matmul %h, %w1 : (tensor<1x2x3xf32>, tensor<3x1xf32>) -> tensor<1x2x1xf32>
  %wt = arith.constant dense<[[1.0, 4.0, 3.0]]> : tensor<1x3xf32>
  %init = tensor.empty() : tensor<3x1xf32>
  %w2 = linalg.transpose ins(%wt : tensor<1x3xf32>) outs(%init : tensor<3x1xf32>) permutation = [1, 0]
  %y2 = qc.matmul %h, %w2 : (tensor<1x2x3xf32>, tensor<3x1xf32>) -> tensor<1x2x1xf32>
  %r = arith.addf %h, %h : tensor<1x2x3xf32>
  return %y1, %y2, %r : tensor<1x2x1xf32>, tensor<1x2x1xf32>, tensor<1x2x3xf32>
}

// -----

// Left alone: per-tensor statistics only, no statistics, a non-constant
// weight.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @untouched(%x: tensor<2x4xf32>, %y: tensor<2x4xf32>, %z: tensor<4x3xf32>, %v: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  qc.observe %x {name = "x", stats = #qc.stats<min = -4.0, max = 16.0, count = 8>} : tensor<2x4xf32>
  %a = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  qc.observe %y {name = "y", stats = #qc.stats<min = -4.0, max = 16.0, count = 8, channel_axis = 1, channel_min = dense<-4.0> : tensor<4xf32>, channel_max = dense<16.0> : tensor<4xf32>>} : tensor<2x4xf32>
  %b = qc.matmul %y, %z : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %c = qc.matmul %v, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %a, %b, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

//--- errors.mlir

// Statistics that do not fit the matmul (hand-written, or a stale table).
func.func @channels(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  // expected-error @+1 {{per-channel statistics of 'x' have 3 channels but the matmul contracts 4}}
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<-1.0> : tensor<3xf32>, channel_max = dense<1.0> : tensor<3xf32>>} : tensor<2x4xf32>
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
