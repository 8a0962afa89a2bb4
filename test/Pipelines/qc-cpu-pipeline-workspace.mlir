// RUN: qc-opt %s --qc-cpu-pipeline="aot=true" | FileCheck %s --check-prefix=PLANNED
// RUN: qc-opt %s --qc-cpu-pipeline="aot=true plan-workspace=false" | FileCheck %s --check-prefix=SEPARATE

// The transposed copy (128 B) and the matmul result (64 B) live in one
// planned workspace, unless plan-workspace=false, where they are separate
// allocations.
// PLANNED-LABEL: llvm.func @qc_model_workspace_size() -> i64
// PLANNED: llvm.mlir.constant(192 : i64)
// SEPARATE: llvm.call @malloc
// SEPARATE-LABEL: llvm.func @qc_model_workspace_size() -> i64
// SEPARATE: llvm.mlir.constant(0 : i64)

func.func @main_graph(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %t = tensor.empty() : tensor<8x4xf32>
  %xt = linalg.transpose ins(%x : tensor<4x8xf32>) outs(%t : tensor<8x4xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %m = linalg.matmul ins(%x, %xt : tensor<4x8xf32>, tensor<8x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %e2 = tensor.empty() : tensor<4xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.reduce ins(%m : tensor<4x4xf32>) outs(%f2 : tensor<4xf32>) dimensions = [1]
    (%a: f32, %b: f32) { %s = arith.addf %a, %b : f32
      linalg.yield %s : f32 }
  return %r : tensor<4xf32>
}
