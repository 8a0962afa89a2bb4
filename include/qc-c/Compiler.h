//===- qc-c/Compiler.h - Import, pipelines and compilation --------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The qc compiler as a C library: the same code qc-compile runs (import an
// ONNX model, calibrate and quantize it, lower it, emit an object or a shared
// object), plus textual pass pipelines on MlirModule, as qc-opt runs them.
//
// Compile a model with INT8 quantization into model.so + model.h:
//
//   QcCompileOptions options = qcCompileOptionsCreate();
//   qcCompileOptionsSetModelPath(options, mlirStringRefCreateFromCString(
//                                             "digits_cnn.onnx"));
//   qcCompileOptionsSetQuantize(options, mlirStringRefCreateFromCString(
//                                            "int8"));
//   qcCompileOptionsSetCalibPath(options, mlirStringRefCreateFromCString(
//                                             "digits_calib.npz"));
//   QcError error = qcCompile(options,
//                             mlirStringRefCreateFromCString("model.so"),
//                             mlirStringRefCreateFromCString("model.h"));
//   if (!qcErrorIsNull(error)) {
//     fprintf(stderr, "%s\n", qcErrorGetMessage(error).data);
//     qcErrorDestroy(error);
//   }
//   qcCompileOptionsDestroy(options);
//
// The compiled model is loaded and run with the qc runtime
// (qc/qc_runtime.h: qc_model_open, qc_model_run), which needs no LLVM/MLIR.
//
// Nothing here aborts on bad input: every problem comes back as a QcError.
// Strings passed in are copied; they need not outlive the call.
//
//===----------------------------------------------------------------------===//

#ifndef QC_C_COMPILER_H
#define QC_C_COMPILER_H

#include "qc-c/Support.h"
#include "qc/qc_runtime.h"

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Compilation options; create with qcCompileOptionsCreate().
struct QcCompileOptions {
  void *ptr;
};
typedef struct QcCompileOptions QcCompileOptions;

/// Kinds of message passed to a QcMessageCallback.
typedef enum QcMessageKind {
  /// A progress line ("calibrating on 32 samples").
  QcMessageKindProgress = 0,
  /// A warning diagnostic (a skipped calibration sample, ...), with its
  /// location.
  QcMessageKindWarning = 1,
  /// A remark diagnostic.
  QcMessageKindRemark = 2
} QcMessageKind;

/// Receives progress lines and warnings while qc works. `text` is only valid
/// during the call. Called on the thread that made the qc call.
typedef void (*QcMessageCallback)(QcMessageKind kind, MlirStringRef text,
                                  void *userData);

/// Options with qc-compile's defaults: float model, host target, -O3.
MLIR_CAPI_EXPORTED QcCompileOptions qcCompileOptionsCreate(void);

/// Releases options. A null handle is a no-op.
MLIR_CAPI_EXPORTED void qcCompileOptionsDestroy(QcCompileOptions options);

static inline bool qcCompileOptionsIsNull(QcCompileOptions options) {
  return !options.ptr;
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

/// The model file: binary ONNX, or ONNX text syntax if it ends in
/// `.onnxtext`. External data is read relative to its folder.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetModelPath(QcCompileOptions options,
                                                     MlirStringRef path);

/// The model as serialized ONNX protobuf bytes (copied), used instead of a
/// path. Such a model may not use external data.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetModelBytes(QcCompileOptions options,
                                                      MlirStringRef bytes);

/// Name of the model, also the C prefix of the generated header's functions
/// (made a valid C identifier). Default: the model file's stem, or
/// "model".
MLIR_CAPI_EXPORTED void qcCompileOptionsSetModelName(QcCompileOptions options,
                                                     MlirStringRef name);

/// The static shape of graph input `name` (qc-compile --input-shape); needed
/// for inputs with dynamic dimensions. Fails on a negative dimension.
MLIR_CAPI_EXPORTED QcError
qcCompileOptionsSetInputShape(QcCompileOptions options, MlirStringRef name,
                              intptr_t rank, const int64_t *dims);

/// Fixes graph input `name` at compile time (qc-compile --input-value):
/// `values` is "V0,V1,..." or "@file.npy".
MLIR_CAPI_EXPORTED QcError qcCompileOptionsSetInputValue(
    QcCompileOptions options, MlirStringRef name, MlirStringRef values);

/// Run onnx::checker on the model before importing (default: true).
MLIR_CAPI_EXPORTED void qcCompileOptionsSetONNXChecker(QcCompileOptions options,
                                                       bool enabled);

//===----------------------------------------------------------------------===//
// Target
//===----------------------------------------------------------------------===//

/// "host" (default), "x86_64" or "aarch64".
MLIR_CAPI_EXPORTED void qcCompileOptionsSetTarget(QcCompileOptions options,
                                                  MlirStringRef target);

/// "native" (default for the host), "generic" or an LLVM CPU name.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetCPU(QcCompileOptions options,
                                               MlirStringRef cpu);

/// LLVM optimization level 0-3 (default 3).
MLIR_CAPI_EXPORTED void qcCompileOptionsSetOptLevel(QcCompileOptions options,
                                                    unsigned level);

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// "" (float, default), "int8" (W8A8: int8 per-channel weights, 8-bit
/// activations calibrated on the calibration data), the weight-only schemes
/// "w8a16" / "w4a16" (group-wise 8/4-bit matmul weights, float activations;
/// see qcCompileOptionsSetAlgorithm), or any other scheme that qc-compile
/// --quantize lists. An unknown scheme makes the compiling call fail with
/// QcErrorKindCompile, naming the valid ones.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetQuantize(QcCompileOptions options,
                                                    MlirStringRef scheme);

/// The weight quantization algorithm of the weight-only schemes: "rtn"
/// (round to nearest; "" means the same, the default), "gptq" or "awq" (both
/// calibrate, to gather the Hessians of the layer inputs, and so need
/// calibration data). Other schemes take only "rtn"; the compiling call
/// fails with QcErrorKindCompile otherwise.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetAlgorithm(QcCompileOptions options,
                                                     MlirStringRef algorithm);

/// Weight-only schemes: input channels per quantization group (default
/// 128; 0: one group per output channel). Negative values make the
/// compiling call fail with QcErrorKindInvalidArgument.
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetWeightGroupSize(QcCompileOptions options, int64_t groupSize);

/// Weight-only schemes: symmetric signed codes without a zero point
/// (default: false, asymmetric with a zero point per group).
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetWeightSymmetric(QcCompileOptions options, bool symmetric);

/// Weight-only schemes: the matmul arithmetic, "exact" (f32 products; ""
/// means the same, the default) or "int8" (activations quantized to int8 per
/// weight group at run time, integer dot products; needs a target with
/// AVX-512 VNNI or AArch64 dotprod / i8mm). Other values, or "int8" without
/// them, make the compiling call fail with QcErrorKindCompile.
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetWeightOnlyCompute(QcCompileOptions options,
                                     MlirStringRef mode);

/// GPTQ: quantize input channels by decreasing Hessian diagonal (default:
/// false).
MLIR_CAPI_EXPORTED void qcCompileOptionsSetActOrder(QcCompileOptions options,
                                                    bool enabled);

/// Scheme "fp8": the FP8 format of weights and activations, "e4m3" (the
/// default) or "e5m2". Other values fail in the driver
/// (QcErrorKindCompile), as does a non-default format with another scheme.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetFP8Format(QcCompileOptions options,
                                                     MlirStringRef format);

/// Scheme "fp8": weight scales per tensor ("tensor", the default) or per
/// output channel ("channel").
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetFP8WeightScales(QcCompileOptions options,
                                   MlirStringRef granularity);

/// Scheme "w4a16": mixed precision (needs calibration data). The most
/// sensitive layers move to 8 bits within the size budget `maxSizeRatio`
/// (quantized weight bytes over their f32 bytes; 0: none) and/or until the
/// estimated error is at most `maxErrorIncrease` (0: no error budget); see
/// qc-quantize-weights in docs/passes.md. Default: off.
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetMixedPrecision(QcCompileOptions options, bool enabled,
                                  double maxSizeRatio, double maxErrorIncrease);

/// Calibration data: an .npz with one array per model input (samples on the
/// leading axis) or a folder of per-sample .npz files.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetCalibPath(QcCompileOptions options,
                                                     MlirStringRef path);

/// Adds one calibration array for model input `name`, laid out like an array
/// of a calibration .npz: samples on the leading axis (`shape[0]` samples of
/// shape `shape[1:]`), dense row-major elements of `dtype`. `sizeBytes` must
/// be exactly the product of `shape` times the element size. The data is
/// copied. Arrays given this way replace qcCompileOptionsSetCalibPath.
MLIR_CAPI_EXPORTED QcError qcCompileOptionsAddCalibArray(
    QcCompileOptions options, MlirStringRef name, qc_dtype_t dtype,
    intptr_t rank, const int64_t *shape, const void *data, size_t sizeBytes);

/// Calibration statistics cache (JSON): read instead of calibrating if the
/// file exists, else written after calibration.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetCalibTable(QcCompileOptions options,
                                                      MlirStringRef path);

/// "minmax" (default), "percentile", "entropy" or "mse".
MLIR_CAPI_EXPORTED void qcCompileOptionsSetCalibMethod(QcCompileOptions options,
                                                       MlirStringRef method);

/// Percentile for the "percentile" method (default 99.99).
MLIR_CAPI_EXPORTED void qcCompileOptionsSetPercentile(QcCompileOptions options,
                                                      double percentile);

/// Activation storage: "u8" (default) or "i8".
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetActivationType(QcCompileOptions options, MlirStringRef type);

/// Keeps the ops of ONNX node `node` in float (repeatable).
MLIR_CAPI_EXPORTED void qcCompileOptionsAddKeepFloat(QcCompileOptions options,
                                                     MlirStringRef node);

/// Moving-average min/max for "minmax": the constant c in (0, 1] of
/// `r += c (r_batch - r)` per calibration feed; 0 (default) for plain
/// min/max.
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetCalibMovingAverage(QcCompileOptions options, double c);

/// SmoothQuant before quantizing, with migration strength `alpha` in
/// [0, 1] (0.5 is the paper's default); negative (default): off.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetSmoothQuant(QcCompileOptions options,
                                                       double alpha);

/// Threads of the compiled model's parallel kernels: 0 (default) every core
/// at run time, 1 sequential, N at most N.
MLIR_CAPI_EXPORTED void qcCompileOptionsSetThreads(QcCompileOptions options,
                                                   unsigned threads);

/// Receives the quantization report of a quantized build: the JSON that
/// qc-compile --report writes (per compute node: integer or float and why,
/// SQNR and max error against the float model on the calibration data,
/// weight bytes before and after; per output: the error) and the table it
/// prints. Both strings are only valid during the call.
typedef void (*QcReportCallback)(MlirStringRef json, MlirStringRef table,
                                 void *userData);

/// Asks qcCompile and qcBuildModule to measure the quantization report and
/// pass it to `callback` (null: no report, the default). Measuring compiles
/// and runs the float and the quantized model on the calibration data, so
/// it needs "int8" quantization and calibration data (a table alone is not
/// enough); for other schemes the call fails with QcErrorKindUnsupported.
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetReportCallback(QcCompileOptions options,
                                  QcReportCallback callback, void *userData);

/// Where progress lines and warnings go (default: nowhere).
MLIR_CAPI_EXPORTED void
qcCompileOptionsSetMessageCallback(QcCompileOptions options,
                                   QcMessageCallback callback, void *userData);

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

/// Imports an ONNX model file into a new module of `context` (which needs the
/// dialects of qcRegisterAllDialects). The import options (input shapes and
/// values, checker, model name) are taken from `options`, which may be null.
/// On success `*result` owns the module (release it with mlirModuleDestroy).
MLIR_CAPI_EXPORTED QcError qcImportONNXFile(MlirContext context,
                                            MlirStringRef path,
                                            QcCompileOptions options,
                                            MlirModule *result);

/// Imports serialized ONNX protobuf `bytes`. External data files are resolved
/// relative to `baseDir` (which may be empty) and may not leave it.
MLIR_CAPI_EXPORTED QcError qcImportONNXBytes(MlirContext context,
                                             MlirStringRef bytes,
                                             MlirStringRef baseDir,
                                             QcCompileOptions options,
                                             MlirModule *result);

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

/// Runs a textual pass pipeline on `module`, in place: either the full form
/// "builtin.module(func.func(qc-quantize),canonicalize)" or the list inside
/// it, "qc-cpu-pipeline{aot=true}". Passes must be registered
/// (qcRegisterAllPasses). On failure the module may be partially transformed.
MLIR_CAPI_EXPORTED QcError qcRunPassPipeline(MlirModule module,
                                             MlirStringRef pipeline);

/// Imports the model of `options` and, if asked, calibrates and quantizes it:
/// the tensor-level module qc-compile --emit=mlir prints. On success
/// `*result` owns the module.
MLIR_CAPI_EXPORTED QcError qcBuildModule(MlirContext context,
                                         QcCompileOptions options,
                                         MlirModule *result);

//===----------------------------------------------------------------------===//
// Code generation
//===----------------------------------------------------------------------===//

/// Writes an ELF object for an LLVM-dialect module (for instance after
/// "qc-cpu-pipeline{aot=true}") to `objectPath`, for the target, CPU and
/// optimization level of `options` (which may be null).
MLIR_CAPI_EXPORTED QcError qcEmitObject(MlirModule module,
                                        QcCompileOptions options,
                                        MlirStringRef objectPath);

/// Lowers a tensor-level module (from qcBuildModule or qcImportONNX*) in
/// place and links it into the shared object `soPath` plus, unless
/// `headerPath` is empty, a C header.
MLIR_CAPI_EXPORTED QcError qcEmitSharedObject(MlirModule module,
                                              QcCompileOptions options,
                                              MlirStringRef soPath,
                                              MlirStringRef headerPath);

/// Everything qc-compile does, in a context of its own: import, calibrate
/// and quantize if asked, lower, and write `soPath` (and `headerPath` unless
/// empty).
MLIR_CAPI_EXPORTED QcError qcCompile(QcCompileOptions options,
                                     MlirStringRef soPath,
                                     MlirStringRef headerPath);

/// Calibrates the model of `options` on its calibration data (path or
/// arrays) and passes the statistics to `callback` as the JSON calibration
/// table qc-compile --calib-table writes ({"version": 1, "tensors": {name:
/// {"min", "max", "samples", "non_finite", ...}}}). Histograms are gathered
/// when the calibration method needs them. The quantize scheme of `options`
/// is ignored (statistics are gathered for INT8). Inputs without a shape
/// (qcCompileOptionsSetInputShape) are imported at the calibration feeds'
/// shape; the statistics do not depend on it.
MLIR_CAPI_EXPORTED QcError qcCalibrate(QcCompileOptions options,
                                       MlirStringCallback callback,
                                       void *userData);

#ifdef __cplusplus
}
#endif

#endif // QC_C_COMPILER_H
