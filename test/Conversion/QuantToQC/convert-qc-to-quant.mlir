// RUN: qc-opt %s --convert-qc-to-quant | FileCheck %s
// RUN: qc-opt %s --convert-qc-to-quant --convert-quant-to-qc | FileCheck %s --check-prefix=BACK

// Integer forms convert to upstream types and back unchanged; the FP8 and
// op errors are in convert-qc-to-quant-errors.mlir.

// CHECK-LABEL: func.func @forms
// CHECK: quant.qcast %{{.*}} : tensor<4xf32> to tensor<4x!quant.uniform<u8:f32, 5.000000e-01:128>>
// CHECK: quant.qcast %{{.*}} : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:1, {{{.*}},{{.*}}:3,{{.*}}}>>
// CHECK: quant.dcast
// BACK-LABEL: func.func @forms
// BACK: qc.quantize %{{.*}} : tensor<4xf32> -> tensor<4x!qc.uniform<u8:f32, 0.5:128>>
// BACK: qc.quantize %{{.*}} : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2:3, 0.3}>>
// BACK: qc.quantize %{{.*}} -> tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<{{.*}}> : tensor<2x2xf32>, zero_points = dense<{{\[\[}}8, 9], [15, 0]]> : tensor<2x2xi32>>>
func.func @forms(%x: tensor<4xf32>, %y: tensor<2x3xf32>, %z: tensor<8x2xf32>) -> tensor<4xf32> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u8:f32, 0.5:128>>
  %a = qc.quantize %y : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2:3, 0.3}>>
  %g = qc.quantize %z : tensor<8x2xf32> -> tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf32>, zero_points = dense<[[8, 9], [15, 0]]> : tensor<2x2xi32>>>
  %d = qc.dequantize %q : tensor<4x!qc.uniform<u8:f32, 0.5:128>> -> tensor<4xf32>
  return %d : tensor<4xf32>
}
