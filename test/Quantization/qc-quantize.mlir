// RUN: qc-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize))" | FileCheck %s
// RUN: qc-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize{activation-type=i8}))" | FileCheck %s --check-prefix=I8
// RUN: qc-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize{keep-float=fc1}))" | FileCheck %s --check-prefix=KEEP
// RUN: qc-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize),convert-qc-to-linalg)" | FileCheck %s --check-prefix=INT

// Data range [-1, 3] -> u8 scale 4/255, zero point rne(0 + 1/(4/255)) = 64.
// Weights per output column: max |W[:, n]| / 127.
// CHECK-LABEL: func.func @linear
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}127, -127, 64], [-64, 32, 127]]> : tensor<2x3xi8>
// CHECK-DAG: %[[QW:.*]] = qc.storage_cast %[[W]] : tensor<2x3xi8> -> tensor<2x3x!qc.uniform<i8<-127:127>:f32:1, {0.007874016, 0.007874016, 0.015748031}>>
// CHECK-DAG: %[[QX:.*]] = qc.quantize %{{.*}} : tensor<4x2xf32> -> tensor<4x2x!qc.uniform<u8:f32, 0.015686275:64>>
// CHECK: qc.matmul %[[QX]], %[[QW]] : (tensor<4x2x!qc.uniform<u8:f32, 0.015686275:64>>, tensor<2x3x!qc.uniform<i8<-127:127>:f32:1, {{.*}}>>) -> tensor<4x3xf32>
// I8-LABEL: func.func @linear
// I8: qc.quantize %{{.*}} : tensor<4x2xf32> -> tensor<4x2x!qc.uniform<i8:f32, 0.023622047>>
// KEEP-LABEL: func.func @linear
// KEEP-NOT: qc.quantize
// KEEP: qc.matmul %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<2x3xf32>)
// INT-LABEL: func.func @linear
// INT: linalg.generic
// INT: arith.muli %{{.*}}, %{{.*}} : i32
// INT: arith.addi %{{.*}}, %{{.*}} : i32
func.func @linear(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 3.0, count = 8>} : tensor<4x2xf32>
  %w = arith.constant dense<[[1.0, -1.0, 1.0], [-0.5, 0.25, 2.0]]> : tensor<2x3xf32>
  %y = qc.matmul %x, %w : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32> loc("fc1")
  return %y : tensor<4x3xf32>
}

// -----

// Convolution weights are quantized per output channel (axis 0).
// CHECK-LABEL: func.func @conv
// CHECK-DAG: qc.storage_cast %{{.*}} : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!qc.uniform<i8<-127:127>:f32:0, {0.031496063, 0.007874016}>>
// CHECK-DAG: qc.quantize %{{.*}} : tensor<1x1x3x3xf32> -> tensor<1x1x3x3x!qc.uniform<u8:f32, 0.023529412>>
// CHECK: qc.conv
func.func @conv(%x: tensor<1x1x3x3xf32>, %b: tensor<2xf32>) -> tensor<1x2x2x2xf32> {
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 6.0, count = 8>} : tensor<1x1x3x3xf32>
  %w = arith.constant dense<[[[[4.0, -2.0], [1.0, 0.5]]], [[[1.0, -1.0], [0.5, 0.25]]]]> : tensor<2x1x2x2xf32>
  %y = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A matmul of two activations (attention scores) quantizes both per tensor.
// CHECK-LABEL: func.func @attention
// CHECK-DAG: %[[Q:.*]] = qc.quantize %{{.*}} : tensor<2x4xf32> -> tensor<2x4x!qc.uniform<u8:f32, 0.007843138:128>>
// CHECK-DAG: %[[K:.*]] = qc.quantize %{{.*}} : tensor<4x2xf32> -> tensor<4x2x!qc.uniform<u8:f32, 0.015686275:128>>
// CHECK: qc.matmul %[[Q]], %[[K]]
func.func @attention(%q: tensor<2x4xf32>, %k: tensor<4x2xf32>) -> tensor<2x2xf32> {
  qc.observe %q {name = "q", stats = #qc.stats<min = -1.0, max = 1.0, count = 8>} : tensor<2x4xf32>
  qc.observe %k {name = "k", stats = #qc.stats<min = -2.0, max = 2.0, count = 8>} : tensor<4x2xf32>
  %s = qc.matmul %q, %k : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %s : tensor<2x2xf32>
}

// -----

// Without statistics (no probe, or one not yet calibrated) nothing changes.
// CHECK-LABEL: func.func @uncalibrated
// CHECK-NOT: qc.quantize
// CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
func.func @uncalibrated(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  qc.observe %x {name = "x"} : tensor<4x2xf32>
  %w = arith.constant dense<1.0> : tensor<2x3xf32>
  %y = qc.matmul %x, %w : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Weights behind a transpose (ONNX Gemm transB) are read through it.
// CHECK-LABEL: func.func @transposed_weight
// CHECK: arith.constant dense<{{\[\[}}127, 0], [0, 127]]> : tensor<2x2xi8>
// CHECK: qc.matmul
func.func @transposed_weight(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1>} : tensor<1x2xf32>
  %w = arith.constant dense<[[2.0, 0.0], [0.0, 3.0]]> : tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %t = linalg.transpose ins(%w : tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) permutation = [1, 0]
  %y = qc.matmul %x, %t : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// keep-float also finds the node name inside the fused location that
// carries the ONNX output tensor name (a MatMul without bias).
// KEEP-LABEL: func.func @tensor_named
// KEEP-NOT: qc.quantize
// KEEP: qc.matmul %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<2x3xf32>)
func.func @tensor_named(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  qc.observe %x {name = "x", stats = #qc.stats<min = -1.0, max = 3.0, count = 8>} : tensor<4x2xf32>
  %w = arith.constant dense<[[1.0, -1.0, 1.0], [-0.5, 0.25, 2.0]]> : tensor<2x3xf32>
  %y = qc.matmul %x, %w : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32> loc(fused<"onnx.tensor:y">["fc1"])
  return %y : tensor<4x3xf32>
}
