//===- Compiler.h - qc's compilation driver ---------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The steps of `qc-compile` as a library, so that the command-line tool, the
// C API and the Python package run exactly the same code:
//
//   import ONNX -> [calibrate -> quantize] -> lower -> object -> .so + .h
//
//===----------------------------------------------------------------------===//

#ifndef QC_COMPILER_COMPILER_H
#define QC_COMPILER_COMPILER_H

#include "qc/Calibration/Calibrator.h"
#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/Target/AOT/Codegen.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::qc {

struct CompileOptions {
  std::string inputPath;
  ONNXImportOptions import;
  /// Target architecture (host, x86_64, aarch64) and CPU (native, ...).
  std::string target = "host";
  std::string cpu = "native";
  unsigned optLevel = 3;
  /// Threads of the compiled model's parallel kernels: 0 = every core at
  /// run time (OpenMP), 1 = sequential, N = N.
  unsigned threads = 0;
  /// C identifier prefixing the model's exported symbols and header.
  std::string symbolName = "model";

  /// Quantization: "" (float), "int8" (W8A8), "fp8" (E4M3 or E5M2 weights
  /// and activations, amax scales), "w4a8" (int4 per-channel weights, u8
  /// activations), or weight-only "w8a16" / "w4a16" (group-wise), see
  /// qc-quantize-weights.
  std::string quantize;
  /// Weight-only schemes: the algorithm (rtn, gptq or awq; gptq and awq
  /// calibrate to gather Hessians), the group size (0: per output channel),
  /// symmetric codes without zero point, and GPTQ's activation order.
  std::string algo = "rtn";
  int64_t groupSize = 128;
  bool weightSymmetric = false;
  bool actOrder = false;
  /// Weight-only matmul arithmetic: "exact" (f32 products) or "int8"
  /// (activations quantized to int8 per weight group at run time, integer
  /// dot products; needs a target with AVX-512 VNNI or AArch64 dotprod /
  /// i8mm).
  std::string weightOnlyCompute = "exact";
  /// w4a16: keep the most sensitive layers at 8 bits while the weights stay
  /// within `maxSizeRatio` of their f32 size (needs calibration).
  bool mixedPrecision = false;
  double maxSizeRatio = 0.3;
  /// Mixed precision's error budget: raise the most sensitive layers to 8
  /// bits until the estimated error (the sum of the layers' relative output
  /// errors on the calibration data) is at most this; 0: none. With an
  /// error budget, `maxSizeRatio` 0 means no size budget.
  double maxErrorIncrease = 0.0;
  /// fp8: the format of weights and activations (e4m3 or e5m2) and the
  /// granularity of the weight scales (tensor or channel).
  std::string fp8Format = "e4m3";
  std::string fp8WeightScales = "tensor";
  /// Calibration data: an .npz with one array per model input, samples on
  /// the leading axis, or a folder of per-sample .npz files.
  std::string calibPath;
  /// Statistics cache: read when it exists, else written after calibration.
  std::string calibTable;
  std::string calibMethod = "minmax";
  double percentile = 99.99;
  /// Moving-average min/max for `minmax`: the constant c in (0, 1] of
  /// `r += c (r_batch - r)` per calibration feed; 0 for plain min/max.
  double calibMovingAverage = 0.0;
  std::string activationType = "u8";
  std::vector<std::string> keepFloat;
  /// SmoothQuant migration strength in [0, 1]; negative: off. Runs after
  /// calibration, before quantization; without `quantize` it only smooths
  /// (a float model, for checking that smoothing keeps the function).
  double smoothQuantAlpha = -1.0;

  /// Receives progress lines ("calibrating: 12/64 samples").
  std::function<void(const std::string &)> progress;
};

/// Reads calibration samples. Samples holding NaN or Inf are skipped with a
/// warning (emitted at `loc`); unknown or missing input names and
/// inconsistent shapes are errors.
FailureOr<std::vector<CalibrationSample>>
loadCalibrationData(StringRef path, ArrayRef<std::string> inputNames,
                    Location loc);

/// The feed shape of every array of the calibration data at `path` (see
/// loadCalibrationData), by name. QDQ export uses them to import a model
/// with dynamic dimensions when no --input-shape is given: the written
/// graph does not depend on the shapes it was imported with.
FailureOr<llvm::StringMap<SmallVector<int64_t>>>
readCalibrationFeedShapes(StringRef path, Location loc);

/// Reads / writes the calibration table (JSON, keyed by probe name).
FailureOr<llvm::StringMap<TensorStatistics>>
readCalibrationTable(StringRef path, Location loc);
LogicalResult
writeCalibrationTable(StringRef path,
                      const llvm::StringMap<TensorStatistics> &stats,
                      Location loc);

/// Imports the model and, if asked, calibrates, smooths and quantizes it.
/// The result
/// is tensor-level IR ready for the CPU pipeline (observers stripped).
FailureOr<OwningOpRef<ModuleOp>> buildModule(MLIRContext *context,
                                             const CompileOptions &options);

/// What `buildModule` produces on the way, for QDQ export and reports.
struct BuildArtifacts {
  /// The calibration statistics the model was quantized with (empty for
  /// float builds).
  llvm::StringMap<TensorStatistics> statistics;
  /// The module right after qc-quantize, with the calibration probes and
  /// their statistics still in place: every quantized qc.matmul / qc.conv
  /// reads a qc.quantize and a constant integer weight (null for float
  /// builds).
  OwningOpRef<ModuleOp> quantized;
};

/// `buildModule`, also returning its artifacts.
FailureOr<OwningOpRef<ModuleOp>> buildModule(MLIRContext *context,
                                             const CompileOptions &options,
                                             BuildArtifacts &artifacts);

/// Imports `options.inputPath` with `import` and folds QDQ patterns (the
/// float model, as buildModule starts from).
FailureOr<OwningOpRef<ModuleOp>> importModel(MLIRContext *context,
                                             const CompileOptions &options,
                                             const ONNXImportOptions &import);

/// Inserts calibration probes into an imported module, attaches `stats`,
/// and runs SmoothQuant and qc-quantize as `options` ask. The probes stay.
LogicalResult quantizeModule(ModuleOp module,
                             const llvm::StringMap<TensorStatistics> &stats,
                             const CompileOptions &options);

/// Writes the module quantized by `buildModule` as an ONNX QDQ model (the
/// original graph with QuantizeLinear/DequantizeLinear), see
/// qc/Export/ONNX/QDQExport.h.
LogicalResult emitQDQModel(MLIRContext *context,
                           const BuildArtifacts &artifacts,
                           const CompileOptions &options, StringRef output);

/// Lowers `module` (in place) and writes `output` (.so) and `header` (.h,
/// unless empty).
LogicalResult emitSharedObject(ModuleOp module, const CompileOptions &options,
                               StringRef output, StringRef header);

struct CPUPipelineOptions;

/// Fills `pipeline` for a CPU `target`: the integer dot products its
/// features allow (AVX-512 VNNI, AArch64 i8mm / dotprod), the weight-only
/// arithmetic and the threads of `options` (cross-compiled models stay
/// sequential). Fails with `error` when `options` ask for what the target
/// lacks (--weight-only-compute=int8 without integer dot products).
LogicalResult configureCPUPipeline(const TargetSpec &target,
                                   const CompileOptions &options,
                                   CPUPipelineOptions &pipeline,
                                   std::string &error);

} // namespace mlir::qc

#endif // QC_COMPILER_COMPILER_H
