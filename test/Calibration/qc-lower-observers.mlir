// RUN: qc-opt %s --qc-lower-observers | FileCheck %s
// RUN: qc-opt %s --qc-lower-observers --qc-cpu-pipeline="aot=true" | FileCheck %s --check-prefix=AOT

// Probes on a matmul's data operand get per-channel statistics along the
// contracted (last) dimension: 4 channels, stride 1; others get none.
// CHECK: module attributes {qc.observer_channel_axes = array<i64: 1, -1>, qc.observer_channel_strides = array<i64: 1, 0>, qc.observer_channels = array<i64: 4, 0>, qc.observer_sizes = array<i64: 8, 3>, qc.observers = ["a", "b"]}
// CHECK: call @__qc_observe_0(%arg0) : (tensor<2x4xf32>) -> ()
// CHECK: call @__qc_observe_1(%{{.*}}) : (tensor<3xf32>) -> ()
// CHECK-NOT: qc.observe
// CHECK: func.func private @__qc_observe_0(tensor<2x4xf32>)
// CHECK: func.func private @__qc_observe_1(tensor<3xf32>)

// After lowering, each probe passes (user, id, data, count) to the hook set
// with qc_model_set_observer, if one is set.
// AOT-LABEL: llvm.func internal @__qc_observe_1(%{{.*}}: !llvm.ptr)
// AOT: llvm.mlir.addressof @qc_observer_hook
// AOT: llvm.icmp "ne"
// AOT: llvm.mlir.constant(1 : i32)
// AOT: llvm.mlir.constant(3 : i64)
// AOT: llvm.call %{{.*}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, i32, !llvm.ptr, i64) -> ()
// AOT-LABEL: llvm.func @qc_model_set_observer
func.func @main_graph(%x: tensor<2x4xf32> {qc.name = "x"}, %y: tensor<3xf32> {qc.name = "y"}) -> (tensor<3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  qc.observe %x {name = "a"} : tensor<2x4xf32>
  %m = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %z = arith.addf %y, %y : tensor<3xf32>
  qc.observe %z {name = "b"} : tensor<3xf32>
  return %z, %m : tensor<3xf32>, tensor<2x3xf32>
}
