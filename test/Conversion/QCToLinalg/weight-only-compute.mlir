// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true weight-only-compute=int8" --canonicalize -verify-diagnostics | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true weight-only-compute=exact" --canonicalize | FileCheck %s --check-prefix=EXACT
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true" --canonicalize | FileCheck %s --check-prefix=EXACT
// RUN: not qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true weight-only-compute=fast" 2>&1 | FileCheck %s --check-prefix=BAD

// weight-only-compute=int8 marks the weight-only matmul's
// qc.packed_dequant_matmul with int8_compute (activations quantized per
// group at run time); exact, the default, does not.
// CHECK-LABEL: func.func @w4_groups
// CHECK: qc.packed_dequant_matmul {{.*}} {bits = 4 : i64, group_size = 16 : i64, int8_compute} -> tensor<2x16xf32>
// EXACT-LABEL: func.func @w4_groups
// EXACT: qc.packed_dequant_matmul {{.*}} {bits = 4 : i64, group_size = 16 : i64} -> tensor<2x16xf32>
// BAD: error: convert-qc-to-linalg: weight-only-compute must be exact or int8, got 'fast'
!qw = !qc.uniform<u4:f32:0, block = 16, scales = dense<0.5> : tensor<2x3xf32>, zero_points = dense<8> : tensor<2x3xi32>>
func.func @w4_groups(%x: tensor<2x32xf32>) -> tensor<2x3xf32> {
  %wb = arith.constant dense<3> : tensor<32x3xi4>
  %w = qc.storage_cast %wb : tensor<32x3xi4> -> tensor<32x3x!qw>
  %y = qc.matmul %x, %w : (tensor<2x32xf32>, tensor<32x3x!qw>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// int8 codes per output column (one group of K = 5, a partial packed row).
// CHECK-LABEL: func.func @w8_per_column
// CHECK: qc.packed_dequant_matmul {{.*}} {bits = 8 : i64, group_size = 5 : i64, int8_compute}
// EXACT-LABEL: func.func @w8_per_column
// EXACT-NOT: int8_compute
!qs = !qc.uniform<i8:f32:1, {0.5, 0.25}>
func.func @w8_per_column(%x: tensor<3x5xf32>) -> tensor<3x2xf32> {
  %wb = arith.constant dense<[[1, -2], [3, -4], [5, -6], [7, -8], [127, -128]]> : tensor<5x2xi8>
  %w = qc.storage_cast %wb : tensor<5x2xi8> -> tensor<5x2x!qs>
  %y = qc.matmul %x, %w : (tensor<3x5xf32>, tensor<5x2x!qs>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Groups of 4 int4 codes do not fill a packed row of 8: the op cannot take
// int8_compute and the matmul stays exact, with a remark.
// CHECK-LABEL: func.func @w4_small_groups
// CHECK: qc.packed_dequant_matmul {{.*}} {bits = 4 : i64, group_size = 4 : i64} -> tensor<1x16xf32>
!qw = !qc.uniform<u4:f32:0, block = 4, scales = dense<0.5> : tensor<2x3xf32>, zero_points = dense<8> : tensor<2x3xi32>>
func.func @w4_small_groups(%x: tensor<1x8xf32>) -> tensor<1x3xf32> {
  %wb = arith.constant dense<3> : tensor<8x3xi4>
  %w = qc.storage_cast %wb : tensor<8x3xi4> -> tensor<8x3x!qw>
  // expected-remark @+1 {{weight-only-compute=int8: group size 4 is not a multiple of 8 (or longer than 65536); this matmul stays exact}}
  %y = qc.matmul %x, %w : (tensor<1x8xf32>, tensor<8x3x!qw>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
