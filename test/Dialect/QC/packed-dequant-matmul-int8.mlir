// RUN: qc-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// int8_compute round-trips as a unit attribute.
// CHECK-LABEL: func.func @int8_compute
// CHECK: qc.packed_dequant_matmul {{.*}} {bits = 4 : i64, group_size = 16 : i64, int8_compute}
func.func @int8_compute(%x: memref<3x20xf32>, %w: memref<3x3x1x16xi32>, %s: memref<3x2x1x16xf32>, %z: memref<3x2x1x16xf32>, %y: memref<3x48xf32>) {
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<3x20xf32>, memref<3x3x1x16xi32>, memref<3x2x1x16xf32>, memref<3x2x1x16xf32>) outs(%y : memref<3x48xf32>) {bits = 4 : i64, group_size = 16 : i64, int8_compute}
  return
}

// -----

func.func @partial_rows(%x: memref<1x16xf32>, %w: memref<1x2x1x16xi32>, %s: memref<1x4x1x16xf32>, %z: memref<1x4x1x16xf32>, %y: memref<1x16xf32>) {
  // expected-error @+1 {{int8_compute needs group_size to be a multiple of 8 (whole packed rows), got 4}}
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<1x16xf32>, memref<1x2x1x16xi32>, memref<1x4x1x16xf32>, memref<1x4x1x16xf32>) outs(%y : memref<1x16xf32>) {bits = 4 : i64, group_size = 4 : i64, int8_compute}
  return
}

// -----

func.func @long_group(%x: memref<1x65540xf32>, %w: memref<1x16385x1x16xi32>, %s: memref<1x1x1x16xf32>, %z: memref<1x1x1x16xf32>, %y: memref<1x16xf32>) {
  // expected-error @+1 {{int8_compute needs groups of at most 65536 inputs (exact i32 sums)}}
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<1x65540xf32>, memref<1x16385x1x16xi32>, memref<1x1x1x16xf32>, memref<1x1x1x16xf32>) outs(%y : memref<1x16xf32>) {bits = 8 : i64, group_size = 65540 : i64, int8_compute}
  return
}
