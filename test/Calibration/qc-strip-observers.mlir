// RUN: qc-opt %s --pass-pipeline="builtin.module(func.func(qc-strip-observers))" | FileCheck %s

// CHECK-LABEL: func.func @f
// CHECK-NOT: qc.observe
// CHECK: return %arg0
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1>} : tensor<4xf32>
  return %x : tensor<4xf32>
}
