// RUN: qc-opt %s -split-input-file -verify-diagnostics --convert-quant-to-qc | FileCheck %s

// CHECK-LABEL: func.func @per_tensor
// CHECK-SAME: (%{{.*}}: tensor<4x!qc.uniform<u8:f32, 0.5:128>>) -> tensor<4xf32>
// CHECK: qc.dequantize %{{.*}} : tensor<4x!qc.uniform<u8:f32, 0.5:128>> -> tensor<4xf32>
func.func @per_tensor(%q: tensor<4x!quant.uniform<u8:f32, 0.5:128>>) -> tensor<4xf32> {
  %d = quant.dcast %q : tensor<4x!quant.uniform<u8:f32, 0.5:128>> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @per_axis
// CHECK: qc.quantize %{{.*}} : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8<-127:127>:f32:1, {0.1, 0.2:3, 0.3}>>
// CHECK: qc.storage_cast %{{.*}} : tensor<2x3x!qc.uniform<i8<-127:127>:f32:1, {0.1, 0.2:3, 0.3}>> -> tensor<2x3xi8>
func.func @per_axis(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  %q = quant.qcast %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8<-127:127>:f32:1, {0.1, 0.2:3, 0.3}>>
  %s = quant.scast %q : tensor<2x3x!quant.uniform<i8<-127:127>:f32:1, {0.1, 0.2:3, 0.3}>> to tensor<2x3xi8>
  return %s : tensor<2x3xi8>
}

// -----

// A u4 sub-channel zero point of 8 stays 8 (upstream itself reprints it as
// -8, which then means something else).
// CHECK-LABEL: func.func @sub_channel
// CHECK: tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<{{.*}}> : tensor<2x2xf32>, zero_points = dense<8> : tensor<2x2xi32>>>
func.func @sub_channel(%x: tensor<8x2xf32>) {
  %q = quant.qcast %x : tensor<8x2xf32> to tensor<8x2x!quant.uniform<u4:f32:{0:4, 1:1}, {{0.5:8, 0.25:8}, {1.0:8, 2.0:8}}>>
  return
}

// -----

// upstream accepts a zero point outside the storage range; qc does not.
func.func @bad_zero_point(%x: tensor<4xf32>) {
  // expected-error @+1 {{zero point 300 is outside the storage range [-128, 127]}}
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:300>>
  return
}
