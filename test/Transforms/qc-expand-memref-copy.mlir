// RUN: qc-opt %s --qc-expand-memref-copy | FileCheck %s

// CHECK-LABEL: func.func @strided_copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<2x3xf32, strided<[6, 1]>>) outs(%{{.*}} : memref<2x3xf32>)
func.func @strided_copy(%a: memref<2x3xf32, strided<[6, 1]>>, %b: memref<2x3xf32>) {
  memref.copy %a, %b : memref<2x3xf32, strided<[6, 1]>> to memref<2x3xf32>
  return
}
