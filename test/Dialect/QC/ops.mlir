// RUN: qc-opt %s | qc-opt | FileCheck %s
// RUN: qc-opt %s --mlir-print-op-generic | qc-opt | FileCheck %s

// Every !qc.uniform form and every qc op survives print -> parse -> print.

// CHECK-LABEL: func.func @per_tensor
func.func @per_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: qc.quantize %{{.*}} : tensor<4xf32> -> tensor<4x!qc.uniform<u8:f32, 0.0213:128>>
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u8:f32, 0.0213:128>>
  // CHECK: qc.dequantize %{{.*}} : tensor<4x!qc.uniform<u8:f32, 0.0213:128>> -> tensor<4xf32>
  %d = qc.dequantize %q : tensor<4x!qc.uniform<u8:f32, 0.0213:128>> -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// CHECK-LABEL: func.func @storage_forms
func.func @storage_forms(%x: tensor<4xf32>) {
  // CHECK: !qc.uniform<i8:f32, 0.5>
  %0 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32, 0.5>>
  // Narrow range keeps its bounds; the full range prints without them.
  // CHECK: !qc.uniform<i8<-127:127>:f32, 0.5>
  %1 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8<-127:127>:f32, 0.5>>
  // CHECK: !qc.uniform<i8:f32, 0.5:-3>
  %2 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8<-128:127>:f32, 0.5:-3>>
  // CHECK: !qc.uniform<i4:f32, 0.25>
  %3 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i4:f32, 0.25>>
  // An unsigned 4-bit zero point of 8 stays 8 (upstream prints it as -8).
  // CHECK: !qc.uniform<u4:f32, 0.25:8>
  %4 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u4:f32, 0.25:8>>
  // CHECK: !qc.uniform<i2:f32, 1.0>
  %5 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i2:f32, 1.0>>
  // CHECK: !qc.uniform<u16:f32, 1.0e-05:32768>
  %6 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<u16:f32, 0.00001:32768>>
  // CHECK: !qc.uniform<f8E4M3FN:f32, 0.0125>
  %7 = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<f8E4M3FN:f32, 0.0125>>
  // CHECK: qc.quantize %{{.*}} {saturate = false} : tensor<4xf32> -> tensor<4x!qc.uniform<f8E5M2:f32, 2.0>>
  %8 = qc.quantize %x {saturate = false} : tensor<4xf32> -> tensor<4x!qc.uniform<f8E5M2:f32, 2.0>>
  return
}

// CHECK-LABEL: func.func @expressed_types
func.func @expressed_types(%h: tensor<4xf16>, %b: tensor<4xbf16>, %d: tensor<4xf64>) {
  // CHECK: !qc.uniform<i8:f16, 0.5>
  %0 = qc.quantize %h : tensor<4xf16> -> tensor<4x!qc.uniform<i8:f16, 0.5>>
  // CHECK: !qc.uniform<i8:bf16, 0.5>
  %1 = qc.quantize %b : tensor<4xbf16> -> tensor<4x!qc.uniform<i8:bf16, 0.5>>
  // Scales print with the fewest digits that parse back exactly.
  // CHECK: !qc.uniform<i8:f64, 0.1>
  %2 = qc.quantize %d : tensor<4xf64> -> tensor<4x!qc.uniform<i8:f64, 0.1>>
  return
}

// CHECK-LABEL: func.func @per_axis
func.func @per_axis(%x: tensor<2x3xf32>) {
  // CHECK: !qc.uniform<i8:f32:1, {0.1, 0.2:3, 0.3}>
  %0 = qc.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:1, {0.1, 0.2:3, 0.3}>>
  // CHECK: !qc.uniform<f8E4M3FN:f32:0, {0.5, 0.25}>
  %1 = qc.quantize %x : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<f8E4M3FN:f32:0, {0.5, 0.25}>>
  return
}

// CHECK-LABEL: func.func @per_group
func.func @per_group(%x: tensor<8x2xf32>) {
  // CHECK: !qc.uniform<u4:f32:0, block = 4, scales = dense<{{.*}}> : tensor<2x2xf32>, zero_points = dense<{{\[\[}}8, 7], [8, 9]]> : tensor<2x2xi32>>
  %0 = qc.quantize %x : tensor<8x2xf32> -> tensor<8x2x!qc.uniform<u4:f32:0, block = 4, scales = dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf32>, zero_points = dense<[[8, 7], [8, 9]]> : tensor<2x2xi32>>>
  // All-zero zero points are left out.
  // CHECK: !qc.uniform<i4:f32:0, block = 2, scales = dense<{{.*}}> : tensor<4x2xf32>>
  %1 = qc.quantize %x : tensor<8x2xf32> -> tensor<8x2x!qc.uniform<i4:f32:0, block = 2, scales = dense<0.5> : tensor<4x2xf32>>>
  return
}

// CHECK-LABEL: func.func @requantize
func.func @requantize(%acc: tensor<4x!qc.uniform<i32:f32, 0.001>>) -> tensor<4x!qc.uniform<i8:f32, 0.05>> {
  // CHECK: qc.requantize %{{.*}} : tensor<4x!qc.uniform<i32:f32, 0.001>> -> tensor<4x!qc.uniform<i8:f32, 0.05>>
  %r = qc.requantize %acc : tensor<4x!qc.uniform<i32:f32, 0.001>> -> tensor<4x!qc.uniform<i8:f32, 0.05>>
  return %r : tensor<4x!qc.uniform<i8:f32, 0.05>>
}

// CHECK-LABEL: func.func @storage_cast
func.func @storage_cast(%b: tensor<4xi8>) -> tensor<4xi8> {
  // CHECK: qc.storage_cast %{{.*}} : tensor<4xi8> -> tensor<4x!qc.uniform<f8E4M3FN:f32, 1.0>>
  %q = qc.storage_cast %b : tensor<4xi8> -> tensor<4x!qc.uniform<f8E4M3FN:f32, 1.0>>
  // CHECK: qc.storage_cast %{{.*}} : tensor<4x!qc.uniform<f8E4M3FN:f32, 1.0>> -> tensor<4xi8>
  %s = qc.storage_cast %q : tensor<4x!qc.uniform<f8E4M3FN:f32, 1.0>> -> tensor<4xi8>
  return %s : tensor<4xi8>
}

// CHECK-LABEL: func.func @observe
func.func @observe(%x: tensor<4xf32>) {
  // CHECK: qc.observe %{{.*}} {name = "x"} : tensor<4xf32>
  qc.observe %x {name = "x"} : tensor<4xf32>
  // CHECK: qc.observe %{{.*}} {name = "y", stats = #qc.stats<min = -1.5, max = 6.0, count = 8>} : tensor<4xf32>
  qc.observe %x {name = "y", stats = #qc.stats<min = -1.5, max = 6.0, count = 8>} : tensor<4xf32>
  // CHECK: qc.observe %{{.*}} {name = "z", stats = #qc.stats<min = -1.5, max = 6.0, count = 8, hist_max = 6.0, hist = dense<[5, 0, 2, 1]> : tensor<4xi64>>} : tensor<4xf32>
  qc.observe %x {name = "z", stats = #qc.stats<min = -1.5, max = 6.0, count = 8, hist_max = 6.0, hist = dense<[5, 0, 2, 1]> : tensor<4xi64>>} : tensor<4xf32>
  return
}

// Per-channel statistics, alone and after a histogram.
// CHECK-LABEL: func.func @observe_channels
func.func @observe_channels(%x: tensor<2x3xf32>) {
  // CHECK: qc.observe %{{.*}} {name = "c", stats = #qc.stats<min = -1.5, max = 6.0, count = 8, channel_axis = 1, channel_min = dense<[-1.500000e+00, 0.000000e+00, 2.500000e-01]> : tensor<3xf32>, channel_max = dense<[5.000000e-01, 6.000000e+00, 2.500000e-01]> : tensor<3xf32>>} : tensor<2x3xf32>
  qc.observe %x {name = "c", stats = #qc.stats<min = -1.5, max = 6.0, count = 8, channel_axis = 1, channel_min = dense<[-1.5, 0.0, 0.25]> : tensor<3xf32>, channel_max = dense<[0.5, 6.0, 0.25]> : tensor<3xf32>>} : tensor<2x3xf32>
  // CHECK: qc.observe %{{.*}} {name = "d", stats = #qc.stats<min = -1.5, max = 6.0, count = 8, hist_max = 6.0, hist = dense<[5, 0, 2, 1]> : tensor<4xi64>, channel_axis = 0, channel_min = dense<[-1.500000e+00, 1.000000e-01]> : tensor<2xf64>, channel_max = dense<[6.000000e+00, 1.000000e-01]> : tensor<2xf64>>} : tensor<2x3xf32>
  qc.observe %x {name = "d", stats = #qc.stats<min = -1.5, max = 6.0, count = 8, hist_max = 6.0, hist = dense<[5, 0, 2, 1]> : tensor<4xi64>, channel_axis = 0, channel_min = dense<[-1.5, 0.1]> : tensor<2xf64>, channel_max = dense<[6.0, 0.1]> : tensor<2xf64>>} : tensor<2x3xf32>
  // A splat prints as one.
  // CHECK: qc.observe %{{.*}} {name = "e", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<0.000000e+00> : tensor<3xf32>, channel_max = dense<1.000000e+00> : tensor<3xf32>>} : tensor<2x3xf32>
  qc.observe %x {name = "e", stats = #qc.stats<min = 0.0, max = 1.0, count = 1, channel_axis = 1, channel_min = dense<0.0> : tensor<3xf32>, channel_max = dense<1.0> : tensor<3xf32>>} : tensor<2x3xf32>
  return
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: tensor<2x5x3xf32>, %b: tensor<3x4xf32>, %v: tensor<3xf32>) {
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x5x3xf32>, tensor<3x4xf32>) -> tensor<2x5x4xf32>
  %0 = qc.matmul %a, %b : (tensor<2x5x3xf32>, tensor<3x4xf32>) -> tensor<2x5x4xf32>
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x5x3xf32>, tensor<3xf32>) -> tensor<2x5xf32>
  %1 = qc.matmul %a, %v : (tensor<2x5x3xf32>, tensor<3xf32>) -> tensor<2x5xf32>
  return
}

// CHECK-LABEL: func.func @quantized_matmul
func.func @quantized_matmul(%a: tensor<5x3x!qc.uniform<u8:f32, 0.1:128>>, %w: tensor<3x4x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>, %x: tensor<5x3xf32>) {
  // CHECK: qc.matmul {{.*}} -> tensor<5x4x!qc.uniform<u8:f32, 0.2:100>>
  %0 = qc.matmul %a, %w : (tensor<5x3x!qc.uniform<u8:f32, 0.1:128>>, tensor<3x4x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<5x4x!qc.uniform<u8:f32, 0.2:100>>
  // Weight-only quantization: float data, quantized weight, float result.
  // CHECK: qc.matmul {{.*}} -> tensor<5x4xf32>
  %1 = qc.matmul %x, %w : (tensor<5x3xf32>, tensor<3x4x!qc.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<5x4xf32>
  return
}

// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) {
  // CHECK: qc.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = qc.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  return
}

// CHECK-LABEL: func.func @packed_matmul
func.func @packed_matmul(%a: tensor<8x64xi8>, %w: tensor<2x16x16x4xi8>, %acc: tensor<8x32xi32>,
                         %am: memref<3x5xf32>, %wm: memref<1x5x16x1xf32>, %accm: memref<3x16xf32>) -> tensor<8x32xi32> {
  // CHECK: qc.packed_matmul ins(%{{.*}}, %{{.*}} : tensor<8x64xi8>, tensor<2x16x16x4xi8>) outs(%{{.*}} : tensor<8x32xi32>) -> tensor<8x32xi32>
  %0 = qc.packed_matmul ins(%a, %w : tensor<8x64xi8>, tensor<2x16x16x4xi8>) outs(%acc : tensor<8x32xi32>) -> tensor<8x32xi32>
  // CHECK: qc.packed_matmul ins(%{{.*}}, %{{.*}} : memref<3x5xf32>, memref<1x5x16x1xf32>) outs(%{{.*}} : memref<3x16xf32>)
  qc.packed_matmul ins(%am, %wm : memref<3x5xf32>, memref<1x5x16x1xf32>) outs(%accm : memref<3x16xf32>)
  return %0 : tensor<8x32xi32>
}

// CHECK-LABEL: func.func @packed_dequant_matmul
func.func @packed_dequant_matmul(%x: tensor<3x256xf32>, %w: tensor<1x32x2x16xi32>, %s: tensor<1x2x2x16xf32>, %z: tensor<1x2x2x16xf32>, %acc: tensor<3x32xf32>,
                                 %xm: memref<1x100xf32>, %wm: memref<1x25x1x16xi32>, %sm: memref<1x1x1x16xf32>, %zm: memref<1x1x1x16xf32>, %accm: memref<1x16xf32>) -> tensor<3x32xf32> {
  // CHECK: qc.packed_dequant_matmul ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<3x256xf32>, tensor<1x32x2x16xi32>, tensor<1x2x2x16xf32>, tensor<1x2x2x16xf32>) outs(%{{.*}} : tensor<3x32xf32>) {bits = 4 : i64, group_size = 128 : i64} -> tensor<3x32xf32>
  %0 = qc.packed_dequant_matmul ins(%x, %w, %s, %z : tensor<3x256xf32>, tensor<1x32x2x16xi32>, tensor<1x2x2x16xf32>, tensor<1x2x2x16xf32>) outs(%acc : tensor<3x32xf32>) {bits = 4 : i64, group_size = 128 : i64} -> tensor<3x32xf32>
  // CHECK: qc.packed_dequant_matmul ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : memref<1x100xf32>, memref<1x25x1x16xi32>, memref<1x1x1x16xf32>, memref<1x1x1x16xf32>) outs(%{{.*}} : memref<1x16xf32>) {bits = 8 : i64, group_size = 100 : i64}
  qc.packed_dequant_matmul ins(%xm, %wm, %sm, %zm : memref<1x100xf32>, memref<1x25x1x16xi32>, memref<1x1x1x16xf32>, memref<1x1x1x16xf32>) outs(%accm : memref<1x16xf32>) {bits = 8 : i64, group_size = 100 : i64}
  return %0 : tensor<3x32xf32>
}
