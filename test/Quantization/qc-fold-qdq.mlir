// RUN: qc-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(qc-fold-qdq))" | FileCheck %s
// RUN: qc-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(qc-fold-qdq),convert-qc-to-linalg)" | FileCheck %s --check-prefix=INT

// Per-tensor data and weights: the matmul takes the quantized operands and
// keeps its float result (integer kernel, float epilogue); the float
// dequantizations are gone.
// CHECK-LABEL: func.func @per_tensor
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>)
// CHECK:     %[[W:.*]] = arith.constant dense<3> : tensor<8x2xi8>
// CHECK:     %[[Q:.*]] = qc.quantize %[[X]] : tensor<4x8xf32> -> tensor<4x8x!qc.uniform<u8:f32, 0.5:128>>
// CHECK:     %[[WQ:.*]] = qc.storage_cast %[[W]] : tensor<8x2xi8> -> tensor<8x2x!qc.uniform<i8:f32, 0.25>>
// CHECK:     %[[Y:.*]] = qc.matmul %[[Q]], %[[WQ]] : (tensor<4x8x!qc.uniform<u8:f32, 0.5:128>>, tensor<8x2x!qc.uniform<i8:f32, 0.25>>) -> tensor<4x2xf32>
// CHECK-NOT: qc.dequantize
// CHECK:     return %[[Y]]
// INT-LABEL: func.func @per_tensor
// INT:       arith.muli %{{.*}}, %{{.*}} : i32
// INT-NOT:   linalg.matmul
func.func @per_tensor(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  %q = qc.quantize %x : tensor<4x8xf32> -> tensor<4x8x!qc.uniform<u8:f32, 0.5:128>>
  %s = qc.storage_cast %q : tensor<4x8x!qc.uniform<u8:f32, 0.5:128>> -> tensor<4x8xi8>
  %q2 = qc.storage_cast %s : tensor<4x8xi8> -> tensor<4x8x!qc.uniform<u8:f32, 0.5:128>>
  %xd = qc.dequantize %q2 : tensor<4x8x!qc.uniform<u8:f32, 0.5:128>> -> tensor<4x8xf32>
  %c = arith.constant dense<3> : tensor<8x2xi8>
  %wq = qc.storage_cast %c : tensor<8x2xi8> -> tensor<8x2x!qc.uniform<i8:f32, 0.25>>
  %wd = qc.dequantize %wq : tensor<8x2x!qc.uniform<i8:f32, 0.25>> -> tensor<8x2xf32>
  %y = qc.matmul %xd, %wd : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Weights per output column (axis 1) and a quantize as the only user of the
// result: the quantize becomes the matmul's requantizing epilogue.
// CHECK-LABEL: func.func @per_channel_requantize
// CHECK-SAME:    (%[[A:.*]]: tensor<2x3x4x!qc.uniform<u8:f32, 0.1:3>>
// CHECK:     %[[WQ:.*]] = qc.storage_cast %{{.*}} : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<i8:f32:1, {0.1, 0.2}>>
// CHECK:     %[[Y:.*]] = qc.matmul %[[A]], %[[WQ]] : (tensor<2x3x4x!qc.uniform<u8:f32, 0.1:3>>, tensor<4x2x!qc.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<2x3x2x!qc.uniform<i8:f32, 0.05:-3>>
// CHECK-NOT: qc.quantize
// CHECK:     return %[[Y]]
// INT-LABEL: func.func @per_channel_requantize
// INT:       arith.muli %{{.*}}, %{{.*}} : i32
// INT:       math.roundeven
func.func @per_channel_requantize(%a: tensor<2x3x4x!qc.uniform<u8:f32, 0.1:3>>) -> tensor<2x3x2x!qc.uniform<i8:f32, 0.05:-3>> {
  %ad = qc.dequantize %a : tensor<2x3x4x!qc.uniform<u8:f32, 0.1:3>> -> tensor<2x3x4xf32>
  %c = arith.constant dense<[[1, -1], [2, -2], [3, -3], [4, -4]]> : tensor<4x2xi8>
  %wq = qc.storage_cast %c : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<i8:f32:1, {0.1, 0.2}>>
  %wd = qc.dequantize %wq : tensor<4x2x!qc.uniform<i8:f32:1, {0.1, 0.2}>> -> tensor<4x2xf32>
  %y = qc.matmul %ad, %wd : (tensor<2x3x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32>
  %q = qc.quantize %y : tensor<2x3x2xf32> -> tensor<2x3x2x!qc.uniform<i8:f32, 0.05:-3>>
  return %q : tensor<2x3x2x!qc.uniform<i8:f32, 0.05:-3>>
}

// -----

// Conv with per-output-channel weights and an int32 bias dequantized with
// scale s_x * s_w (onnxruntime's QDQ form): the bias is passed quantized, the
// following quantize is fused.
// CHECK-LABEL: func.func @conv_bias
// CHECK-SAME:    (%[[X:.*]]: tensor<1x1x3x3x!qc.uniform<u8:f32, 0.5:10>>
// CHECK:     %[[W:.*]] = qc.storage_cast %{{.*}} : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!qc.uniform<i8:f32:0, {0.25, 0.125}>>
// CHECK:     %[[B:.*]] = qc.storage_cast %{{.*}} : tensor<2xi32> -> tensor<2x!qc.uniform<i32:f32:0, {0.125, 0.0625}>>
// CHECK:     %[[Y:.*]] = qc.conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x3x3x!qc.uniform<u8:f32, 0.5:10>>, tensor<2x1x2x2x!qc.uniform<i8:f32:0, {0.25, 0.125}>>, tensor<2x!qc.uniform<i32:f32:0, {0.125, 0.0625}>>) -> tensor<1x2x4x4x!qc.uniform<u8:f32, 0.75:20>>
// CHECK-NOT: qc.dequantize
// CHECK:     return %[[Y]]
// INT-LABEL: func.func @conv_bias
// INT:       tensor.pad
// INT:       arith.muli %{{.*}}, %{{.*}} : i32
func.func @conv_bias(%x: tensor<1x1x3x3x!qc.uniform<u8:f32, 0.5:10>>) -> tensor<1x2x4x4x!qc.uniform<u8:f32, 0.75:20>> {
  %xd = qc.dequantize %x : tensor<1x1x3x3x!qc.uniform<u8:f32, 0.5:10>> -> tensor<1x1x3x3xf32>
  %c = arith.constant dense<[[[[1, 2], [3, 4]]], [[[-1, -2], [-3, -4]]]]> : tensor<2x1x2x2xi8>
  %wq = qc.storage_cast %c : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!qc.uniform<i8:f32:0, {0.25, 0.125}>>
  %wd = qc.dequantize %wq : tensor<2x1x2x2x!qc.uniform<i8:f32:0, {0.25, 0.125}>> -> tensor<2x1x2x2xf32>
  %bc = arith.constant dense<[7, -9]> : tensor<2xi32>
  %bq = qc.storage_cast %bc : tensor<2xi32> -> tensor<2x!qc.uniform<i32:f32:0, {0.125, 0.0625}>>
  %bd = qc.dequantize %bq : tensor<2x!qc.uniform<i32:f32:0, {0.125, 0.0625}>> -> tensor<2xf32>
  %y = qc.conv %xd, %wd, %bd {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %q = qc.quantize %y : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!qc.uniform<u8:f32, 0.75:20>>
  return %q : tensor<1x2x4x4x!qc.uniform<u8:f32, 0.75:20>>
}

// -----

// Shape-only ops between the dequantize and the matmul: a reshape of the data
// (Flatten) is replayed on the stored values; the transposed weight of a
// Gemm (transB = 1, per output channel on axis 0 before the transpose) is
// transposed at compile time and its axis follows.
// CHECK-LABEL: func.func @look_through
// CHECK-SAME:    (%[[X:.*]]: tensor<2x2x2x!qc.uniform<u8:f32, 0.5>>
// CHECK-DAG: %[[WT:.*]] = arith.constant dense<{{\[\[}}1, 5], [2, 6], [3, 7], [4, 8]]> : tensor<4x2xi8>
// CHECK-DAG: %[[XS:.*]] = qc.storage_cast %[[X]] : tensor<2x2x2x!qc.uniform<u8:f32, 0.5>> -> tensor<2x2x2xi8>
// CHECK:     %[[XC:.*]] = tensor.collapse_shape %[[XS]] {{\[\[}}0], [1, 2]] : tensor<2x2x2xi8> into tensor<2x4xi8>
// CHECK:     %[[XQ:.*]] = qc.storage_cast %[[XC]] : tensor<2x4xi8> -> tensor<2x4x!qc.uniform<u8:f32, 0.5>>
// CHECK:     %[[WQ:.*]] = qc.storage_cast %[[WT]] : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<i8:f32:1, {0.1, 0.2}>>
// CHECK:     qc.matmul %[[XQ]], %[[WQ]] : (tensor<2x4x!qc.uniform<u8:f32, 0.5>>, tensor<4x2x!qc.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<2x2xf32>
// CHECK-NOT: linalg.transpose
func.func @look_through(%x: tensor<2x2x2x!qc.uniform<u8:f32, 0.5>>) -> tensor<2x2xf32> {
  %xd = qc.dequantize %x : tensor<2x2x2x!qc.uniform<u8:f32, 0.5>> -> tensor<2x2x2xf32>
  %xf = tensor.collapse_shape %xd [[0], [1, 2]] : tensor<2x2x2xf32> into tensor<2x4xf32>
  %c = arith.constant dense<[[1, 2, 3, 4], [5, 6, 7, 8]]> : tensor<2x4xi8>
  %wq = qc.storage_cast %c : tensor<2x4xi8> -> tensor<2x4x!qc.uniform<i8:f32:0, {0.1, 0.2}>>
  %wd = qc.dequantize %wq : tensor<2x4x!qc.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %wt = linalg.transpose ins(%wd : tensor<2x4xf32>) outs(%e : tensor<4x2xf32>) permutation = [1, 0]
  %y = qc.matmul %xf, %wt : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// A transposed weight that is not a constant is transposed at run time on
// its stored values.
// CHECK-LABEL: func.func @runtime_transpose
// CHECK:     %[[S:.*]] = qc.storage_cast %{{.*}} : tensor<2x4x!qc.uniform<i8:f32, 0.1>> -> tensor<2x4xi8>
// CHECK:     %[[T:.*]] = linalg.transpose ins(%[[S]] : tensor<2x4xi8>) outs(%{{.*}} : tensor<4x2xi8>) permutation = [1, 0]
// CHECK:     %[[TQ:.*]] = qc.storage_cast %[[T]] : tensor<4x2xi8> -> tensor<4x2x!qc.uniform<i8:f32, 0.1>>
// CHECK:     qc.matmul %{{.*}}, %[[TQ]] : (tensor<2x4x!qc.uniform<u8:f32, 0.5>>, tensor<4x2x!qc.uniform<i8:f32, 0.1>>) -> tensor<2x2xf32>
func.func @runtime_transpose(%x: tensor<2x4x!qc.uniform<u8:f32, 0.5>>, %w: tensor<2x4x!qc.uniform<i8:f32, 0.1>>) -> tensor<2x2xf32> {
  %xd = qc.dequantize %x : tensor<2x4x!qc.uniform<u8:f32, 0.5>> -> tensor<2x4xf32>
  %wd = qc.dequantize %w : tensor<2x4x!qc.uniform<i8:f32, 0.1>> -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %wt = linalg.transpose ins(%wd : tensor<2x4xf32>) outs(%e : tensor<4x2xf32>) permutation = [1, 0]
  %y = qc.matmul %xd, %wt : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Not folded: weights quantized per input channel (axis 0 of a matmul
// weight): an integer kernel cannot rescale along the contraction.
// CHECK-LABEL: func.func @per_input_channel
// CHECK:     %[[XD:.*]] = qc.dequantize
// CHECK:     %[[WD:.*]] = qc.dequantize
// CHECK:     qc.matmul %[[XD]], %[[WD]] : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
func.func @per_input_channel(%x: tensor<2x4x!qc.uniform<u8:f32, 0.5>>, %w: tensor<4x2x!qc.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>) -> tensor<2x2xf32> {
  %xd = qc.dequantize %x : tensor<2x4x!qc.uniform<u8:f32, 0.5>> -> tensor<2x4xf32>
  %wd = qc.dequantize %w : tensor<4x2x!qc.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>> -> tensor<4x2xf32>
  %y = qc.matmul %xd, %wd : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Not folded: data quantized per axis, 16-bit data, and float data (weight
// only: the dequantized weight stays a float operand).
// CHECK-LABEL: func.func @not_integer_kernels
// CHECK-COUNT-3: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
func.func @not_integer_kernels(%x: tensor<2x4x!qc.uniform<u8:f32:0, {0.5, 0.25}>>, %x16: tensor<2x4x!qc.uniform<i16:f32, 0.5>>, %f: tensor<2x4xf32>, %w: tensor<4x2x!qc.uniform<i8:f32, 0.1>>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %xd = qc.dequantize %x : tensor<2x4x!qc.uniform<u8:f32:0, {0.5, 0.25}>> -> tensor<2x4xf32>
  %x16d = qc.dequantize %x16 : tensor<2x4x!qc.uniform<i16:f32, 0.5>> -> tensor<2x4xf32>
  %wd = qc.dequantize %w : tensor<4x2x!qc.uniform<i8:f32, 0.1>> -> tensor<4x2xf32>
  %y0 = qc.matmul %xd, %wd : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  %y1 = qc.matmul %x16d, %wd : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  %y2 = qc.matmul %f, %wd : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %y0, %y1, %y2 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// The result feeds a quantize and another op: the operands fold, the quantize
// stays. A quantize to i32 is not a requantizing epilogue (an i32 result is
// the raw accumulator). dequantize(quantize(x)) is a rounding step and stays.
// CHECK-LABEL: func.func @no_requantize
// CHECK:     %[[Y:.*]] = qc.matmul %{{.*}}, %{{.*}} : (tensor<2x4x!qc.uniform<u8:f32, 0.5>>, tensor<4x2x!qc.uniform<i8:f32, 0.1>>) -> tensor<2x2xf32>
// CHECK:     qc.quantize %[[Y]] : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<u8:f32, 0.25>>
// CHECK:     %[[Y2:.*]] = qc.matmul %{{.*}}, %{{.*}} : (tensor<2x4x!qc.uniform<u8:f32, 0.5>>, tensor<4x2x!qc.uniform<i8:f32, 0.1>>) -> tensor<2x2xf32>
// CHECK:     qc.quantize %[[Y2]] : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<i32:f32, 0.25>>
// CHECK:     %[[R:.*]] = qc.quantize %{{.*}} : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<u8:f32, 0.25>>
// CHECK:     qc.dequantize %[[R]]
func.func @no_requantize(%x: tensor<2x4x!qc.uniform<u8:f32, 0.5>>, %w: tensor<4x2x!qc.uniform<i8:f32, 0.1>>, %f: tensor<2x2xf32>) -> (tensor<2x2x!qc.uniform<u8:f32, 0.25>>, tensor<2x2xf32>, tensor<2x2x!qc.uniform<i32:f32, 0.25>>, tensor<2x2xf32>) {
  %xd = qc.dequantize %x : tensor<2x4x!qc.uniform<u8:f32, 0.5>> -> tensor<2x4xf32>
  %wd = qc.dequantize %w : tensor<4x2x!qc.uniform<i8:f32, 0.1>> -> tensor<4x2xf32>
  %y = qc.matmul %xd, %wd : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  %q = qc.quantize %y : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<u8:f32, 0.25>>
  %y2 = qc.matmul %xd, %wd : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  %q2 = qc.quantize %y2 : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<i32:f32, 0.25>>
  %r = qc.quantize %f : tensor<2x2xf32> -> tensor<2x2x!qc.uniform<u8:f32, 0.25>>
  %rd = qc.dequantize %r : tensor<2x2x!qc.uniform<u8:f32, 0.25>> -> tensor<2x2xf32>
  return %q, %y, %q2, %rd : tensor<2x2x!qc.uniform<u8:f32, 0.25>>, tensor<2x2xf32>, tensor<2x2x!qc.uniform<i32:f32, 0.25>>, tensor<2x2xf32>
}

// -----

// Quantizing a float constant (QDQ models that store float weights) is
// evaluated at compile time with QuantizeLinear's arithmetic: round half to
// even, saturate; per axis here.
// CHECK-LABEL: func.func @constant_quantize
// CHECK:     %[[C:.*]] = arith.constant dense<{{\[\[}}2, -2], [4, 127], [-128, 0]]> : tensor<3x2xi8>
// CHECK:     %[[Q:.*]] = qc.storage_cast %[[C]] : tensor<3x2xi8> -> tensor<3x2x!qc.uniform<i8:f32:1, {0.5, 0.25}>>
// CHECK:     return %[[Q]]
func.func @constant_quantize() -> tensor<3x2x!qc.uniform<i8:f32:1, {0.5, 0.25}>> {
  %c = arith.constant dense<[[1.25, -0.625], [1.75, 100.0], [-100.0, 0.0625]]> : tensor<3x2xf32>
  %q = qc.quantize %c : tensor<3x2xf32> -> tensor<3x2x!qc.uniform<i8:f32:1, {0.5, 0.25}>>
  return %q : tensor<3x2x!qc.uniform<i8:f32:1, {0.5, 0.25}>>
}
