// RUN: qc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(qc-fold-channel-scales))' | FileCheck %s
// RUN: qc-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(qc-fold-channel-scales{into-matmul=false}))' | FileCheck %s --check-prefix=NOMM

// The multiply AWQ / SmoothQuant insert is `x * c` along the last dimension,
// here c = [2, 0.5, 4, 0.25]; each case checks where c ends up.

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// LayerNorm's affine step n * gamma + beta: gamma [1, 2, 3, 4] becomes
// gamma * c = [2, 1, 12, 1], beta [1, -1, 0.5, 8] becomes [2, -0.5, 2, 2];
// the matmul reads the affine step directly and no multiply is left.
// CHECK-LABEL: func.func @layernorm
// CHECK-SAME: (%[[N:.*]]: tensor<2x4xf32>
// CHECK-NOT: dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-DAG: %[[G:.*]] = arith.constant dense<[2.000000e+00, 1.000000e+00, 1.200000e+01, 1.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[2.000000e+00, -5.000000e-01, 2.000000e+00, 2.000000e+00]> : tensor<4xf32>
// CHECK: %[[LN:.*]] = linalg.generic {{.*}} ins(%[[N]], %[[G]], %[[B]] : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
// CHECK-NEXT: } -> tensor<2x4xf32>
// CHECK: qc.matmul %[[LN]], %{{.*}} : (tensor<2x4xf32>, tensor<4x3xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @layernorm(%n: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %beta = arith.constant dense<[1.0, -1.0, 0.5, 8.0]> : tensor<4xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %ln = linalg.generic {indexing_maps = [#id, #last, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%n, %gamma, %beta : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e0 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    %s = arith.addf %m, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %c = arith.constant dense<[2.0, 0.5, 4.0, 0.25]> : tensor<4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%ln, %c : tensor<2x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %f: f32, %o: f32):
    %m = arith.mulf %a, %f : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// A LayerNorm without bias (gamma * n, operands swapped) folds too.
// CHECK-LABEL: func.func @gamma_only
// CHECK: %[[G:.*]] = arith.constant dense<[2.000000e+00, 1.000000e+00, 1.200000e+01, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[LN:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[G]] : tensor<2x4xf32>, tensor<4xf32>)
// CHECK: return %[[LN]]
func.func @gamma_only(%n: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %ln = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%n, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%e0 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %g, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %c = arith.constant dense<[2.0, 0.5, 4.0, 0.25]> : tensor<4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%ln, %c : tensor<2x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %f: f32, %o: f32):
    %m = arith.mulf %a, %f : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// A previous linear with a float weight W[3, 4] and bias: column n of W and
// b[n] are multiplied by c[n]. With into-matmul=false the multiply stays.
// CHECK-LABEL: func.func @linear_bias
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 5.000000e-01, 4.000000e+00, 2.500000e-01], [4.000000e+00, 1.000000e+00, 8.000000e+00, 5.000000e-01], [-2.000000e+00, -5.000000e-01, -4.000000e+00, -2.500000e-01]]> : tensor<3x4xf32>
// CHECK: %[[P:.*]] = qc.matmul %{{.*}}, %[[W]]
// CHECK: %[[B:.*]] = arith.constant dense<[2.000000e+00, 1.000000e+00, -4.000000e+00, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[P]], %[[B]] : tensor<2x4xf32>, tensor<4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
// NOMM-LABEL: func.func @linear_bias
// NOMM: qc.matmul
// NOMM: linalg.generic
// NOMM: %[[X:.*]] = linalg.generic
// NOMM: return %[[X]]
func.func @linear_bias(%a: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [-1.0, -1.0, -1.0, -1.0]]> : tensor<3x4xf32>
  %p = qc.matmul %a, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %bias = arith.constant dense<[1.0, 2.0, -1.0, 4.0]> : tensor<4xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %y = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %bias : tensor<2x4xf32>, tensor<4xf32>) outs(%e0 : tensor<2x4xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %s = arith.addf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %c = arith.constant dense<[2.0, 0.5, 4.0, 0.25]> : tensor<4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %c : tensor<2x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%u: f32, %f: f32, %o: f32):
    %m = arith.mulf %u, %f : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// A previous linear with a group-wise quantized weight (groups of 2 input
// channels): the codes stay, the scales of output channel n are multiplied
// by c[n] ([[1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5]] -> [[2, 0.5, 4, 0.25],
// [1, 0.25, 2, 0.125]]); zero points unchanged.
// CHECK-LABEL: func.func @linear_quantized
// CHECK: %[[C:.*]] = arith.constant dense<{{\[}}[1, 2, 3, 4], [5, 6, 7, 0], [0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<4x4xi4>
// CHECK: %[[W:.*]] = qc.storage_cast %[[C]] : tensor<4x4xi4> -> tensor<4x4x!qc.uniform<u4:f32:0, block = 2, scales = dense<{{\[}}[2.000000e+00, 5.000000e-01, 4.000000e+00, 2.500000e-01], [1.000000e+00, 2.500000e-01, 2.000000e+00, 1.250000e-01]]> : tensor<2x4xf32>, zero_points = dense<{{\[}}[8, 8, 8, 8], [1, 2, 3, 4]]> : tensor<2x4xi32>>>
// CHECK: %[[Y:.*]] = qc.matmul %{{.*}}, %[[W]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @linear_quantized(%a: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %codes = arith.constant dense<[[1, 2, 3, 4], [5, 6, 7, 0], [0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<4x4xi4>
  %w = qc.storage_cast %codes : tensor<4x4xi4> -> tensor<4x4x!qc.uniform<u4:f32:0, block = 2, scales = dense<[[1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<2x4xf32>, zero_points = dense<[[8, 8, 8, 8], [1, 2, 3, 4]]> : tensor<2x4xi32>>>
  %p = qc.matmul %a, %w : (tensor<2x4xf32>, tensor<4x4x!qc.uniform<u4:f32:0, block = 2, scales = dense<[[1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<2x4xf32>, zero_points = dense<[[8, 8, 8, 8], [1, 2, 3, 4]]> : tensor<2x4xi32>>>) -> tensor<2x4xf32>
  %c = arith.constant dense<[2.0, 0.5, 4.0, 0.25]> : tensor<4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %c : tensor<2x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%u: f32, %f: f32, %o: f32):
    %m = arith.mulf %u, %f : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// Must NOT fold: the LayerNorm output has another reader (the residual
// add), which would see the scaled value. gamma stays [1, 2, 3, 4] and the
// multiply stays.
// CHECK-LABEL: func.func @other_user
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK: %[[LN:.*]] = linalg.generic
// CHECK: %[[C:.*]] = arith.constant dense<[2.000000e+00, 5.000000e-01, 4.000000e+00, 2.500000e-01]>
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%[[LN]], %[[C]] :
// CHECK: return %[[X]], %[[LN]]
func.func @other_user(%n: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %ln = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%n, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%e0 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %c = arith.constant dense<[2.0, 0.5, 4.0, 0.25]> : tensor<4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%ln, %c : tensor<2x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %f: f32, %o: f32):
    %m = arith.mulf %a, %f : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %x, %ln : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// Must NOT fold: a nonlinearity (here tanh, as in GELU) between the matmul
// and the multiply does not commute with per-channel scaling.
// CHECK-LABEL: func.func @nonlinear
// CHECK: %[[W:.*]] = arith.constant dense<1.000000e+00> : tensor<3x4xf32>
// CHECK: qc.matmul %{{.*}}, %[[W]]
// CHECK: math.tanh
// CHECK: %[[X:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: return %[[X]]
func.func @nonlinear(%a: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %p = qc.matmul %a, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%p : tensor<2x4xf32>) outs(%e0 : tensor<2x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %h = math.tanh %u : f32
    linalg.yield %h : f32
  } -> tensor<2x4xf32>
  %c = arith.constant dense<[2.0, 0.5, 4.0, 0.25]> : tensor<4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%t, %c : tensor<2x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%u: f32, %f: f32, %o: f32):
    %m = arith.mulf %u, %f : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// Must NOT fold (and must not crash): the previous linear's float weight is
// a dense_resource blob, which the pass does not rewrite.
// CHECK-LABEL: func.func @resource_weight
// CHECK: %[[W:.*]] = arith.constant dense_resource<ones> : tensor<2x4xf32>
// CHECK: qc.matmul %{{.*}}, %[[W]]
// CHECK: %[[X:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: return %[[X]]
func.func @resource_weight(%a: tensor<2x2xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense_resource<ones> : tensor<2x4xf32>
  %p = qc.matmul %a, %w : (tensor<2x2xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %c = arith.constant dense<[2.0, 0.5, 4.0, 0.25]> : tensor<4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]} ins(%p, %c : tensor<2x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%u: f32, %f: f32, %o: f32):
    %m = arith.mulf %u, %f : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      ones: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}
