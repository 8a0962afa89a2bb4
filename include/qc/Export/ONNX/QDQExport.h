//===- QDQExport.h - Quantized module to ONNX QDQ ---------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Writes a model quantized by qc as standard ONNX in QDQ form, which
// onnxruntime (and any ONNX runtime with QuantizeLinear/DequantizeLinear)
// runs: the original ONNX graph, plus
//
//   - a QuantizeLinear -> DequantizeLinear pair on every activation a
//     quantized MatMul/Gemm/Conv reads (per tensor, the scale and zero point
//     qc computes with), and
//   - every quantized weight as an int8 initializer behind a per-channel
//     DequantizeLinear (axis in the initializer's own layout: Gemm transB,
//     MatMul [K, N], Conv [O, I, kh, kw], ConvTranspose [I, O, kh, kw]).
//
// Biases and everything qc leaves in float stay as they are. The input is
// the module right after qc-quantize (before qc-propagate-scales), where
// every quantized qc.matmul / qc.conv reads a qc.quantize and a constant
// integer weight; ops are matched to ONNX nodes by their node-name location.
//
//===----------------------------------------------------------------------===//

#ifndef QC_EXPORT_ONNX_QDQEXPORT_H
#define QC_EXPORT_ONNX_QDQEXPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// The quantization of one operand of a quantized compute op.
struct QDQOperand {
  /// ONNX node name (the op's location) and operand number of the qc op
  /// (0: data, 1: weight or second activation).
  std::string node;
  unsigned operand = 0;
  /// Per-tensor activation (qc.quantize): one scale and zero point.
  /// Constant weight: per-axis scales along `axis` of `shape` (qc's layout
  /// of the weight), zero points all 0, codes in row-major order.
  bool isWeight = false;
  bool isSigned = false;
  int64_t axis = -1;
  std::vector<float> scales;
  std::vector<int64_t> zeroPoints;
  std::vector<int64_t> shape;
  std::vector<int8_t> codes;
  /// Why QDQ cannot express this operand ("" if it can). Reported only if
  /// the export needs it: operands a source model's DequantizeLinear feeds
  /// are already in QDQ form.
  std::string unsupported;
};

/// Reads the quantization of every quantized qc.matmul / qc.conv operand in
/// `module` (after qc-quantize). Fails, naming the op, on operands QDQ export
/// cannot express (not 8-bit integer, per group, not a qc.quantize or a
/// constant).
FailureOr<std::vector<QDQOperand>> collectQDQOperands(ModuleOp module);

/// Writes the ONNX model at `sourcePath` (binary or `.onnxtext`, the model
/// `module` was imported from) with the quantization of `module` to
/// `outputPath`, and validates it with onnx::checker. Errors name the ONNX
/// node or tensor involved.
LogicalResult exportQDQModel(ModuleOp module, StringRef sourcePath,
                             StringRef outputPath);

/// One node of an ONNX model's main graph, as qc names it (the node name, or
/// `<op type>_<index>` for unnamed nodes).
struct ONNXNodeSummary {
  std::string name;
  std::string opType;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  /// Gather whose data (input 0) is a float initializer: an embedding table.
  bool isEmbeddingLookup = false;
  /// Bytes of the float initializers among the inputs (weights, biases).
  int64_t initializerBytes = 0;
};

/// The main-graph nodes of the model at `path`, in order.
FailureOr<std::vector<ONNXNodeSummary>> summarizeONNXModel(StringRef path,
                                                           Location loc);

} // namespace mlir::qc

#endif // QC_EXPORT_ONNX_QDQEXPORT_H
