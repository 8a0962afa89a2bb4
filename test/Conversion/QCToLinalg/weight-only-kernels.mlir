// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true" --canonicalize | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg | FileCheck %s --check-prefix=GENERIC

// Weight-only matmuls with constant codes become qc.packed_dequant_matmul
// (WeightOnlyCompute.cpp). u4 codes, groups of 2 along K = 4: one packed
// row of 8 codes per column (here 4 used), code k at bits [4k, 4k + 4):
// column 0 holds 1, 4, 7, 10 -> 0xA741 = 42817, column 2 holds 3, 6, 9, 15
// -> 0xF963 = 63843. Scales and zero points are laid out [N2, G, T, 16], the
// padded columns with scale 0.
// CHECK-LABEL: func.func @w4_asym
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}42817, 47186, 63843, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]]> : tensor<1x1x1x16xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[\[\[}}5.000000e-01, 2.500000e-01, 1.000000e+00, 0.000000e+00, {{.*}}]], {{\[\[}}2.000000e+00, 1.000000e+00, 5.000000e-01, 0.000000e+00, {{.*}}]]]]> : tensor<1x2x1x16xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 0.000000e+00, {{.*}}]], {{\[\[}}8.000000e+00, 0.000000e+00, 1.500000e+01, 0.000000e+00, {{.*}}]]]]> : tensor<1x2x1x16xf32>
// CHECK: %[[ACC:.*]] = linalg.fill {{.*}} -> tensor<2x16xf32>
// CHECK: %[[R:.*]] = qc.packed_dequant_matmul ins(%arg0, %[[W]], %[[S]], %[[Z]] : tensor<2x4xf32>, tensor<1x1x1x16xi32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>) outs(%[[ACC]] : tensor<2x16xf32>) {bits = 4 : i64, group_size = 2 : i64} -> tensor<2x16xf32>
// CHECK: tensor.extract_slice %[[R]][0, 0] [2, 3] [1, 1]
// GENERIC-LABEL: func.func @w4_asym
// GENERIC-NOT: qc.packed_dequant_matmul
// GENERIC: linalg.generic
!qw = !qc.uniform<u4:f32:0, block = 2, scales = dense<[[0.5, 0.25, 1.0], [2.0, 1.0, 0.5]]> : tensor<2x3xf32>, zero_points = dense<[[1, 2, 3], [8, 0, 15]]> : tensor<2x3xi32>>
func.func @w4_asym(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %wb = arith.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 15]]> : tensor<4x3xi4>
  %w = qc.storage_cast %wb : tensor<4x3xi4> -> tensor<4x3x!qw>
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3x!qw>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Signed i8 codes per output column are offset to unsigned (+128, zero
// point 128), four per 32-bit word: column 0 of rows 0-3 is 1, 3, 5, 7 ->
// bytes 129, 131, 133, 135 -> 0x87858381; K = 5 needs a second, partial
// word (127 + 128 = 255). The batched lhs [1, 3, 5] is flattened to M = 3.
// CHECK-LABEL: func.func @w8_sym
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<{{\[\[\[\[}}1.280000e+02, 1.280000e+02, 0.000000e+00, {{.*}}]]]]> : tensor<1x1x1x16xf32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[\[\[}}5.000000e-01, 2.500000e-01, 0.000000e+00, {{.*}}]]]]> : tensor<1x1x1x16xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}-2021293183, 2021293182, 0, {{.*}}]], {{\[\[}}255, 0, 0, {{.*}}]]]]> : tensor<1x2x1x16xi32>
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<1x3x5xf32> into tensor<3x5xf32>
// CHECK: qc.packed_dequant_matmul ins(%[[X]], %[[W]], %[[S]], %[[Z]] : tensor<3x5xf32>, tensor<1x2x1x16xi32>, tensor<1x1x1x16xf32>, tensor<1x1x1x16xf32>) outs(%{{.*}} : tensor<3x16xf32>) {bits = 8 : i64, group_size = 5 : i64}
// CHECK: tensor.expand_shape
!qs = !qc.uniform<i8:f32:1, {0.5, 0.25}>
func.func @w8_sym(%x: tensor<1x3x5xf32>) -> tensor<1x3x2xf32> {
  %wb = arith.constant dense<[[1, -2], [3, -4], [5, -6], [7, -8], [127, -128]]> : tensor<5x2xi8>
  %w = qc.storage_cast %wb : tensor<5x2xi8> -> tensor<5x2x!qs>
  %y = qc.matmul %x, %w : (tensor<1x3x5xf32>, tensor<5x2x!qs>) -> tensor<1x3x2xf32>
  return %y : tensor<1x3x2xf32>
}

// -----

// Weights that are not constants keep the generic dequantizing loop.
// CHECK-LABEL: func.func @dynamic_weight
// CHECK-NOT: qc.packed_dequant_matmul
// CHECK: linalg.generic
// CHECK: arith.extui %{{.*}} : i4 to i32
!qw = !qc.uniform<u4:f32:0, block = 2, scales = dense<[[0.5, 0.25, 1.0], [2.0, 1.0, 0.5]]> : tensor<2x3xf32>, zero_points = dense<[[1, 2, 3], [8, 0, 15]]> : tensor<2x3xi32>>
func.func @dynamic_weight(%x: tensor<2x4xf32>, %wb: tensor<4x3xi4>) -> tensor<2x3xf32> {
  %w = qc.storage_cast %wb : tensor<4x3xi4> -> tensor<4x3x!qw>
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3x!qw>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// FP8 weights are not integer codes: the generic lowering handles them.
// CHECK-LABEL: func.func @fp8_weight
// CHECK-NOT: qc.packed_dequant_matmul
!q8 = !qc.uniform<f8E4M3FN:f32, 0.5>
func.func @fp8_weight(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %wb = arith.constant dense<1> : tensor<4x3xi8>
  %w = qc.storage_cast %wb : tensor<4x3xi8> -> tensor<4x3x!q8>
  %y = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3x!q8>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// The rows of the tiles one kernel block reads are interleaved: one row of
// x (M = 1) takes blocks of 8 tiles, so the 2 tiles of N = 32 (neither 8
// nor 4 divides 2) form one group of T = 2, [N2, K / K0, T, 16] =
// [1, 1, 2, 16]. Column n holds the u8 code n in all four inputs of its
// word (n * 0x01010101): the first row's words of tile 0 (columns 0-15),
// then those of tile 1 (16 * 0x01010101 = 269488144); scales and zero
// points follow the same order.
// CHECK-LABEL: func.func @interleaved_tiles
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}0, 16843009, {{.*}}, 252645135], [269488144, {{.*}}, 522133279]]]]> : tensor<1x1x2x16xi32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<3.000000e+00> : tensor<1x1x2x16xf32>
// CHECK: qc.packed_dequant_matmul ins(%arg0, %[[W]], %{{.*}}, %[[Z]] : tensor<1x4xf32>, tensor<1x1x2x16xi32>, tensor<1x1x2x16xf32>, tensor<1x1x2x16xf32>) outs(%{{.*}} : tensor<1x32xf32>)
!qt = !qc.uniform<u8:f32, 0.5:3>
func.func @interleaved_tiles(%x: tensor<1x4xf32>) -> tensor<1x32xf32> {
  %wb = arith.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]]> : tensor<4x32xi8>
  %w = qc.storage_cast %wb : tensor<4x32xi8> -> tensor<4x32x!qt>
  %y = qc.matmul %x, %w : (tensor<1x4xf32>, tensor<4x32x!qt>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}
