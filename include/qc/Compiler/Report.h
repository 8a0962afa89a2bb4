//===- Report.h - Quantization report ---------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What quantization did to a model, measured: for every compute node (ONNX
// MatMul, Gemm, Conv, ... and embedding Gathers) whether it runs in integer
// arithmetic or stays float and why, its weight bytes before and after, and
// the SQNR of its output against the float model on the calibration data;
// plus the error of every model output and the model's constant bytes.
//
// The float and the quantized model are compiled natively with a qc.observe
// probe on the output of every qc.matmul / qc.conv (named after its ONNX
// node), run on each calibration feed, and compared probe by probe.
//
//===----------------------------------------------------------------------===//

#ifndef QC_COMPILER_REPORT_H
#define QC_COMPILER_REPORT_H

#include "qc/Compiler/Compiler.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::qc {

/// Error of a quantized tensor against its float counterpart, accumulated
/// over every value compared (in double precision).
struct ErrorStatistics {
  int64_t elements = 0;
  /// Pairs skipped because one side was NaN or Inf.
  int64_t nonFinite = 0;
  double signalEnergy = 0.0; // sum f^2
  double noiseEnergy = 0.0;  // sum (q - f)^2
  double maxAbsError = 0.0;

  void add(const float *reference, const float *quantized, int64_t count);
  /// 10 log10(signal / noise); nullopt when nothing was compared or the
  /// noise is zero (identical).
  std::optional<double> sqnrDb() const;
  /// noise / signal (the relative MSE); nullopt when the signal is zero.
  std::optional<double> relativeMSE() const;
};

/// One compute node of the model.
struct LayerReport {
  /// ONNX node name and op type (the qc op name for ops qc made up).
  std::string node;
  std::string opType;
  /// Every qc.matmul / qc.conv of the node runs in integer arithmetic.
  bool integer = false;
  /// Why the node stays (partly) float; empty when integer.
  std::string reason;
  /// The per-tensor quantization of its data operand, when integer.
  std::string activationType;
  double activationScale = 0.0;
  int64_t activationZeroPoint = 0;
  /// The constant weight: shape, float bytes before quantization, and
  /// bytes after (codes plus per-channel scales; the float bytes again when
  /// it stays float). Zero for nodes without a constant weight.
  std::vector<int64_t> weightShape;
  int64_t weightBytes = 0;
  int64_t quantizedWeightBytes = 0;
  /// The node's qc.matmul / qc.conv outputs against the float model's
  /// (before a Gemm's bias); nothing for nodes without one (Gather).
  ErrorStatistics error;
  bool measured = false;
};

/// One model output against the float model.
struct OutputReport {
  std::string name;
  bool isFloat = true;
  ErrorStatistics error;
  /// For non-float outputs: elements that differ.
  int64_t mismatches = 0;
};

struct QuantizationReport {
  std::string model;
  std::string scheme;
  std::string activationType;
  std::string calibMethod;
  double percentile = 0.0;
  double movingAverage = 0.0;
  double smoothQuantAlpha = -1.0;
  /// Calibration feeds the errors were measured on.
  int64_t samples = 0;
  std::vector<LayerReport> layers;
  std::vector<OutputReport> outputs;
  /// Weights of the compute nodes (each constant counted once) and every
  /// constant of the model, before and after quantization.
  int64_t weightBytes = 0, quantizedWeightBytes = 0;
  int64_t constantBytes = 0, quantizedConstantBytes = 0;
};

/// Measures the model `buildModule` quantized into `artifacts`, on the
/// calibration data of `options` (`--calib`; a table alone is not enough).
FailureOr<QuantizationReport> buildReport(MLIRContext *context,
                                          const CompileOptions &options,
                                          const BuildArtifacts &artifacts);

llvm::json::Value toJSON(const QuantizationReport &report);
LogicalResult writeReportJSON(const QuantizationReport &report, StringRef path,
                              Location loc);

/// A table for people: one row per compute node, then the outputs and
/// sizes.
void printReportTable(const QuantizationReport &report, llvm::raw_ostream &os);

} // namespace mlir::qc

#endif // QC_COMPILER_REPORT_H
