// RUN: qc-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(qc-propagate-scales,canonicalize))" | FileCheck %s

!qx = !qc.uniform<u8:f32, 0.1:10>
!qw = !qc.uniform<i8<-127:127>:f32:0, {0.01, 0.02}>
!qa = !qc.uniform<u8:f32, 0.05:20>

// conv -> Relu -> MaxPool (padded) -> Flatten -> quantize: the quantize
// climbs to the conv, which then writes u8 codes; Relu and the pool compare
// codes (unsigned), with Relu's 0 and the pool's -inf as codes 20 and 0.
// CHECK-LABEL: func.func @conv_relu_pool_flatten
// CHECK-NOT: qc.quantize
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 20 : i8
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0 : i8
// CHECK: %[[C:.*]] = qc.conv %{{.*}}, %{{.*}}, %{{.*}} {{.*}} -> tensor<1x2x4x4x!qc.uniform<u8:f32, 0.05:20>>
// CHECK: %[[CS:.*]] = qc.storage_cast %[[C]] : tensor<1x2x4x4x!qc.uniform<u8:f32, 0.05:20>> -> tensor<1x2x4x4xi8>
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} ins(%[[CS]] : tensor<1x2x4x4xi8>)
// CHECK:   arith.maxui %{{.*}}, %[[ZERO]] : i8
// CHECK: tensor.pad %[[RELU]]
// CHECK:   tensor.yield %[[NINF]] : i8
// CHECK: linalg.fill ins(%[[NINF]] : i8) outs(%{{.*}} : tensor<1x2x2x2xi8>)
// CHECK: %[[POOL:.*]] = linalg.generic
// CHECK:   arith.maxui %{{.*}}, %{{.*}} : i8
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[POOL]] {{.*}} : tensor<1x2x2x2xi8> into tensor<1x8xi8>
// CHECK: %[[Q:.*]] = qc.storage_cast %[[FLAT]] : tensor<1x8xi8> -> tensor<1x8x!qc.uniform<u8:f32, 0.05:20>>
// CHECK: return %[[Q]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#win_in = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
#win = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#win_out = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @conv_relu_pool_flatten(%x: tensor<1x1x4x4x!qx>, %w: tensor<2x1x1x1x!qw>, %b: tensor<2xf32>) -> tensor<1x8x!qa> {
  %conv = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4x!qx>, tensor<2x1x1x1x!qw>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %e0 = tensor.empty() : tensor<1x2x4x4xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%conv : tensor<1x2x4x4xf32>) outs(%e0 : tensor<1x2x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x4xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %padded = tensor.pad %relu low[0, 0, 0, 0] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %ninf : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x5x5xf32>
  %e1 = tensor.empty() : tensor<1x2x2x2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %window = tensor.empty() : tensor<2x2xi1>
  %pool = linalg.generic {indexing_maps = [#win_in, #win, #win_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%padded, %window : tensor<1x2x5x5xf32>, tensor<2x2xi1>) outs(%init : tensor<1x2x2x2xf32>) {
  ^bb0(%in: f32, %unused: i1, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x2x2x2xf32>
  %flat = tensor.collapse_shape %pool [[0], [1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<1x8xf32>
  %q = qc.quantize %flat : tensor<1x8xf32> -> tensor<1x8x!qa>
  return %q : tensor<1x8x!qa>
}

// -----

!qa = !qc.uniform<i8:f32, 0.25>

// Transpose and Concat move codes; every concatenated input gets the same
// scale, so no requantization is needed.
// CHECK-LABEL: func.func @transpose_concat
// CHECK-DAG: %[[QA:.*]] = qc.quantize %arg0 : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32, 0.25>>
// CHECK-DAG: %[[SA:.*]] = qc.storage_cast %[[QA]] {{.*}} -> tensor<2x3xi8>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[SA]] : tensor<2x3xi8>) outs(%{{.*}} : tensor<3x2xi8>) permutation = [1, 0]
// CHECK-DAG: %[[QB:.*]] = qc.quantize %arg1 : tensor<3x4xf32> -> tensor<3x4x!qc.uniform<i8:f32, 0.25>>
// CHECK-DAG: %[[SB:.*]] = qc.storage_cast %[[QB]] {{.*}} -> tensor<3x4xi8>
// CHECK: %[[CAT:.*]] = tensor.concat dim(1) %[[T]], %[[SB]] : (tensor<3x2xi8>, tensor<3x4xi8>) -> tensor<3x6xi8>
// CHECK: qc.storage_cast %[[CAT]] : tensor<3x6xi8> -> tensor<3x6x!qc.uniform<i8:f32, 0.25>>
func.func @transpose_concat(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<3x6x!qa> {
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%a : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %cat = tensor.concat dim(1) %t, %b : (tensor<3x2xf32>, tensor<3x4xf32>) -> tensor<3x6xf32>
  %q = qc.quantize %cat : tensor<3x6xf32> -> tensor<3x6x!qa>
  return %q : tensor<3x6x!qa>
}

// -----

!qa = !qc.uniform<u8:f32, 0.1:3>
!qb = !qc.uniform<u8:f32, 0.2:3>
!f8 = !qc.uniform<f8E4M3FN:f32, 0.5>

// Left alone: a reshape whose float result is also returned, a float
// matmul, an average (not order-only) generic, FP8 codes, and a round trip
// through a different type. A same-type round trip folds.
// CHECK-LABEL: func.func @negative
// CHECK: %[[R:.*]] = tensor.collapse_shape %arg0 {{.*}} into tensor<4xf32>
// CHECK: qc.quantize %[[R]]
// CHECK: %[[MM:.*]] = qc.matmul %arg1, %arg1 : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK: qc.quantize %[[MM]]
// CHECK: %[[AVG:.*]] = linalg.generic
// CHECK: qc.quantize %[[AVG]]
// CHECK: %[[T8:.*]] = linalg.transpose ins(%arg1 : tensor<2x2xf32>)
// CHECK: qc.quantize %[[T8]] : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<f8E4M3FN:f32, 0.5>>
// CHECK: %[[DQ:.*]] = qc.dequantize %arg2
// CHECK: qc.quantize %[[DQ]] : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<u8:f32, 0.2:3>>
// CHECK-NOT: qc.dequantize
// CHECK: return {{.*}}, %arg2 :
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @negative(%x: tensor<2x2xf32>, %y: tensor<2x2xf32>, %c: tensor<2x2x!qa>)
    -> (tensor<4xf32>, tensor<4x!qa>, tensor<2x2x!qa>, tensor<2x2x!qa>, tensor<2x2x!f8>, tensor<2x2x!qb>, tensor<2x2x!qa>) {
  %r = tensor.collapse_shape %x [[0, 1]] : tensor<2x2xf32> into tensor<4xf32>
  %q0 = qc.quantize %r : tensor<4xf32> -> tensor<4x!qa>
  %mm = qc.matmul %y, %y : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %q1 = qc.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!qa>
  %e = tensor.empty() : tensor<2x2xf32>
  %avg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %two = arith.constant 2.0 : f32
    %d = arith.divf %in, %two : f32
    linalg.yield %d : f32
  } -> tensor<2x2xf32>
  %q2 = qc.quantize %avg : tensor<2x2xf32> -> tensor<2x2x!qa>
  %e8 = tensor.empty() : tensor<2x2xf32>
  %t8 = linalg.transpose ins(%y : tensor<2x2xf32>) outs(%e8 : tensor<2x2xf32>) permutation = [1, 0]
  %q3 = qc.quantize %t8 : tensor<2x2xf32> -> tensor<2x2x!f8>
  %dq = qc.dequantize %c : tensor<2x2x!qa> -> tensor<2x2xf32>
  %q4 = qc.quantize %dq : tensor<2x2xf32> -> tensor<2x2x!qb>
  %dq2 = qc.dequantize %c : tensor<2x2x!qa> -> tensor<2x2xf32>
  %q5 = qc.quantize %dq2 : tensor<2x2xf32> -> tensor<2x2x!qa>
  return %r, %q0, %q1, %q2, %q3, %q4, %q5 : tensor<4xf32>, tensor<4x!qa>, tensor<2x2x!qa>, tensor<2x2x!qa>, tensor<2x2x!f8>, tensor<2x2x!qb>, tensor<2x2x!qa>
}
