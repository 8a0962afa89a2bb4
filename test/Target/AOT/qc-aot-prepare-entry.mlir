// RUN: qc-opt %s -split-input-file -verify-diagnostics --qc-aot-prepare-entry | FileCheck %s

// CHECK: module attributes {qc.model_name = "m", qc.signature = "qc-signature 1\0Amodel 1:m\0Ainputs 1\0A1:x 1 2 2 3\0Aoutputs 2\0A1:y 1 2 2 3\0A4:mask 9 1 3\0A"}
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: (%[[X:.*]]: memref<2x3xf32>, %[[Y:.*]]: memref<2x3xf32>, %[[M:.*]]: memref<3xi1>)
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[X]] restrict : memref<2x3xf32> to tensor<2x3xf32>
// CHECK: %[[R:.*]] = arith.addf %[[T]], %[[T]]
// CHECK: bufferization.materialize_in_destination %[[R]] in restrict writable %[[Y]]
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[M]]
// CHECK: return
// CHECK-NOT: qc.name
module attributes {qc.model_name = "m"} {
  func.func @main_graph(%x: tensor<2x3xf32> {qc.name = "x", qc.dtype = 1 : i32})
      -> (tensor<2x3xf32> {qc.name = "y", qc.dtype = 1 : i32},
          tensor<3xi1> {qc.name = "mask", qc.dtype = 9 : i32}) {
    %r = arith.addf %x, %x : tensor<2x3xf32>
    %m = arith.constant dense<true> : tensor<3xi1>
    return %r, %m : tensor<2x3xf32>, tensor<3xi1>
  }
}

// -----

// Without names, inputs and outputs are numbered; the dtype follows the type.
// CHECK: qc.signature = "qc-signature 1\0Amodel 10:main_graph\0Ainputs 1\0A6:input0 3 1 4\0Aoutputs 1\0A7:output0 3 1 4\0A"
func.func @main_graph(%x: tensor<4xi8>) -> tensor<4xi8> {
  return %x : tensor<4xi8>
}

// -----

// expected-error @+1 {{entry function 'main_graph' not found}}
module {
  func.func @other(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// expected-error @+1 {{model input 'x' has a dynamic shape 'tensor<?x4xf32>'; give its size with --input-shape x=D0,D1,...}}
func.func @main_graph(%x: tensor<?x4xf32> {qc.name = "x"}) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

// -----

// Tensors without elements keep their ABI slot as a memref<0xi8> placeholder:
// inputs become empty tensors and nothing is written for outputs.
// CHECK: func.func @main_graph(%{{.*}}: memref<3x4xf32>, %[[E:.*]]: memref<0xi8>, %{{.*}}: memref<3x4xf32>, %{{.*}}: memref<0xi8>)
// CHECK-NOT: bufferization.to_tensor %[[E]]
// CHECK: tensor.empty() : tensor<3x0xf32>
// CHECK-COUNT-1: bufferization.materialize_in_destination
func.func @main_graph(%x: tensor<3x4xf32>, %e: tensor<3x0xf32>) -> (tensor<3x4xf32>, tensor<3x0xf32>) {
  return %x, %e : tensor<3x4xf32>, tensor<3x0xf32>
}
