// RUN: qc-opt %s --split-input-file --qc-gpu-prepare-mma | FileCheck %s

// INT8: u8 data (zero point 128) x symmetric per-channel s8 weight. The
// weight becomes a [N, Kp] constant (K = 20 padded to 32), the data bytes
// are padded along K, the contraction is tagged "u8.s8" and accumulates in
// i32; the epilogue subtracts zp * column sum, scales and requantizes.
// CHECK-LABEL: func.func @int8_per_channel
// The correction is 128 * (column sum): the columns sum to 20, -20 and 0;
// the scales are 0.05 * s_w rounded to f32.
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense<[2560, -2560, 0]> : tensor<3xi32>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<[0.00500000035, 0.0100000007, 0.0150000006]> : tensor<3xf32>
// CHECK-DAG: %[[WT:.*]] = arith.constant dense<{{\[\[}}1, 1, {{.*}}, 1, 0, {{.*}}, 0], [-1, {{.*}}]]> : tensor<3x32xi8>
// CHECK-NOT: qc.matmul
// CHECK: tensor.pad %{{.*}} low[0, 0] high[0, 12]
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<2x3xi32>)
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[WT]] : tensor<2x32xi8>, tensor<3x32xi8>)
// CHECK-SAME: qc.gpu.mma = "u8.s8"
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: } -> tensor<2x3xi32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[ACC]], %[[SCALE]], %[[CORR]] : tensor<2x3xi32>, tensor<3xf32>, tensor<3xi32>)
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: math.roundeven
// CHECK: -> tensor<2x3xi8>
// CHECK: qc.storage_cast %{{.*}} : tensor<2x3xi8> -> tensor<2x3x!qc.uniform<u8:f32, 0.2:128>>
func.func @int8_per_channel(%x: tensor<2x20xf32>) -> tensor<2x3x!qc.uniform<u8:f32, 0.2:128>> {
  %q = qc.quantize %x : tensor<2x20xf32> -> tensor<2x20x!qc.uniform<u8:f32, 0.05:128>>
  %wb = arith.constant dense<[[1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0], [1, -1, 0]]> : tensor<20x3xi8>
  %w = qc.storage_cast %wb : tensor<20x3xi8> -> tensor<20x3x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>
  %y = qc.matmul %q, %w : (tensor<2x20x!qc.uniform<u8:f32, 0.05:128>>, tensor<20x3x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>) -> tensor<2x3x!qc.uniform<u8:f32, 0.2:128>>
  return %y : tensor<2x3x!qc.uniform<u8:f32, 0.2:128>>
}

// -----

// FP8: e4m3 data x e4m3 weight, leading dimensions folded into M. The
// contraction decodes both operands to f32 and accumulates in f32 (tag
// "e4m3.e4m3"); the epilogue only scales (no zero points). K = 32 needs no
// padding.
// CHECK-LABEL: func.func @fp8_folded
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<1.250000e-01> : tensor<4xf32>
// CHECK-DAG: %[[WT:.*]] = arith.constant dense<56> : tensor<4x32xi8>
// CHECK-NOT: tensor.pad
// CHECK: %[[A:.*]] = tensor.collapse_shape %{{.*}} : tensor<2x3x32xi8> into tensor<6x32xi8>
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: ins(%[[A]], %[[WT]] : tensor<6x32xi8>, tensor<4x32xi8>)
// CHECK-SAME: qc.gpu.mma = "e4m3.e4m3"
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: } -> tensor<6x4xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[ACC]], %[[SCALE]] : tensor<6x4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: linalg.yield
// CHECK: tensor.expand_shape %{{.*}} output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
func.func @fp8_folded(%x: tensor<2x3x32xf32>) -> tensor<2x3x4xf32> {
  %q = qc.quantize %x : tensor<2x3x32xf32> -> tensor<2x3x32x!qc.uniform<f8E4M3FN:f32, 0.5>>
  %wb = arith.constant dense<56> : tensor<32x4xi8>
  %w = qc.storage_cast %wb : tensor<32x4xi8> -> tensor<32x4x!qc.uniform<f8E4M3FN:f32, 0.25>>
  %y = qc.matmul %q, %w : (tensor<2x3x32x!qc.uniform<f8E4M3FN:f32, 0.5>>, tensor<32x4x!qc.uniform<f8E4M3FN:f32, 0.25>>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// The `fp8` scheme's form, FP8 activations dequantized before a matmul with
// an FP8 weight, also runs on FP8 tensor cores (the dequantize is looked
// through); the same with u8 activations stays a float matmul.
// CHECK-LABEL: func.func @fp8_dequantized
// CHECK: qc.quantize %{{.*}} -> tensor<4x32x!qc.uniform<f8E4M3FN:f32, 0.5>>
// CHECK: linalg.generic
// CHECK-SAME: qc.gpu.mma = "e4m3.e4m3"
// CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<4x32xf32>, tensor<32x8x!qc.uniform<i8:f32, 0.25>>)
func.func @fp8_dequantized(%x: tensor<4x32xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %q = qc.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qc.uniform<f8E4M3FN:f32, 0.5>>
  %d = qc.dequantize %q : tensor<4x32x!qc.uniform<f8E4M3FN:f32, 0.5>> -> tensor<4x32xf32>
  %wb = arith.constant dense<56> : tensor<32x8xi8>
  %w = qc.storage_cast %wb : tensor<32x8xi8> -> tensor<32x8x!qc.uniform<f8E4M3FN:f32, 0.25>>
  %y = qc.matmul %d, %w : (tensor<4x32xf32>, tensor<32x8x!qc.uniform<f8E4M3FN:f32, 0.25>>) -> tensor<4x8xf32>
  %qi = qc.quantize %x : tensor<4x32xf32> -> tensor<4x32x!qc.uniform<u8:f32, 0.5:128>>
  %di = qc.dequantize %qi : tensor<4x32x!qc.uniform<u8:f32, 0.5:128>> -> tensor<4x32xf32>
  %wi = qc.storage_cast %wb : tensor<32x8xi8> -> tensor<32x8x!qc.uniform<i8:f32, 0.25>>
  %z = qc.matmul %di, %wi : (tensor<4x32xf32>, tensor<32x8x!qc.uniform<i8:f32, 0.25>>) -> tensor<4x8xf32>
  return %y, %z : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// W4A8: signed 4-bit weights become a packed [N, Kp / 2] constant (K = 40
// padded to 64, k = 2j in the low nibble of byte j: w = 1 everywhere gives
// 0x11 = 17 per byte, 0 in the padding); the contraction reads a byte per
// two k (tag "s8.s4") and extracts the nibble of its k.
// CHECK-LABEL: func.func @w4a8
// CHECK-DAG: %[[WT:.*]] = arith.constant dense<{{\[\[}}17, 17, {{.*}}, 17, 0, {{.*}}, 0]{{.*}}> : tensor<3x32xi8>
// CHECK: tensor.pad %{{.*}} high[0, 24]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[WT]] : tensor<2x64xi8>, tensor<3x32xi8>)
// CHECK-SAME: qc.gpu.mma = "s8.s4"
// CHECK: linalg.index 2
// CHECK: arith.shli
// CHECK: arith.shrsi
// CHECK: arith.extsi %{{.*}} : i8 to i32
func.func @w4a8(%x: tensor<2x40xf32>) -> tensor<2x3xf32> {
  %q = qc.quantize %x : tensor<2x40xf32> -> tensor<2x40x!qc.uniform<i8:f32, 0.05>>
  %wb = arith.constant dense<1> : tensor<40x3xi4>
  %w = qc.storage_cast %wb : tensor<40x3xi4> -> tensor<40x3x!qc.uniform<i4:f32, 0.1>>
  %y = qc.matmul %q, %w : (tensor<2x40x!qc.uniform<i8:f32, 0.05>>, tensor<40x3x!qc.uniform<i4:f32, 0.1>>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// No tensor-core form: unsigned 4-bit weights, per-input-channel weights
// and float data (weight-only) stay qc.matmul (convert-qc-to-linalg lowers
// them as on the CPU).
// CHECK-LABEL: func.func @not_rewritten
// CHECK: qc.matmul
// CHECK: qc.matmul
// CHECK: qc.matmul
// CHECK-NOT: qc.gpu.mma
func.func @not_rewritten(%x: tensor<2x16xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %q = qc.quantize %x : tensor<2x16xf32> -> tensor<2x16x!qc.uniform<i8:f32, 0.05>>
  %w4b = arith.constant dense<1> : tensor<16x4xi4>
  %w4 = qc.storage_cast %w4b : tensor<16x4xi4> -> tensor<16x4x!qc.uniform<u4:f32, 0.1:8>>
  %y4 = qc.matmul %q, %w4 : (tensor<2x16x!qc.uniform<i8:f32, 0.05>>, tensor<16x4x!qc.uniform<u4:f32, 0.1:8>>) -> tensor<2x4xf32>
  %wkb = arith.constant dense<1> : tensor<16x4xi8>
  %wk = qc.storage_cast %wkb : tensor<16x4xi8> -> tensor<16x4x!qc.uniform<i8:f32:0, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}>>
  %yk = qc.matmul %q, %wk : (tensor<2x16x!qc.uniform<i8:f32, 0.05>>, tensor<16x4x!qc.uniform<i8:f32:0, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}>>) -> tensor<2x4xf32>
  %ws = qc.storage_cast %w4b : tensor<16x4xi4> -> tensor<16x4x!qc.uniform<i4:f32, 0.1>>
  %yw = qc.matmul %x, %ws : (tensor<2x16xf32>, tensor<16x4x!qc.uniform<i4:f32, 0.1>>) -> tensor<2x4xf32>
  return %y4, %yk, %yw : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
