// RUN: qc-opt %s -split-input-file -verify-diagnostics --convert-qc-to-linalg | FileCheck %s

// Per tensor: one generic; divide, round half to even, add the zero point,
// clamp, NaN -> zero point, convert. No truncating fptosi of the raw value.
// CHECK-LABEL: func.func @quantize_per_tensor
// CHECK-SAME: -> tensor<4xi8>
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.addf
// CHECK: arith.maxnumf
// CHECK: arith.minnumf
// CHECK: arith.cmpf uno
// CHECK: arith.select
// 8-bit storage converts through i32 (16 lanes per AVX-512 conversion),
// 32-bit storage through i64.
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK-NOT: qc.
// CHECK-LABEL: func.func @quantize_i32_storage
// CHECK: arith.fptosi %{{.*}} : f64 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
func.func @quantize_per_tensor(%x: tensor<4xf32>) -> tensor<4x!qc.uniform<u8:f32, 0.5:128>> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u8:f32, 0.5:128>>
  return %q : tensor<4x!qc.uniform<u8:f32, 0.5:128>>
}
func.func @quantize_i32_storage(%x: tensor<4xf32>) -> tensor<4x!qc.uniform<i32:f32, 0.5>> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i32:f32, 0.5>>
  return %q : tensor<4x!qc.uniform<i32:f32, 0.5>>
}

// -----

// Per axis: scales and zero points are constant inputs read along the axis.
// CHECK-DAG: #[[AXIS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @quantize_per_axis
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<[0, 3, 0]> : tensor<3xi32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[AXIS]], #[[AXIS]], #[[ID]]]
// CHECK-SAME: ins(%{{.*}}, %[[S]], %[[Z]] :
func.func @quantize_per_axis(%x: tensor<2x3xf32>) -> tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2:3, 0.3}>> {
  %q = qc.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2:3, 0.3}>>
  return %q : tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2:3, 0.3}>>
}

// -----

// Per group: the scale map divides the blocked dimension by the block size.
// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1) -> (d0 floordiv 4, d1)>
// CHECK-LABEL: func.func @dequantize_per_group
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[GROUP]], #[[GROUP]], #{{.*}}]
// CHECK: arith.extui
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize_per_group(%q: tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf32>, zero_points = dense<8> : tensor<2x2xi32>>>) -> tensor<8x2xf32> {
  %x = qc.dequantize %q : tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf32>, zero_points = dense<8> : tensor<2x2xi32>>> -> tensor<8x2xf32>
  return %x : tensor<8x2xf32>
}

// -----

// FP8 encodes with integer arithmetic on the float's bits.
// CHECK-LABEL: func.func @quantize_fp8
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.minnumf %{{.*}}, %{{.*}} : f32
// CHECK: arith.shrui
// CHECK: math.roundeven
// CHECK: arith.trunci %{{.*}} : i32 to i8
func.func @quantize_fp8(%x: tensor<4xf32>) -> tensor<4x!qc.uniform<f8E4M3FN:f32, 0.5>> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<f8E4M3FN:f32, 0.5>>
  return %q : tensor<4x!qc.uniform<f8E4M3FN:f32, 0.5>>
}

// -----

// storage_cast disappears; the quantized signature becomes the storage one.
// CHECK-LABEL: func.func @storage_cast
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: return %[[A]]
func.func @storage_cast(%a: tensor<4xi8>) -> tensor<4x!qc.uniform<i8:f32, 1.0>> {
  %q = qc.storage_cast %a : tensor<4xi8> -> tensor<4x!qc.uniform<i8:f32, 1.0>>
  return %q : tensor<4x!qc.uniform<i8:f32, 1.0>>
}

// -----

// Float matmul: batch folded into M when the weight is 2-D.
// CHECK-LABEL: func.func @matmul_batch_folded
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x5x3xf32> into tensor<10x3xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<10x3xf32>, tensor<3x4xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [2, 5, 4]
func.func @matmul_batch_folded(%a: tensor<2x5x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x5x4xf32> {
  %0 = qc.matmul %a, %b : (tensor<2x5x3xf32>, tensor<3x4xf32>) -> tensor<2x5x4xf32>
  return %0 : tensor<2x5x4xf32>
}

// -----

// Batched on both sides with broadcasting: broadcast, then batch_matmul.
// CHECK-LABEL: func.func @matmul_broadcast
// CHECK: linalg.generic
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<6x5x3xf32>, tensor<6x3x4xf32>)
func.func @matmul_broadcast(%a: tensor<1x3x5x3xf32>, %b: tensor<2x3x3x4xf32>) -> tensor<2x3x5x4xf32> {
  %0 = qc.matmul %a, %b : (tensor<1x3x5x3xf32>, tensor<2x3x3x4xf32>) -> tensor<2x3x5x4xf32>
  return %0 : tensor<2x3x5x4xf32>
}

// -----

// Group 1 convolution: pad, bias as the initial accumulator, named conv op.
// CHECK-LABEL: func.func @conv_bias_pad
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.generic
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @conv_bias_pad(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// Grouped convolution: a generic over (n, g, o, y, x, c, ky, kx).
// CHECK-LABEL: func.func @conv_grouped
// CHECK: tensor.expand_shape %{{.*}} : tensor<1x4x6x6xf32> into tensor<1x2x2x6x6xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @conv_grouped(%x: tensor<1x4x6x6xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x4x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// Quantized data x per-channel weights: an i32 accumulation over
// (q_a - zp_a) * (q_w - zp_w), then an epilogue scaling by s_a * s_w[n].
// CHECK-LABEL: func.func @quantized_matmul
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<2x4xi32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: linalg.generic
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.mulf
func.func @quantized_matmul(%a: tensor<2x3x!qc.uniform<u8:f32, 0.1:128>>, %w: tensor<3x4x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<2x4xf32> {
  %0 = qc.matmul %a, %w : (tensor<2x3x!qc.uniform<u8:f32, 0.1:128>>, tensor<3x4x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Weight-only: the weight is dequantized inside the reduction loop, never
// materialized as a float tensor.
// CHECK-LABEL: func.func @weight_only_matmul
// CHECK-NOT: tensor<3x4xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3x4xi4>, tensor<4xf32>)
// CHECK: arith.extsi %{{.*}} : i4 to i32
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @weight_only_matmul(%a: tensor<2x3xf32>, %w: tensor<3x4x!qc.uniform<i4:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<2x4xf32> {
  %0 = qc.matmul %a, %w : (tensor<2x3xf32>, tensor<3x4x!qc.uniform<i4:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Integer kernels cannot rescale along the contraction: weights quantized
// per input channel with quantized data are rejected.
func.func @per_input_channel(%a: tensor<2x3x!qc.uniform<u8:f32, 0.1:128>>, %w: tensor<3x4x!qc.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'qc.matmul'}}
  %0 = qc.matmul %a, %w : (tensor<2x3x!qc.uniform<u8:f32, 0.1:128>>, tensor<3x4x!qc.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
