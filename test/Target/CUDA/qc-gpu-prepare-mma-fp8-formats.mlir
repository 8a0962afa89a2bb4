// RUN: qc-opt %s --split-input-file --qc-gpu-prepare-mma | FileCheck %s

// The `fp8` scheme with --fp8-format=e5m2 --fp8-weight-scales=channel on the
// GPU path: E5M2 activations dequantized before a matmul whose E5M2 weight
// has one scale per output column. The tensor-core contraction is tagged
// "e5m2.e5m2" and decodes E5M2 (2 mantissa bits: the magnitude shifted by
// 21 and rebiased, subnormal unit 2^-16, field 31 Inf/NaN); the epilogue
// multiplies column n by s_x * s_w[n] = 0.5 * {0.25, 0.5, 1, 2}, so
// per-channel scales are not collapsed to one.
// CHECK-LABEL: func.func @e5m2_channel
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<[1.250000e-01, 2.500000e-01, 5.000000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK-DAG: arith.constant 1.52587891E-5 : f32
// CHECK-DAG: arith.constant 21 : i32
// CHECK-DAG: arith.constant 124 : i32
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: qc.gpu.mma = "e5m2.e5m2"
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[ACC]], %[[SCALE]] : tensor<4x4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: linalg.yield
// test/Integration/LowBit/fp8-formats.test compiles this form to PTX
// (mma.sync ... e5m2.e5m2) and runs the GPU lowering emulated on the host
// against an independent reference.
func.func @e5m2_channel(%x: tensor<4x32xf32>) -> tensor<4x4xf32> {
  %q = qc.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qc.uniform<f8E5M2:f32, 0.5>>
  %d = qc.dequantize %q : tensor<4x32x!qc.uniform<f8E5M2:f32, 0.5>> -> tensor<4x32xf32>
  %wb = arith.constant dense<60> : tensor<32x4xi8>
  %w = qc.storage_cast %wb : tensor<32x4xi8> -> tensor<32x4x!qc.uniform<f8E5M2:f32:1, {0.25, 0.5, 1.0, 2.0}>>
  %y = qc.matmul %d, %w : (tensor<4x32xf32>, tensor<32x4x!qc.uniform<f8E5M2:f32:1, {0.25, 0.5, 1.0, 2.0}>>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// Mixed formats (E4M3 activations, E5M2 weights) are a valid FP8 MMA pair;
// the per-channel E4M3 weight scales reach the epilogue the same way.
// CHECK-LABEL: func.func @e4m3_e5m2
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: linalg.generic
// CHECK-SAME: qc.gpu.mma = "e4m3.e5m2"
// CHECK: ins(%{{.*}}, %[[SCALE]] : tensor<4x2xf32>, tensor<2xf32>)
func.func @e4m3_e5m2(%x: tensor<4x32xf32>) -> tensor<4x2xf32> {
  %q = qc.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qc.uniform<f8E4M3FN:f32, 2.0>>
  %d = qc.dequantize %q : tensor<4x32x!qc.uniform<f8E4M3FN:f32, 2.0>> -> tensor<4x32xf32>
  %wb = arith.constant dense<60> : tensor<32x2xi8>
  %w = qc.storage_cast %wb : tensor<32x2xi8> -> tensor<32x2x!qc.uniform<f8E5M2:f32:1, {0.5, 0.25}>>
  %y = qc.matmul %d, %w : (tensor<4x32xf32>, tensor<32x2x!qc.uniform<f8E5M2:f32:1, {0.5, 0.25}>>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
