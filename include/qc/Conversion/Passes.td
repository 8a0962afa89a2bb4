//===- Passes.td - qc conversion passes --------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_PASSES_TD
#define QC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQCToLinalgPass : Pass<"convert-qc-to-linalg", "ModuleOp"> {
  let summary = "Lower qc ops to linalg, arith and math on storage tensors";
  let description = [{
    Replaces every `!qc.uniform` tensor by the signless integer tensor of its
    stored values and every qc op by tensor-level `linalg`, `arith` and
    `math` code with the exact ONNX semantics given in the op descriptions:
    quantization rounds half to even (`math.roundeven`) and saturates, FP8
    conversion is done with integer arithmetic on the float's bits (round
    half to even, saturating), and `qc.matmul` / `qc.conv` become linalg
    contractions. Function signatures are converted too. Unlike upstream
    `lower-quant-ops`, nothing truncates toward zero or wraps around.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertQuantToQCPass : Pass<"convert-quant-to-qc", "ModuleOp"> {
  let summary = "Convert upstream !quant.uniform types and casts to qc";
  let description = [{
    Rewrites `!quant.uniform` element types (per tensor, per axis and
    sub-channel) into `!qc.uniform`, and `quant.qcast` / `quant.dcast` /
    `quant.scast` into `qc.quantize` / `qc.dequantize` / `qc.storage_cast`.
    Types that qc rejects (for example a zero point outside the storage
    range, which upstream accepts) are reported as errors.
  }];
  let dependentDialects = ["::mlir::qc::QCDialect"];
}

def ConvertQCToQuantPass : Pass<"convert-qc-to-quant", "ModuleOp"> {
  let summary = "Convert qc types and casts to upstream !quant.uniform";
  let description = [{
    The inverse of `convert-quant-to-qc` where the two type systems overlap:
    integer storage at every granularity. FP8 storage has no `!quant.uniform`
    form and is reported as an error.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

#endif // QC_CONVERSION_PASSES_TD
