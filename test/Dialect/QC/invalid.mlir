// RUN: qc-opt %s -split-input-file -verify-diagnostics

func.func @scale_not_positive(%x: tensor<4xf32>) {
  // expected-error @+1 {{scale must be positive and finite, got -0.5}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32, -0.5>>
  return
}

// -----

func.func @scale_zero(%x: tensor<4xf32>) {
  // expected-error @+1 {{scale must be positive and finite, got 0}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32, 0.0>>
  return
}

// -----

func.func @scale_nan(%x: tensor<4xf32>) {
  // expected-error @+1 {{scale must be positive and finite, got NaN}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32:0, block = 2, scales = dense<0x7FC00000> : tensor<2xf32>>>
  return
}

// -----

func.func @zero_point_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{zero point 300 is outside the storage range [-128, 127]}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32, 0.5:300>>
  return
}

// -----

func.func @int4_zero_point(%x: tensor<4xf32>) {
  // expected-error @+1 {{zero point 8 is outside the storage range [-8, 7]}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i4:f32, 0.5:8>>
  return
}

// -----

func.func @narrow_zero_point(%x: tensor<4xf32>) {
  // expected-error @+1 {{zero point -128 is outside the storage range [-127, 127]}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8<-127:127>:f32, 0.5:-128>>
  return
}

// -----

func.func @bit_width(%x: tensor<4xf32>) {
  // expected-error @+1 {{storage bit width 9 is out of range (expected 2 to 8, 16 or 32)}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i9:f32, 0.5>>
  return
}

// -----

func.func @bit_width_one(%x: tensor<4xf32>) {
  // expected-error @+1 {{storage bit width 1 is out of range}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u1:f32, 0.5>>
  return
}

// -----

func.func @wide_unsigned(%x: tensor<4xf32>) {
  // expected-error @+1 {{unsigned storage wider than 16 bits is not supported, got u32}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u32:f32, 0.5>>
  return
}

// -----

func.func @storage_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{storage range [-200, 127] is outside the range of i8 [-128, 127]}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8<-200:127>:f32, 0.5>>
  return
}

// -----

func.func @storage_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{expected storage type iN, uN, f8E4M3FN or f8E5M2}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<f16:f32, 0.5>>
  return
}

// -----

func.func @expressed_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{expressed type must be f16, bf16, f32 or f64}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8:i32, 0.5>>
  return
}

// -----

func.func @fp8_zero_point(%x: tensor<4xf32>) {
  // expected-error @+1 {{FP8 quantization must have zero point 0, got 3}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<f8E4M3FN:f32, 0.5:3>>
  return
}

// -----

func.func @axis_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{quantization axis 2 is out of range for a value of rank 2}}
  %q = qc.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:2, {0.1, 0.2}>>
  return
}

// -----

func.func @axis_negative(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{quantization axis must be non-negative, got -3}}
  %q = qc.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:-3, {0.1, 0.2}>>
  return
}

// -----

func.func @axis_scale_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{per-axis quantization has 2 scales but dimension 1 has size 3}}
  %q = qc.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @block_not_dividing(%x: tensor<6x2xf32>) {
  // expected-error @+1 {{block size 4 does not divide dimension 0 of size 6}}
  %q = qc.quantize %x : tensor<6x2xf32> -> tensor<6x2x!qc.uniform<i4:f32:0, block = 4, scales = dense<0.5> : tensor<2x2xf32>>>
  return
}

// -----

func.func @block_scale_shape(%x: tensor<8x2xf32>) {
  // expected-error @+1 {{per-group scales have 4 blocks along axis 0, expected 2}}
  %q = qc.quantize %x : tensor<8x2xf32> -> tensor<8x2x!qc.uniform<i4:f32:0, block = 4, scales = dense<0.5> : tensor<4x2xf32>>>
  return
}

// -----

func.func @block_scale_rank(%x: tensor<8x2xf32>) {
  // expected-error @+1 {{per-group scales must have the rank of the value (2), got 1}}
  %q = qc.quantize %x : tensor<8x2xf32> -> tensor<8x2x!qc.uniform<i4:f32:0, block = 4, scales = dense<0.5> : tensor<2xf32>>>
  return
}

// -----

func.func @block_zero_point_shape(%x: tensor<8x2xf32>) {
  // expected-error @+1 {{zero points and scales must have the same shape}}
  %q = qc.quantize %x : tensor<8x2xf32> -> tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<0.5> : tensor<2x2xf32>, zero_points = dense<8> : tensor<2xi32>>>
  return
}

// -----

func.func @scale_type(%x: tensor<8x2xf32>) {
  // expected-error @+1 {{scales must have the expressed type 'f32', got 'f16'}}
  %q = qc.quantize %x : tensor<8x2xf32> -> tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<0.5> : tensor<2x2xf16>>>
  return
}

// -----

func.func @quantize_expressed_mismatch(%x: tensor<4xf16>) {
  // expected-error @+1 {{input element type 'f16' differs from the expressed type 'f32'}}
  %q = qc.quantize %x : tensor<4xf16> -> tensor<4x!qc.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @quantize_saturate_int(%x: tensor<4xf32>) {
  // expected-error @+1 {{saturate = false is only defined for FP8 storage}}
  %q = qc.quantize %x {saturate = false} : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @quantize_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<5x!qc.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @dequantize_result_type(%q: tensor<4x!qc.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{result element type 'f64' differs from the expressed type 'f32'}}
  %x = qc.dequantize %q : tensor<4x!qc.uniform<i8:f32, 0.5>> -> tensor<4xf64>
  return
}

// -----

func.func @requantize_expressed(%q: tensor<4x!qc.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{input and result expressed types differ: 'f32' vs 'f16'}}
  %x = qc.requantize %q : tensor<4x!qc.uniform<i8:f32, 0.5>> -> tensor<4x!qc.uniform<i8:f16, 0.5>>
  return
}

// -----

func.func @storage_cast_both_float(%x: tensor<4xi8>) {
  // expected-error @+1 {{exactly one side must be quantized}}
  %y = qc.storage_cast %x : tensor<4xi8> -> tensor<4xi8>
  return
}

// -----

func.func @storage_cast_width(%x: tensor<4xi8>) {
  // expected-error @+1 {{the non-quantized side must have element type 'i4', got 'i8'}}
  %y = qc.storage_cast %x : tensor<4xi8> -> tensor<4x!qc.uniform<i4:f32, 0.5>>
  return
}

// -----

func.func @observe_name(%x: tensor<4xf32>) {
  // expected-error @+1 {{needs a non-empty name}}
  qc.observe %x {name = ""} : tensor<4xf32>
  return
}

// -----

func.func @stats_order(%x: tensor<4xf32>) {
  // expected-error @+1 {{statistics min is greater than max}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 2.0, max = 1.0, count = 1>} : tensor<4xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{matmul contraction sizes differ: 3 vs 4}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error @+1 {{matmul batch dimensions 2 and 3 do not broadcast}}
  %0 = qc.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x5xf32>) -> tensor<2x2x5xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{result shape does not match the operands}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_quantized_result_float_data(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{a quantized result needs quantized data operands}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x5x!qc.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @matmul_mixed_float(%a: tensor<2x3xf32>, %b: tensor<3x5xf16>) {
  // expected-error @+1 {{operands and result must share one expressed float type}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf16>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_per_axis_data(%a: tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>, %b: tensor<3x5x!qc.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{data operands must be quantized per tensor}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>, tensor<3x5x!qc.uniform<i8:f32, 0.5>>) -> tensor<2x5xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x3x3x3xf32>) {
  // expected-error @+1 {{convolution input has 4 channels but weight expects 3 x group 1}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_attrs(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{convolution needs 2 strides and dilations and 4 pads}}
  %0 = qc.conv %x, %w {strides = array<i64: 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{result shape does not match the operands}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{bias must be 1-D with one entry per output channel}}
  %0 = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>, tensor<5xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @stats_histogram_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{statistics histogram must be a non-empty 1-D i64 tensor}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, hist_max = 1.0, hist = dense<[1, 2]> : tensor<2xi32>>} : tensor<4xf32>
  return
}

// -----

func.func @stats_histogram_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{statistics histogram needs a positive hist_max}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, hist_max = 0.0, hist = dense<[1, 2]> : tensor<2xi64>>} : tensor<4xf32>
  return
}

// -----

func.func @stats_channel_sizes(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{statistics channel_min has 3 entries but channel_max has 2}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<[0.0, 0.0, 0.0]> : tensor<3xf32>, channel_max = dense<[1.0, 1.0]> : tensor<2xf32>>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_channel_order(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{per-channel statistics min is greater than max (channel 2)}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<[0.0, 0.0, 0.5]> : tensor<3xf32>, channel_max = dense<[1.0, 1.0, 0.25]> : tensor<3xf32>>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_channel_finite(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{per-channel statistics must be finite (channel 1)}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<[0.0, 0xFF800000, 0.0]> : tensor<3xf32>, channel_max = dense<[1.0, 1.0, 1.0]> : tensor<3xf32>>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_channel_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{statistics channel_axis must be non-negative, got -2}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = -2, channel_min = dense<[0.0]> : tensor<1xf32>, channel_max = dense<[1.0]> : tensor<1xf32>>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_channel_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{statistics channel_min and channel_max must be non-empty 1-D f32 or f64 tensors}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<[[0.0]]> : tensor<1x1xf32>, channel_max = dense<[[1.0]]> : tensor<1x1xf32>>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_channel_not_float(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected a dense float tensor for channel_min}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<[0, 1]> : tensor<2xi32>, channel_max = dense<[1.0, 1.0]> : tensor<2xf32>>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_channel_missing(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected ','}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<[0.0, 1.0]> : tensor<2xf32>>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_unknown_key(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{unexpected 'bins' in statistics}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, bins = 3>} : tensor<2x3xf32>
  return
}

// -----

func.func @stats_order_of_parts(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{unexpected 'hist_max' in statistics}}
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<[0.0]> : tensor<1xf32>, channel_max = dense<[1.0]> : tensor<1xf32>, hist_max = 1.0, hist = dense<[1]> : tensor<1xi64>>} : tensor<2x3xf32>
  return
}

// -----

func.func @packed_matmul_k_mismatch(%a: tensor<8x60xi8>, %w: tensor<2x16x16x4xi8>, %acc: tensor<8x32xi32>) {
  // expected-error @+1 {{lhs has K = 60 but the packed rhs has K1 * K0 = 64}}
  %0 = qc.packed_matmul ins(%a, %w : tensor<8x60xi8>, tensor<2x16x16x4xi8>) outs(%acc : tensor<8x32xi32>) -> tensor<8x32xi32>
  return
}

// -----

func.func @packed_matmul_init_shape(%a: tensor<8x64xi8>, %w: tensor<2x16x16x4xi8>, %acc: tensor<8x16xi32>) {
  // expected-error @+1 {{init must be [M, N1 * N0] = [8, 32]}}
  %0 = qc.packed_matmul ins(%a, %w : tensor<8x64xi8>, tensor<2x16x16x4xi8>) outs(%acc : tensor<8x16xi32>) -> tensor<8x16xi32>
  return
}

// -----

func.func @packed_matmul_types(%a: tensor<8x64xi8>, %w: tensor<2x16x16x4xi8>, %acc: tensor<8x32xf32>) {
  // expected-error @+1 {{expects (i8, i8) -> i32 or (f32, f32) -> f32}}
  %0 = qc.packed_matmul ins(%a, %w : tensor<8x64xi8>, tensor<2x16x16x4xi8>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  return
}

// -----

func.func @packed_matmul_mixed(%a: tensor<8x64xi8>, %w: memref<2x16x16x4xi8>, %acc: tensor<8x32xi32>) {
  // expected-error @+1 {{operands must be all tensors or all memrefs}}
  %0 = qc.packed_matmul ins(%a, %w : tensor<8x64xi8>, memref<2x16x16x4xi8>) outs(%acc : tensor<8x32xi32>) -> tensor<8x32xi32>
  return
}

// -----

func.func @packed_dequant_matmul_0(%x: tensor<1x256xf32>, %w: tensor<2x32x1x16xi32>, %s: tensor<2x2x1x16xf32>, %z: tensor<2x2x1x16xf32>, %acc: tensor<1x32xf32>) {
  // expected-error @+1 {{bits must be 4 or 8, got 2}}
  %0 = qc.packed_dequant_matmul ins(%x, %w, %s, %z : tensor<1x256xf32>, tensor<2x32x1x16xi32>, tensor<2x2x1x16xf32>, tensor<2x2x1x16xf32>) outs(%acc : tensor<1x32xf32>) {bits = 2 : i64, group_size = 128 : i64} -> tensor<1x32xf32>
  return
}

// -----

func.func @packed_dequant_matmul_1(%x: tensor<1x256xf32>, %w: tensor<2x32x1x16xi32>, %s: tensor<2x2x1x16xf32>, %z: tensor<2x2x1x16xf32>, %acc: tensor<1x32xf32>) {
  // expected-error @+1 {{group_size must be positive, got 0}}
  %0 = qc.packed_dequant_matmul ins(%x, %w, %s, %z : tensor<1x256xf32>, tensor<2x32x1x16xi32>, tensor<2x2x1x16xf32>, tensor<2x2x1x16xf32>) outs(%acc : tensor<1x32xf32>) {bits = 4 : i64, group_size = 0 : i64} -> tensor<1x32xf32>
  return
}

// -----

func.func @packed_dequant_matmul_2(%x: tensor<1x256xf32>, %w: tensor<2x32x1x16xi32>, %s: tensor<2x2x1x16xf32>, %z: tensor<2x2x1x16xf32>, %acc: tensor<1x32xf32>) {
  // expected-error @+1 {{rhs must be [N2, 64, T, 16] (T >= 1) for K = 256 and 8-bit codes}}
  %0 = qc.packed_dequant_matmul ins(%x, %w, %s, %z : tensor<1x256xf32>, tensor<2x32x1x16xi32>, tensor<2x2x1x16xf32>, tensor<2x2x1x16xf32>) outs(%acc : tensor<1x32xf32>) {bits = 8 : i64, group_size = 128 : i64} -> tensor<1x32xf32>
  return
}

// -----

func.func @packed_dequant_matmul_3(%x: tensor<1x256xf32>, %w: tensor<2x32x1x16xi32>, %s: tensor<2x2x1x16xf32>, %z: tensor<2x2x1x16xf32>, %acc: tensor<1x32xf32>) {
  // expected-error @+1 {{scales and zero_points must be [2, 4, 1, 16]}}
  %0 = qc.packed_dequant_matmul ins(%x, %w, %s, %z : tensor<1x256xf32>, tensor<2x32x1x16xi32>, tensor<2x2x1x16xf32>, tensor<2x2x1x16xf32>) outs(%acc : tensor<1x32xf32>) {bits = 4 : i64, group_size = 64 : i64} -> tensor<1x32xf32>
  return
}

// -----

func.func @packed_dequant_matmul_4(%x: tensor<1x256xf32>, %w: tensor<2x32x1x16xi32>, %s: tensor<2x2x1x16xf32>, %z: tensor<2x2x1x16xf32>, %acc: tensor<1x32xf32>, %acc2: tensor<1x16xf32>) {
  // expected-error @+1 {{init must be [M, N2 * T * 16] = [1, 32]}}
  %0 = qc.packed_dequant_matmul ins(%x, %w, %s, %z : tensor<1x256xf32>, tensor<2x32x1x16xi32>, tensor<2x2x1x16xf32>, tensor<2x2x1x16xf32>) outs(%acc2 : tensor<1x16xf32>) {bits = 4 : i64, group_size = 128 : i64} -> tensor<1x16xf32>
  return
}

// -----

func.func @packed_dequant_matmul_5(%x: tensor<1x256xf32>, %w: tensor<2x32x1x16xi32>, %s: tensor<2x2x1x16xf32>, %z: tensor<2x2x1x16xf32>, %acc: tensor<1x32xf32>, %wi8: tensor<2x32x1x16xi8>) {
  // expected-error @+1 {{expects f32 lhs, scales, zero_points and init and an i32 rhs}}
  %0 = qc.packed_dequant_matmul ins(%x, %wi8, %s, %z : tensor<1x256xf32>, tensor<2x32x1x16xi8>, tensor<2x2x1x16xf32>, tensor<2x2x1x16xf32>) outs(%acc : tensor<1x32xf32>) {bits = 4 : i64, group_size = 128 : i64} -> tensor<1x32xf32>
  return
}

// -----

func.func @packed_dequant_matmul_6(%x: tensor<1x256xf32>, %w: tensor<2x32x1x16xi32>, %s: tensor<2x2x1x16xf32>, %z: tensor<2x2x1x16xf32>, %acc: tensor<1x32xf32>, %wm: memref<2x32x1x16xi32>) {
  // expected-error @+1 {{operands must be all tensors or all memrefs}}
  %0 = qc.packed_dequant_matmul ins(%x, %wm, %s, %z : tensor<1x256xf32>, memref<2x32x1x16xi32>, tensor<2x2x1x16xf32>, tensor<2x2x1x16xf32>) outs(%acc : tensor<1x32xf32>) {bits = 4 : i64, group_size = 128 : i64} -> tensor<1x32xf32>
  return
}
