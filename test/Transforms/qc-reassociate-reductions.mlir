// RUN: qc-opt %s -split-input-file --qc-reassociate-reductions | FileCheck %s

#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The accumulating add of a row sum may reassociate; the add that only
// computes the summand keeps its flags.
// CHECK-LABEL: func.func @row_sum_of_squares
// CHECK: %[[SQ:.*]] = arith.mulf
// CHECK: %[[SHIFTED:.*]] = arith.addf %[[SQ]], %{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %[[SHIFTED]] fastmath<reassoc> : f32
func.func @row_sum_of_squares(%x: tensor<4x8xf32>, %acc: tensor<4xf32>) -> tensor<4xf32> {
  %one = arith.constant 1.0 : f32
  %r = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%v: f32, %s: f32):
    %sq = arith.mulf %v, %v : f32
    %shifted = arith.addf %sq, %one : f32
    %a = arith.addf %s, %shifted : f32
    linalg.yield %a : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A max reduction is not an addition: unchanged.
// CHECK-LABEL: func.func @row_max
// CHECK: arith.maximumf
// CHECK-NOT: fastmath
func.func @row_max(%x: tensor<4x8xf32>, %acc: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%v: f32, %s: f32):
    %m = arith.maximumf %s, %v : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Innermost loop parallel (an elementwise add into the output): unchanged.
// CHECK-LABEL: func.func @elementwise
// CHECK: arith.addf
// CHECK-NOT: fastmath
func.func @elementwise(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
