// RUN: qc-opt %s -split-input-file --qc-reorder-reduction-loops | FileCheck %s

// A matmul becomes a generic whose innermost loop is n, the output's and
// B's contiguous dimension; k moves out, between m and n.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.matmul
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x16xf32>)
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// batch_matmul: (b, m, k, n).
// CHECK-LABEL: func.func @batch_matmul
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "parallel"]
func.func @batch_matmul(%a: tensor<2x4x8xf32>, %b: tensor<2x8x16xf32>, %c: tensor<2x4x16xf32>) -> tensor<2x4x16xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%c : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return %r : tensor<2x4x16xf32>
}

// -----

// A row sum reads no input contiguously along an output dimension: moving
// the row index innermost would make every read strided. Left alone.
#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @row_sum
// CHECK: iterator_types = ["parallel", "reduction"]
func.func @row_sum(%x: tensor<4x8xf32>, %acc: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A matmul by a transposed B (B[n, k], as ONNX Gemm with transB) reads no
// input contiguously along n: unchanged.
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhsT = affine_map<(d0, d1, d2) -> (d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transposed_b
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
func.func @matmul_transposed_b(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhsT, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<4x8xf32>, tensor<16x8xf32>) outs(%c : tensor<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %s: f32):
    %p = arith.mulf %x, %y : f32
    %q = arith.addf %s, %p : f32
    linalg.yield %q : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// 2x2 max pooling on channels-last data (the 2x2 window operand indexes only
// the window): a window reduction. The parallel loops come first with the
// channel (the output's and input's contiguous dimension) last among them,
// then the window: (n, c, h, w, kh, kw) -> (n, h, w, c, kh, kw).
#pin = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2 * 2 + d4, d3 * 2 + d5, d1)>
#pwin = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#pout = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d3, d1)>
// CHECK-DAG: #[[PIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d4, d2 * 2 + d5, d3)>
// CHECK-DAG: #[[PWIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-DAG: #[[POUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @max_pool_channels_last
// CHECK: linalg.generic {indexing_maps = [#[[PIN]], #[[PWIN]], #[[POUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
func.func @max_pool_channels_last(%x: tensor<2x8x8x32xi8>, %w: tensor<2x2xi1>, %acc: tensor<2x4x4x32xi8>) -> tensor<2x4x4x32xi8> {
  %r = linalg.generic {indexing_maps = [#pin, #pwin, #pout], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : tensor<2x8x8x32xi8>, tensor<2x2xi1>) outs(%acc : tensor<2x4x4x32xi8>) {
  ^bb0(%v: i8, %unused: i1, %m: i8):
    %a = arith.maxsi %m, %v : i8
    linalg.yield %a : i8
  } -> tensor<2x4x4x32xi8>
  return %r : tensor<2x4x4x32xi8>
}

// -----

// Global average pooling on channels-last data reads x[n, h, w, c]: the
// reductions h, w are walked with a parallel dimension, so this is not a
// window; c (contiguous in x and in the output) moves innermost as for a
// matmul: (n, c, h, w) -> (n, h, w, c).
#gin = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
#gout = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-DAG: #[[GIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[GOUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-LABEL: func.func @global_sum_channels_last
// CHECK: linalg.generic {indexing_maps = [#[[GIN]], #[[GOUT]]], iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
func.func @global_sum_channels_last(%x: tensor<2x4x4x64xf32>, %acc: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %r = linalg.generic {indexing_maps = [#gin, #gout], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%x : tensor<2x4x4x64xf32>) outs(%acc : tensor<2x64xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  } -> tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}
