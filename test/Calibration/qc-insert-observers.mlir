// RUN: qc-opt %s --pass-pipeline="builtin.module(func.func(qc-insert-observers))" | FileCheck %s

// Probes go on float data operands of matmul/conv (once per value), on both
// operands of an activation x activation matmul, never on weights. Names come
// from the producing node (or the model input), numbered within a node.
// CHECK-LABEL: func.func @main_graph
// CHECK-NEXT: qc.observe %arg0 {name = "x"} : tensor<2x4xf32>
// CHECK: %[[A:.*]] = linalg.generic
// CHECK: qc.observe %[[A]] {name = "act"} : tensor<2x4xf32>
// CHECK: %[[B:.*]] = linalg.generic
// CHECK: qc.observe %[[B]] {name = "act@1"} : tensor<4x2xf32>
// CHECK: qc.matmul %arg0, %{{.*}}
// CHECK: qc.matmul %[[A]], %{{.*}}
// CHECK: qc.matmul %[[A]], %[[B]]
// CHECK-NOT: qc.observe
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main_graph(%x: tensor<2x4xf32> {qc.name = "x"}, %y: tensor<4x2xf32> {qc.name = "y"}) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32> loc("act")
  %e2 = tensor.empty() : tensor<4x2xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<4x2xf32>) outs(%e2 : tensor<4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x2xf32> loc("act")
  %m0 = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %m1 = qc.matmul %a, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %m2 = qc.matmul %a, %b : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %m0, %m1, %m2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xf32>
}
