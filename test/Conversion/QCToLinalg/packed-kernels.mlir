// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true" --canonicalize | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg | FileCheck %s --check-prefix=GENERIC
// RUN: qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true int-k-tile=8" --canonicalize | FileCheck %s --check-prefix=K8
// RUN: not qc-opt %s -split-input-file --convert-qc-to-linalg="packed-kernels=true int-k-tile=6" 2>&1 | FileCheck %s --check-prefix=BADK
// BADK: error: convert-qc-to-linalg: int-k-tile must be 4 or 8, got 6

!qx = !qc.uniform<i8:f32, 0.1:-3>
!qw = !qc.uniform<i8<-127:127>:f32:1, {0.01, 0.02, 0.03}>

// i8 data: codes flipped to u8 (zero point -3 + 128 = 125), K = 5 padded to
// 8, N = 3 padded to one 16-wide tile; column sums of W are 21, 18, 15, so
// the correction is 125 * colsum = [2625, 2250, 1875].
// CHECK-LABEL: func.func @matmul_i8
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense<[2625, 2250, 1875]> : tensor<3xi32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<"0x0104F90A020508F5030609{{.*}}"> : tensor<1x2x16x4xi8>
// CHECK: %[[U:.*]] = linalg.generic
// CHECK:   arith.xori %{{.*}}, %c-128_i8 : i8
// CHECK: %[[P:.*]] = tensor.pad %[[U]] low[0, 0] high[0, 3]
// CHECK: %[[ACC:.*]] = qc.packed_matmul ins(%[[P]], %[[W]] : tensor<2x8xi8>, tensor<1x2x16x4xi8>) outs(%{{.*}} : tensor<2x16xi32>) -> tensor<2x16xi32>
// CHECK: %[[S:.*]] = tensor.extract_slice %[[ACC]][0, 0] [2, 3] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[S]], %[[CORR]] : tensor<2x3xi32>, tensor<3xi32>)
// CHECK:   arith.subi
// GENERIC-LABEL: func.func @matmul_i8
// GENERIC-NOT: qc.packed_matmul
// int-k-tile=8 (AArch64 usmmla): each column's K = 5 codes padded to 8
// bytes, [N1, K1, 16, 8] = [1, 1, 16, 8].
// K8-LABEL: func.func @matmul_i8
// K8: arith.constant dense<"0x0104F90A0D000000020508F50E0000000306090CF1000000{{0+}}"> : tensor<1x1x16x8xi8>
// K8: qc.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<2x8xi8>, tensor<1x1x16x8xi8>) outs(%{{.*}} : tensor<2x16xi32>)
func.func @matmul_i8(%x: tensor<2x5x!qx>) -> tensor<2x3xf32> {
  %wb = arith.constant dense<[[1, 2, 3], [4, 5, 6], [-7, 8, 9], [10, -11, 12], [13, 14, -15]]> : tensor<5x3xi8>
  %w = qc.storage_cast %wb : tensor<5x3xi8> -> tensor<5x3x!qw>
  %y = qc.matmul %x, %w : (tensor<2x5x!qx>, tensor<5x3x!qw>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A float conv: im2col gather [N*OH*OW, C*KH*KW] = [4, 8], weights packed
// [1, 8, 16, 1], bias added in the output-layout epilogue.
// CHECK-LABEL: func.func @conv_f32
// CHECK: %[[COLS:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x2x3x3xf32>) outs(%{{.*}} : tensor<1x2x2x2x2x2xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[COLS]] {{.*}} into tensor<4x8xf32>
// CHECK: qc.packed_matmul ins(%[[FLAT]], %{{.*}} : tensor<4x8xf32>, tensor<1x8x16x1xf32>)
// CHECK: linalg.generic
// CHECK:   arith.addf
func.func @conv_f32(%x: tensor<1x2x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x3x2x2xf32> {
  %w = arith.constant dense<0.5> : tensor<3x2x2x2xf32>
  %y = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x3x3xf32>, tensor<3x2x2x2xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}

// -----

// Weights that are not compile-time constants keep the generic lowering.
// CHECK-LABEL: func.func @runtime_weight
// CHECK-NOT: qc.packed_matmul
// CHECK: linalg.matmul
func.func @runtime_weight(%x: tensor<2x5xf32>, %w: tensor<5x3xf32>) -> tensor<2x3xf32> {
  %y = qc.matmul %x, %w : (tensor<2x5xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
