//===- Passes.td - qc quantization passes ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANTIZATION_PASSES_TD
#define QC_QUANTIZATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuantizePass : Pass<"qc-quantize", "func::FuncOp"> {
  let summary = "Post-training quantization of matmuls and convolutions";
  let description = [{
    Scheme `w8a8`: every `qc.matmul` / `qc.conv` whose data operand carries
    calibration statistics (a `qc.observe` with `#qc.stats`) gets

    - its constant weight quantized per output channel, symmetric int8
      (`s_c = max|W_c| / 127`, codes in [-127, 127], round half to even);
    - its data operand quantized per tensor with `qc.quantize`: `u8`
      asymmetric (default, the operand order x86 VNNI multiplies) or `i8`
      symmetric, over the range the calibration method picks from the
      statistics (`minmax`: [min, max]; `percentile`, `entropy`, `mse`: a
      threshold t from the |x| histogram, range [max(min, -t), min(max, t)]),
      with onnxruntime's scale/zero-point rule;
    - a matmul of two activations (attention) quantizes both per tensor.

    The op itself stays, with quantized operand types: its lowering then
    accumulates in i32 and rescales to the float result. Ops without
    statistics, with non-constant weights, or named in `keep-float` (ONNX
    node names) stay float.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"w8a8\"",
           "quantization scheme (w8a8)">,
    Option<"calibMethod", "calib-method", "std::string", "\"minmax\"",
           "activation range: minmax, percentile, entropy or mse">,
    Option<"percentile", "percentile", "double", "99.99",
           "percentile for calib-method=percentile">,
    Option<"activationType", "activation-type", "std::string", "\"u8\"",
           "activation storage: u8 (asymmetric) or i8 (symmetric)">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "ONNX node names whose ops stay float">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qc::QCDialect"
  ];
}

def FoldQDQPass : Pass<"qc-fold-qdq", "func::FuncOp"> {
  let summary = "Turn imported QDQ patterns into quantized compute ops";
  let description = [{
    An ONNX model in QDQ form (QuantizeLinear/DequantizeLinear pairs around
    float MatMul/Conv, as onnxruntime and NVIDIA ModelOpt write them) imports
    as `qc.dequantize` feeding float `qc.matmul` / `qc.conv`. This pass moves
    the quantized types into the compute ops so that they lower to integer
    kernels with the scales the model carries, and removes the now-dead
    float round trips.
  }];
  let dependentDialects = ["::mlir::qc::QCDialect"];
}

def SmoothQuantPass : Pass<"qc-smoothquant", "func::FuncOp"> {
  let summary = "Migrate activation outliers into weights (SmoothQuant)";
  let description = [{
    For each matmul with a constant weight whose input carries per-channel
    calibration statistics, scales input channel j by 1/s_j and weight row j
    by s_j with s_j = max(act_max_j^alpha / w_max_j^(1-alpha), 1e-5), which
    leaves the float result unchanged and flattens activation outliers
    before W8A8 quantization (shared/reference/algorithms.md section 6).
  }];
  let options = [
    Option<"alpha", "alpha", "double", "0.5", "migration strength in [0, 1]">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::qc::QCDialect"
  ];
}

#endif // QC_QUANTIZATION_PASSES_TD
