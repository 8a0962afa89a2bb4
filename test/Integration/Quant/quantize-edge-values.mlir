// RUN: qc-opt %s --qc-cpu-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

// Runs qc's lowering of qc.quantize / qc.dequantize / qc.requantize on the
// edge values of the ONNX definition and prints the stored values. Every
// expected value is derived by hand from the formulas in QCOps.td.

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @print_signed(%t: tensor<?xi8>) {
  %e = arith.extsi %t : tensor<?xi8> to tensor<?xi32>
  %u = tensor.cast %e : tensor<?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @print_unsigned(%t: tensor<?xi8>) {
  %e = arith.extui %t : tensor<?xi8> to tensor<?xi32>
  %u = tensor.cast %e : tensor<?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @main() {
  // int8, scale 1: ties go to even, both ends saturate, NaN -> zero point,
  // +-Inf -> the range ends.
  // CHECK: [0, 0, 2, -2, 2, -2, 126, 127, -128, 127, -128, 0, 127, -128]
  %x0 = arith.constant dense<[0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, 127.5, -128.5, 1.0e30, -1.0e30, 0x7FC00000, 0x7F800000, 0xFF800000]> : tensor<14xf32>
  %q0 = qc.quantize %x0 : tensor<14xf32> -> tensor<14x!qc.uniform<i8:f32, 1.0>>
  %s0 = qc.storage_cast %q0 : tensor<14x!qc.uniform<i8:f32, 1.0>> -> tensor<14xi8>
  %d0 = tensor.cast %s0 : tensor<14xi8> to tensor<?xi8>
  call @print_signed(%d0) : (tensor<?xi8>) -> ()

  // uint8, scale 0.5, zero point 128: x/s = 0.5, 1.5, -0.5, 127.5, 128,
  // -128, -128.5, NaN.
  // CHECK: [128, 130, 128, 255, 255, 0, 0, 128]
  %x1 = arith.constant dense<[0.25, 0.75, -0.25, 63.75, 64.0, -64.0, -64.25, 0x7FC00000]> : tensor<8xf32>
  %q1 = qc.quantize %x1 : tensor<8xf32> -> tensor<8x!qc.uniform<u8:f32, 0.5:128>>
  %s1 = qc.storage_cast %q1 : tensor<8x!qc.uniform<u8:f32, 0.5:128>> -> tensor<8xi8>
  %d1 = tensor.cast %s1 : tensor<8xi8> to tensor<?xi8>
  call @print_unsigned(%d1) : (tensor<?xi8>) -> ()

  // int4 [-8, 7] and uint4 [0, 15] (zero point 8).
  // CHECK: [7, 6, -8, -8, 7, -8]
  %x2 = arith.constant dense<[7.5, 6.5, -8.5, -7.5, 100.0, -100.0]> : tensor<6xf32>
  %q2 = qc.quantize %x2 : tensor<6xf32> -> tensor<6x!qc.uniform<i4:f32, 1.0>>
  %s2 = qc.storage_cast %q2 : tensor<6x!qc.uniform<i4:f32, 1.0>> -> tensor<6xi4>
  %e2 = arith.extsi %s2 : tensor<6xi4> to tensor<6xi8>
  %d2 = tensor.cast %e2 : tensor<6xi8> to tensor<?xi8>
  call @print_signed(%d2) : (tensor<?xi8>) -> ()
  // CHECK: [0, 15, 8, 8, 12, 15]
  %x3 = arith.constant dense<[-8.5, 7.5, 0.5, -0.5, 3.5, 1.0e9]> : tensor<6xf32>
  %q3 = qc.quantize %x3 : tensor<6xf32> -> tensor<6x!qc.uniform<u4:f32, 1.0:8>>
  %s3 = qc.storage_cast %q3 : tensor<6x!qc.uniform<u4:f32, 1.0:8>> -> tensor<6xi4>
  %e3 = arith.extui %s3 : tensor<6xi4> to tensor<6xi8>
  %d3 = tensor.cast %e3 : tensor<6xi8> to tensor<?xi8>
  call @print_unsigned(%d3) : (tensor<?xi8>) -> ()

  // Per axis 1: scales (1, 0.5, 0.25), zero points (0, 10, -10).
  // CHECK: [1, 12, -6, 3, 8, 127]
  %x4 = arith.constant dense<[[1.0, 1.0, 1.0], [2.6, -1.0, 40.0]]> : tensor<2x3xf32>
  %q4 = qc.quantize %x4 : tensor<2x3xf32> -> tensor<2x3x!qc.uniform<i8:f32:1, {1.0, 0.5:10, 0.25:-10}>>
  %s4 = qc.storage_cast %q4 : tensor<2x3x!qc.uniform<i8:f32:1, {1.0, 0.5:10, 0.25:-10}>> -> tensor<2x3xi8>
  %f4 = tensor.collapse_shape %s4 [[0, 1]] : tensor<2x3xi8> into tensor<6xi8>
  %d4 = tensor.cast %f4 : tensor<6xi8> to tensor<?xi8>
  call @print_signed(%d4) : (tensor<?xi8>) -> ()

  // Per group: axis 0, block 2; rows 0-1 use scales (1, 2) zp (8, 8),
  // rows 2-3 use scales (0.5, 4) zp (0, 3).
  // CHECK: [9, 9, 11, 10, 2, 3, 6, 13]
  %x5 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [3.0, 40.0]]> : tensor<4x2xf32>
  %q5 = qc.quantize %x5 : tensor<4x2xf32> -> tensor<4x2x!qc.uniform<u4:f32:0, block = 2, scales = dense<[[1.0, 2.0], [0.5, 4.0]]> : tensor<2x2xf32>, zero_points = dense<[[8, 8], [0, 3]]> : tensor<2x2xi32>>>
  %s5 = qc.storage_cast %q5 : tensor<4x2x!qc.uniform<u4:f32:0, block = 2, scales = dense<[[1.0, 2.0], [0.5, 4.0]]> : tensor<2x2xf32>, zero_points = dense<[[8, 8], [0, 3]]> : tensor<2x2xi32>>> -> tensor<4x2xi4>
  %e5 = arith.extui %s5 : tensor<4x2xi4> to tensor<4x2xi8>
  %f5 = tensor.collapse_shape %e5 [[0, 1]] : tensor<4x2xi8> into tensor<8xi8>
  %d5 = tensor.cast %f5 : tensor<8xi8> to tensor<?xi8>
  call @print_unsigned(%d5) : (tensor<?xi8>) -> ()

  // FP8 E4M3FN, saturating: 1, -1, 448 (0x7E), 449, 464 (tie -> 0x7E), 465,
  // 1000, +Inf, -Inf (0xFE), NaN (0x7F), 2^-9 (0x01), 2^-10 (tie -> 0),
  // 3*2^-10 (tie -> 0x02), 0, -0 (0x80).
  // CHECK: [56, 184, 126, 126, 126, 126, 126, 126, 254, 127, 1, 0, 2, 0, 128]
  %x6 = arith.constant dense<[1.0, -1.0, 448.0, 449.0, 464.0, 465.0, 1000.0, 0x7F800000, 0xFF800000, 0x7FC00000, 0.001953125, 0.0009765625, 0.0029296875, 0.0, -0.0]> : tensor<15xf32>
  %q6 = qc.quantize %x6 : tensor<15xf32> -> tensor<15x!qc.uniform<f8E4M3FN:f32, 1.0>>
  %s6 = qc.storage_cast %q6 : tensor<15x!qc.uniform<f8E4M3FN:f32, 1.0>> -> tensor<15xi8>
  %d6 = tensor.cast %s6 : tensor<15xi8> to tensor<?xi8>
  call @print_unsigned(%d6) : (tensor<?xi8>) -> ()

  // FP8 E4M3FN, not saturating: 449 and 464 still round to 448; 465, +-Inf
  // and -465 overflow to NaN (0x7F).
  // CHECK: [126, 126, 127, 127, 127, 127]
  %x7 = arith.constant dense<[449.0, 464.0, 465.0, 0x7F800000, 0xFF800000, -465.0]> : tensor<6xf32>
  %q7 = qc.quantize %x7 {saturate = false} : tensor<6xf32> -> tensor<6x!qc.uniform<f8E4M3FN:f32, 1.0>>
  %s7 = qc.storage_cast %q7 : tensor<6x!qc.uniform<f8E4M3FN:f32, 1.0>> -> tensor<6xi8>
  %d7 = tensor.cast %s7 : tensor<6xi8> to tensor<?xi8>
  call @print_unsigned(%d7) : (tensor<?xi8>) -> ()

  // FP8 E5M2 saturating: 57344*1.125, +Inf -> 57344 (0x7B), -Inf -> 0xFB,
  // 1.0 (0x3C), 2^-16 (0x01), 61439 -> 0x7B.
  // CHECK: [123, 123, 251, 60, 1, 123]
  %x8 = arith.constant dense<[64512.0, 0x7F800000, 0xFF800000, 1.0, 0.0000152587890625, 61439.0]> : tensor<6xf32>
  %q8 = qc.quantize %x8 : tensor<6xf32> -> tensor<6x!qc.uniform<f8E5M2:f32, 1.0>>
  %s8 = qc.storage_cast %q8 : tensor<6x!qc.uniform<f8E5M2:f32, 1.0>> -> tensor<6xi8>
  %d8 = tensor.cast %s8 : tensor<6xi8> to tensor<?xi8>
  call @print_unsigned(%d8) : (tensor<?xi8>) -> ()

  // FP8 E5M2 not saturating: overflow goes to signed infinity (0x7C/0xFC);
  // 61440 is the tie between 57344 and the virtual 65536 and goes to Inf.
  // CHECK: [124, 124, 252, 124, 123]
  %x9 = arith.constant dense<[64512.0, 0x7F800000, 0xFF800000, 61440.0, 61439.0]> : tensor<5xf32>
  %q9 = qc.quantize %x9 {saturate = false} : tensor<5xf32> -> tensor<5x!qc.uniform<f8E5M2:f32, 1.0>>
  %s9 = qc.storage_cast %q9 : tensor<5x!qc.uniform<f8E5M2:f32, 1.0>> -> tensor<5xi8>
  %d9 = tensor.cast %s9 : tensor<5xi8> to tensor<?xi8>
  call @print_unsigned(%d9) : (tensor<?xi8>) -> ()

  // Scale applies before the FP8 cast: 448 * 0.5 = 224 is max/2.
  // CHECK: [118, 126, 126]
  %x10 = arith.constant dense<[112.0, 224.0, 500.0]> : tensor<3xf32>
  %q10 = qc.quantize %x10 : tensor<3xf32> -> tensor<3x!qc.uniform<f8E4M3FN:f32, 0.5>>
  %s10 = qc.storage_cast %q10 : tensor<3x!qc.uniform<f8E4M3FN:f32, 0.5>> -> tensor<3xi8>
  %d10 = tensor.cast %s10 : tensor<3xi8> to tensor<?xi8>
  call @print_unsigned(%d10) : (tensor<?xi8>) -> ()

  // Dequantize uint8 (q - 128) * 0.5.
  // CHECK: [-64, 0, 63.5]
  %b11 = arith.constant dense<[0, -128, -1]> : tensor<3xi8>
  %q11 = qc.storage_cast %b11 : tensor<3xi8> -> tensor<3x!qc.uniform<u8:f32, 0.5:128>>
  %f11 = qc.dequantize %q11 : tensor<3x!qc.uniform<u8:f32, 0.5:128>> -> tensor<3xf32>
  %u11 = tensor.cast %f11 : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%u11) : (tensor<*xf32>) -> ()

  // Dequantize E4M3FN codes 0x7E, 0x01, 0xB8, 0x7F with scale 2:
  // 896, 2^-8, -2, NaN.
  // CHECK: [896, 0.00390625, -2, nan]
  %b12 = arith.constant dense<[126, 1, -72, 127]> : tensor<4xi8>
  %q12 = qc.storage_cast %b12 : tensor<4xi8> -> tensor<4x!qc.uniform<f8E4M3FN:f32, 2.0>>
  %f12 = qc.dequantize %q12 : tensor<4x!qc.uniform<f8E4M3FN:f32, 2.0>> -> tensor<4xf32>
  %u12 = tensor.cast %f12 : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%u12) : (tensor<*xf32>) -> ()

  // Dequantize E5M2 0x7C (Inf), 0xFC (-Inf), 0x7D (NaN), 0x04 (2^-14).
  // CHECK: [inf, -inf, nan, 6.10352e-05]
  %b13 = arith.constant dense<[124, -4, 125, 4]> : tensor<4xi8>
  %q13 = qc.storage_cast %b13 : tensor<4xi8> -> tensor<4x!qc.uniform<f8E5M2:f32, 1.0>>
  %f13 = qc.dequantize %q13 : tensor<4x!qc.uniform<f8E5M2:f32, 1.0>> -> tensor<4xf32>
  %u13 = tensor.cast %f13 : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%u13) : (tensor<*xf32>) -> ()

  // Requantize an i32 accumulator (scale 2^-10) to int8 (scale 2^-4):
  // x/s_out = 16, 0.5, 1.5, -4687.5, 2.5.
  // CHECK: [16, 0, 2, -128, 2]
  %b14 = arith.constant dense<[1024, 32, 96, -300000, 160]> : tensor<5xi32>
  %q14 = qc.storage_cast %b14 : tensor<5xi32> -> tensor<5x!qc.uniform<i32:f32, 0.0009765625>>
  %r14 = qc.requantize %q14 : tensor<5x!qc.uniform<i32:f32, 0.0009765625>> -> tensor<5x!qc.uniform<i8:f32, 0.0625>>
  %s14 = qc.storage_cast %r14 : tensor<5x!qc.uniform<i8:f32, 0.0625>> -> tensor<5xi8>
  %d14 = tensor.cast %s14 : tensor<5xi8> to tensor<?xi8>
  call @print_signed(%d14) : (tensor<?xi8>) -> ()
  return
}
