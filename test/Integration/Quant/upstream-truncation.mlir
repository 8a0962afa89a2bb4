// RUN: qc-opt %s --lower-quant-ops --qc-cpu-pipeline \
// RUN: | mlir-runner -e upstream -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s --check-prefix=UPSTREAM
// RUN: qc-opt %s --lower-quant-ops --qc-cpu-pipeline \
// RUN: | mlir-runner -e qc -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s --check-prefix=QC
// RUN: qc-opt %s --convert-quant-to-qc --canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: qc-opt %s --canonicalize | FileCheck %s --check-prefix=UPFOLD

// The same values quantized by upstream MLIR 22's `--lower-quant-ops` and by
// qc. Upstream converts with fptosi (truncation toward zero) and does not
// clamp, so 1.7 becomes 1, 2.5 becomes 2 only by accident, and 300 wraps
// around to 44. qc rounds half to even and saturates, as ONNX
// QuantizeLinear does.

func.func private @printMemrefI32(tensor<*xi32>)

!q = !quant.uniform<i8:f32, 1.0>
!qq = !qc.uniform<i8:f32, 1.0>

func.func @upstream() {
  %x = arith.constant dense<[1.7, -1.7, 2.5, 3.5, 300.0, -300.0]> : tensor<6xf32>
  %q = quant.qcast %x : tensor<6xf32> to tensor<6x!q>
  %s = quant.scast %q : tensor<6x!q> to tensor<6xi8>
  %e = arith.extsi %s : tensor<6xi8> to tensor<6xi32>
  %u = tensor.cast %e : tensor<6xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
// UPSTREAM: [1, -1, 2, 3, 44, -44]

func.func @qc() {
  %x = arith.constant dense<[1.7, -1.7, 2.5, 3.5, 300.0, -300.0]> : tensor<6xf32>
  %q = qc.quantize %x : tensor<6xf32> -> tensor<6x!qq>
  %s = qc.storage_cast %q : tensor<6x!qq> -> tensor<6xi8>
  %e = arith.extsi %s : tensor<6xi8> to tensor<6xi32>
  %u = tensor.cast %e : tensor<6xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
// QC: [2, -2, 2, 4, 127, -128]

// Upstream folds dcast(qcast(x)) to x, dropping the rounding step; qc keeps
// both ops, also through the canonicalizer.
// UPFOLD-LABEL: func.func @round_trip
// UPFOLD-NEXT: return %arg0
// FOLD-LABEL: func.func @round_trip
// FOLD: %[[Q:.*]] = qc.quantize %{{.*}} : tensor<6xf32> -> tensor<6x!qc.uniform<i8:f32, 1.0>>
// FOLD: %[[D:.*]] = qc.dequantize %[[Q]]
// FOLD: return %[[D]]
func.func @round_trip(%x: tensor<6xf32>) -> tensor<6xf32> {
  %q = quant.qcast %x : tensor<6xf32> to tensor<6x!q>
  %d = quant.dcast %q : tensor<6x!q> to tensor<6xf32>
  return %d : tensor<6xf32>
}
