//===- Compiler.cpp - C API of the qc compiler ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A thin layer over qc's C++ driver (qc/Compiler/Compiler.h): options are
// collected into a CompileOptions, inputs that C callers hand over as memory
// (model bytes, calibration arrays) are written to temporary files the
// driver reads, and every diagnostic is captured into the returned QcError.
//
//===----------------------------------------------------------------------===//

#include "qc-c/Compiler.h"
#include "qc-c/Dialects.h"

#include "qc/Compiler/Compiler.h"
#include "qc/Compiler/Report.h"
#include "qc/InitAllQC.h"
#include "qc/Support/Npz.h"
#include "qc/Target/AOT/ModelSignature.h"

#include "mlir/CAPI/IR.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

#include <optional>

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

namespace {
struct ErrorImpl {
  QcErrorKind kind;
  std::string message;
};

/// One calibration array handed over by the caller.
struct CalibArray {
  std::string name;
  qc_dtype_t dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

struct OptionsImpl {
  CompileOptions compile;
  /// Serialized model, used instead of `compile.inputPath` when set.
  std::optional<std::string> modelBytes;
  std::string modelName;
  std::vector<CalibArray> calibArrays;
  QcMessageCallback callback = nullptr;
  void *userData = nullptr;
  QcReportCallback reportCallback = nullptr;
  void *reportUserData = nullptr;
};
} // namespace

unsigned qcGetCAPIVersion(void) { return QC_CAPI_VERSION; }

static QcError makeError(QcErrorKind kind, const Twine &message) {
  return QcError{new ErrorImpl{kind, message.str()}};
}

static QcError noError() { return QcError{nullptr}; }

QcErrorKind qcErrorGetKind(QcError error) {
  return error.ptr ? static_cast<ErrorImpl *>(error.ptr)->kind
                   : QcErrorKindInvalidArgument;
}

MlirStringRef qcErrorGetMessage(QcError error) {
  if (!error.ptr)
    return mlirStringRefCreate("", 0);
  const std::string &message = static_cast<ErrorImpl *>(error.ptr)->message;
  return mlirStringRefCreate(message.c_str(), message.size());
}

void qcErrorDestroy(QcError error) {
  delete static_cast<ErrorImpl *>(error.ptr);
}

static StringRef toRef(MlirStringRef s) {
  return s.data ? StringRef(s.data, s.length) : StringRef();
}

static OptionsImpl *unwrap(QcCompileOptions options) {
  return static_cast<OptionsImpl *>(options.ptr);
}

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

namespace {
/// Captures every diagnostic emitted on a context while alive, formatted
/// like qc-compile prints them, and forwards warnings and remarks to the
/// caller's message callback.
class DiagnosticCapture {
public:
  DiagnosticCapture(MLIRContext *context, const OptionsImpl *options)
      : options(options),
        handler(context, [this](Diagnostic &diag) { return record(diag); }) {}

  /// An error of `kind` holding the captured text, or `fallback` if nothing
  /// was reported.
  QcError error(QcErrorKind kind, const Twine &fallback) const {
    if (text.empty())
      return makeError(kind, fallback);
    StringRef message = StringRef(text).rtrim('\n');
    return makeError(kind, message);
  }

private:
  static StringRef severityName(DiagnosticSeverity severity) {
    switch (severity) {
    case DiagnosticSeverity::Error:
      return "error";
    case DiagnosticSeverity::Warning:
      return "warning";
    case DiagnosticSeverity::Note:
      return "note";
    case DiagnosticSeverity::Remark:
      return "remark";
    }
    return "error";
  }

  static void format(raw_ostream &os, Location loc, DiagnosticSeverity severity,
                     const Twine &message) {
    if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
      os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
         << fileLoc.getColumn() << ": ";
    os << severityName(severity) << ": " << message << "\n";
  }

  LogicalResult record(Diagnostic &diag) {
    std::string entry;
    llvm::raw_string_ostream os(entry);
    format(os, diag.getLocation(), diag.getSeverity(), diag.str());
    for (const Diagnostic &note : diag.getNotes())
      format(os, note.getLocation(), note.getSeverity(), note.str());
    text += entry;
    if (options && options->callback &&
        (diag.getSeverity() == DiagnosticSeverity::Warning ||
         diag.getSeverity() == DiagnosticSeverity::Remark)) {
      StringRef line = StringRef(entry).rtrim('\n');
      options->callback(diag.getSeverity() == DiagnosticSeverity::Warning
                            ? QcMessageKindWarning
                            : QcMessageKindRemark,
                        mlirStringRefCreate(line.data(), line.size()),
                        options->userData);
    }
    return mlir::success();
  }

  const OptionsImpl *options;
  std::string text;
  ScopedDiagnosticHandler handler;
};
} // namespace

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

QcCompileOptions qcCompileOptionsCreate(void) {
  return QcCompileOptions{new OptionsImpl()};
}

void qcCompileOptionsDestroy(QcCompileOptions options) {
  delete unwrap(options);
}

void qcCompileOptionsSetModelPath(QcCompileOptions options,
                                  MlirStringRef path) {
  if (OptionsImpl *impl = unwrap(options)) {
    impl->compile.inputPath = toRef(path).str();
    impl->modelBytes.reset();
  }
}

void qcCompileOptionsSetModelBytes(QcCompileOptions options,
                                   MlirStringRef bytes) {
  if (OptionsImpl *impl = unwrap(options)) {
    impl->modelBytes = toRef(bytes).str();
    impl->compile.inputPath.clear();
  }
}

void qcCompileOptionsSetModelName(QcCompileOptions options,
                                  MlirStringRef name) {
  if (OptionsImpl *impl = unwrap(options))
    impl->modelName = toRef(name).str();
}

QcError qcCompileOptionsSetInputShape(QcCompileOptions options,
                                      MlirStringRef name, intptr_t rank,
                                      const int64_t *dims) {
  OptionsImpl *impl = unwrap(options);
  if (!impl)
    return makeError(QcErrorKindInvalidArgument,
                     "qcCompileOptionsSetInputShape: null options");
  if (rank < 0 || (rank > 0 && !dims))
    return makeError(QcErrorKindInvalidArgument,
                     "input shape of '" + toRef(name) +
                         "': rank must be >= 0 with a dimension array");
  SmallVector<int64_t> shape;
  for (intptr_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return makeError(QcErrorKindInvalidArgument,
                       "input shape of '" + toRef(name) + "': dimension " +
                           Twine(i) + " is " + Twine(dims[i]) +
                           "; sizes must be >= 0");
    shape.push_back(dims[i]);
  }
  impl->compile.import.inputShapes[toRef(name)] = std::move(shape);
  return noError();
}

QcError qcCompileOptionsSetInputValue(QcCompileOptions options,
                                      MlirStringRef name,
                                      MlirStringRef values) {
  OptionsImpl *impl = unwrap(options);
  if (!impl)
    return makeError(QcErrorKindInvalidArgument,
                     "qcCompileOptionsSetInputValue: null options");
  std::string error = parseInputValueOption(
      (toRef(name) + "=" + toRef(values)).str(), impl->compile.import);
  if (!error.empty())
    return makeError(QcErrorKindInvalidArgument, error);
  return noError();
}

void qcCompileOptionsSetONNXChecker(QcCompileOptions options, bool enabled) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.import.runChecker = enabled;
}

void qcCompileOptionsSetTarget(QcCompileOptions options, MlirStringRef target) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.target = toRef(target).str();
}

void qcCompileOptionsSetCPU(QcCompileOptions options, MlirStringRef cpu) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.cpu = toRef(cpu).str();
}

void qcCompileOptionsSetOptLevel(QcCompileOptions options, unsigned level) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.optLevel = level;
}

void qcCompileOptionsSetQuantize(QcCompileOptions options,
                                 MlirStringRef scheme) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.quantize = toRef(scheme).str();
}

void qcCompileOptionsSetAlgorithm(QcCompileOptions options,
                                  MlirStringRef algorithm) {
  if (OptionsImpl *impl = unwrap(options)) {
    StringRef algo = toRef(algorithm);
    impl->compile.algo = algo.empty() ? "rtn" : algo.str();
  }
}

void qcCompileOptionsSetWeightGroupSize(QcCompileOptions options,
                                        int64_t groupSize) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.groupSize = groupSize;
}

void qcCompileOptionsSetWeightSymmetric(QcCompileOptions options,
                                        bool symmetric) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.weightSymmetric = symmetric;
}

void qcCompileOptionsSetWeightOnlyCompute(QcCompileOptions options,
                                          MlirStringRef mode) {
  if (OptionsImpl *impl = unwrap(options)) {
    StringRef value = toRef(mode);
    impl->compile.weightOnlyCompute = value.empty() ? "exact" : value.str();
  }
}

void qcCompileOptionsSetActOrder(QcCompileOptions options, bool enabled) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.actOrder = enabled;
}

void qcCompileOptionsSetFP8Format(QcCompileOptions options,
                                  MlirStringRef format) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.fp8Format = toRef(format).str();
}

void qcCompileOptionsSetFP8WeightScales(QcCompileOptions options,
                                        MlirStringRef granularity) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.fp8WeightScales = toRef(granularity).str();
}

void qcCompileOptionsSetMixedPrecision(QcCompileOptions options, bool enabled,
                                       double maxSizeRatio,
                                       double maxErrorIncrease) {
  if (OptionsImpl *impl = unwrap(options)) {
    impl->compile.mixedPrecision = enabled;
    impl->compile.maxSizeRatio = maxSizeRatio;
    impl->compile.maxErrorIncrease = maxErrorIncrease;
  }
}

void qcCompileOptionsSetCalibPath(QcCompileOptions options,
                                  MlirStringRef path) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.calibPath = toRef(path).str();
}

QcError qcCompileOptionsAddCalibArray(QcCompileOptions options,
                                      MlirStringRef name, qc_dtype_t dtype,
                                      intptr_t rank, const int64_t *shape,
                                      const void *data, size_t sizeBytes) {
  OptionsImpl *impl = unwrap(options);
  if (!impl)
    return makeError(QcErrorKindInvalidArgument,
                     "qcCompileOptionsAddCalibArray: null options");
  StringRef arrayName = toRef(name);
  if (arrayName.empty())
    return makeError(QcErrorKindInvalidArgument,
                     "calibration array without a name");
  for (const CalibArray &array : impl->calibArrays)
    if (array.name == arrayName)
      return makeError(QcErrorKindInvalidArgument,
                       "calibration array '" + arrayName + "' given twice");
  size_t elementSize = qc_dtype_size(dtype);
  if (!elementSize || !npz::npyDescr(dtype))
    return makeError(QcErrorKindInvalidArgument,
                     "calibration array '" + arrayName +
                         "' has an unsupported dtype (" + qc_dtype_name(dtype) +
                         ")");
  if (rank < 1 || !shape)
    return makeError(QcErrorKindInvalidArgument,
                     "calibration array '" + arrayName +
                         "' needs a leading sample axis (rank >= 1)");
  CalibArray array;
  array.name = arrayName.str();
  array.dtype = dtype;
  uint64_t count = 1;
  for (intptr_t i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return makeError(QcErrorKindInvalidArgument,
                       "calibration array '" + arrayName +
                           "' has a negative dimension");
    array.shape.push_back(shape[i]);
    if (shape[i] && count > UINT64_MAX / uint64_t(shape[i]))
      return makeError(QcErrorKindInvalidArgument,
                       "calibration array '" + arrayName + "' is too large");
    count *= uint64_t(shape[i]);
  }
  if (count > UINT64_MAX / elementSize || count * elementSize != sizeBytes)
    return makeError(
        QcErrorKindInvalidArgument,
        "calibration array '" + arrayName + "' has " + Twine(sizeBytes) +
            " bytes; its shape and dtype need " + Twine(count * elementSize));
  if (sizeBytes && !data)
    return makeError(QcErrorKindInvalidArgument,
                     "calibration array '" + arrayName + "' has no data");
  const uint8_t *bytes = static_cast<const uint8_t *>(data);
  array.data.assign(bytes, bytes + sizeBytes);
  impl->calibArrays.push_back(std::move(array));
  return noError();
}

void qcCompileOptionsSetCalibTable(QcCompileOptions options,
                                   MlirStringRef path) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.calibTable = toRef(path).str();
}

void qcCompileOptionsSetCalibMethod(QcCompileOptions options,
                                    MlirStringRef method) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.calibMethod = toRef(method).str();
}

void qcCompileOptionsSetPercentile(QcCompileOptions options,
                                   double percentile) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.percentile = percentile;
}

void qcCompileOptionsSetActivationType(QcCompileOptions options,
                                       MlirStringRef type) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.activationType = toRef(type).str();
}

void qcCompileOptionsAddKeepFloat(QcCompileOptions options,
                                  MlirStringRef node) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.keepFloat.push_back(toRef(node).str());
}

void qcCompileOptionsSetCalibMovingAverage(QcCompileOptions options, double c) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.calibMovingAverage = c;
}

void qcCompileOptionsSetSmoothQuant(QcCompileOptions options, double alpha) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.smoothQuantAlpha = alpha;
}

void qcCompileOptionsSetThreads(QcCompileOptions options, unsigned threads) {
  if (OptionsImpl *impl = unwrap(options))
    impl->compile.threads = threads;
}

void qcCompileOptionsSetReportCallback(QcCompileOptions options,
                                       QcReportCallback callback,
                                       void *userData) {
  if (OptionsImpl *impl = unwrap(options)) {
    impl->reportCallback = callback;
    impl->reportUserData = userData;
  }
}

void qcCompileOptionsSetMessageCallback(QcCompileOptions options,
                                        QcMessageCallback callback,
                                        void *userData) {
  if (OptionsImpl *impl = unwrap(options)) {
    impl->callback = callback;
    impl->userData = userData;
  }
}

//===----------------------------------------------------------------------===//
// Preparing a driver run
//===----------------------------------------------------------------------===//

/// Checks the option values that would otherwise fail deep inside LLVM.
static QcError checkTargetOptions(const CompileOptions &options) {
  if (options.optLevel > 3)
    return makeError(QcErrorKindInvalidArgument, "optimization level " +
                                                     Twine(options.optLevel) +
                                                     " is out of range (0-3)");
  return noError();
}

/// Checks what the driver would only notice late or word as a command-line
/// error. The scheme and the algorithm are left to the driver, which knows
/// which ones it has (unknown values fail with QcErrorKindCompile and the
/// list of valid ones).
static QcError checkQuantizeOptions(const OptionsImpl &options) {
  const CompileOptions &compile = options.compile;
  if (compile.groupSize < 0)
    return makeError(QcErrorKindInvalidArgument,
                     "weight group size " + Twine(compile.groupSize) +
                         " is negative (0: one group per output channel)");
  const std::string &scheme = compile.quantize;
  if (options.reportCallback && !scheme.empty() && scheme != "int8")
    return makeError(QcErrorKindUnsupported,
                     "the quantization report supports int8 only, not " +
                         scheme);
  return noError();
}

namespace {
/// CompileOptions for one driver run, plus the temporary files it reads.
struct PreparedRun {
  CompileOptions options;
  SmallVector<std::unique_ptr<llvm::FileRemover>> temporaries;

  /// A new temporary file (removed when the run ends). With `reserveOnly`
  /// the name is reserved but no file is left behind, for outputs whose
  /// absence means something to the driver.
  FailureOr<std::string> temporary(StringRef prefix, StringRef suffix,
                                   std::string &error,
                                   bool reserveOnly = false) {
    SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile(prefix, suffix, path)) {
      error = "cannot create a temporary file: " + ec.message();
      return failure();
    }
    temporaries.push_back(std::make_unique<llvm::FileRemover>(path));
    if (reserveOnly)
      llvm::sys::fs::remove(path);
    return std::string(path);
  }
};
} // namespace

/// Writes `contents` to `path`.
static bool writeBytes(StringRef path, StringRef contents, std::string &error) {
  auto file = openOutputFile(path, &error);
  if (!file)
    return false;
  file->os() << contents;
  file->os().flush();
  if (file->os().has_error()) {
    error = "cannot write " + path.str();
    file->os().clear_error();
    return false;
  }
  file->keep();
  return true;
}

/// Fills `run` from `impl`: the model (path, or bytes written to a file),
/// the calibration data (path, or arrays written to an .npz), the names and
/// the message callback.
static QcError prepare(const OptionsImpl &impl, PreparedRun &run) {
  if (QcError error = checkTargetOptions(impl.compile); error.ptr)
    return error;
  run.options = impl.compile;
  std::string error;
  StringRef stem = "model";
  if (impl.modelBytes) {
    FailureOr<std::string> path = run.temporary("qc-model", "onnx", error);
    if (failed(path) || !writeBytes(*path, *impl.modelBytes, error))
      return makeError(QcErrorKindIO, error);
    run.options.inputPath = *path;
  } else if (run.options.inputPath.empty()) {
    return makeError(QcErrorKindInvalidArgument,
                     "no model: set a model path or model bytes");
  } else {
    if (!llvm::sys::fs::exists(run.options.inputPath))
      return makeError(QcErrorKindIO, "cannot read model '" +
                                          run.options.inputPath +
                                          "': no such file");
    stem = llvm::sys::path::stem(run.options.inputPath);
  }
  StringRef name = impl.modelName.empty() ? stem : StringRef(impl.modelName);
  run.options.symbolName = sanitizeCIdentifier(name);
  run.options.import.modelName = name.str();

  if (!impl.calibArrays.empty()) {
    std::vector<npz::ArrayView> views;
    for (const CalibArray &array : impl.calibArrays) {
      npz::ArrayView view;
      view.name = array.name;
      view.dtype = array.dtype;
      view.shape = array.shape;
      view.data = array.data.data();
      view.sizeBytes = array.data.size();
      views.push_back(std::move(view));
    }
    FailureOr<std::string> path = run.temporary("qc-calib", "npz", error);
    if (failed(path) || !npz::writeNpz(*path, views, error))
      return makeError(QcErrorKindIO, error);
    run.options.calibPath = *path;
  }

  if (impl.callback) {
    QcMessageCallback callback = impl.callback;
    void *userData = impl.userData;
    run.options.progress = [callback, userData](const std::string &line) {
      callback(QcMessageKindProgress,
               mlirStringRefCreate(line.data(), line.size()), userData);
    };
  }
  return noError();
}

/// buildModule, plus the quantization report when the options ask for one.
static FailureOr<OwningOpRef<ModuleOp>>
buildWithReport(MLIRContext *context, const OptionsImpl &impl,
                const PreparedRun &run) {
  BuildArtifacts artifacts;
  FailureOr<OwningOpRef<ModuleOp>> module =
      buildModule(context, run.options, artifacts);
  if (failed(module) || !impl.reportCallback)
    return module;
  FailureOr<QuantizationReport> report =
      buildReport(context, run.options, artifacts);
  if (failed(report))
    return failure();
  std::string json, table;
  llvm::raw_string_ostream jsonStream(json), tableStream(table);
  jsonStream << llvm::formatv("{0:2}", toJSON(*report));
  printReportTable(*report, tableStream);
  impl.reportCallback(mlirStringRefCreate(json.data(), json.size()),
                      mlirStringRefCreate(table.data(), table.size()),
                      impl.reportUserData);
  return module;
}

/// A context with every dialect qc-compile registers, loaded.
static std::unique_ptr<MLIRContext> createContext() {
  DialectRegistry registry;
  registerAllQCDialects(registry);
  auto context = std::make_unique<MLIRContext>(registry);
  context->loadAllAvailableDialects();
  // A failing pass would otherwise attach the whole module to its
  // diagnostic, and the error text would hold a model's worth of IR.
  context->printOpOnDiagnostic(false);
  return context;
}

/// Checks that a caller's context can hold qc IR and loads its dialects.
static QcError checkContext(MlirContext context, StringRef function) {
  if (mlirContextIsNull(context))
    return makeError(QcErrorKindInvalidArgument, function + ": null context");
  MLIRContext *ctx = unwrap(context);
  if (!ctx->getLoadedDialect("qc") &&
      !ctx->getDialectRegistry().getDialectAllocator("qc"))
    return makeError(QcErrorKindInvalidArgument,
                     function + ": the context has no qc dialect; register "
                                "it with qcRegisterAllDialects");
  ctx->loadAllAvailableDialects();
  return noError();
}

//===----------------------------------------------------------------------===//
// Import, pipelines, code generation
//===----------------------------------------------------------------------===//

/// Import options from `options` (defaults when null).
static ONNXImportOptions importOptions(QcCompileOptions options) {
  if (const OptionsImpl *impl = unwrap(options)) {
    ONNXImportOptions import = impl->compile.import;
    if (!impl->modelName.empty())
      import.modelName = impl->modelName;
    return import;
  }
  return ONNXImportOptions();
}

QcError qcImportONNXFile(MlirContext context, MlirStringRef path,
                         QcCompileOptions options, MlirModule *result) {
  if (!result)
    return makeError(QcErrorKindInvalidArgument,
                     "qcImportONNXFile: null result");
  *result = MlirModule{nullptr};
  if (QcError error = checkContext(context, "qcImportONNXFile"); error.ptr)
    return error;
  if (!llvm::sys::fs::exists(toRef(path)))
    return makeError(QcErrorKindIO,
                     "cannot read model '" + toRef(path) + "': no such file");
  DiagnosticCapture diagnostics(unwrap(context), unwrap(options));
  FailureOr<OwningOpRef<ModuleOp>> module =
      importONNXFile(toRef(path), unwrap(context), importOptions(options));
  if (failed(module))
    return diagnostics.error(QcErrorKindCompile, "cannot import the model");
  *result = wrap(module->release());
  return noError();
}

QcError qcImportONNXBytes(MlirContext context, MlirStringRef bytes,
                          MlirStringRef baseDir, QcCompileOptions options,
                          MlirModule *result) {
  if (!result)
    return makeError(QcErrorKindInvalidArgument,
                     "qcImportONNXBytes: null result");
  *result = MlirModule{nullptr};
  if (QcError error = checkContext(context, "qcImportONNXBytes"); error.ptr)
    return error;
  DiagnosticCapture diagnostics(unwrap(context), unwrap(options));
  FailureOr<OwningOpRef<ModuleOp>> module =
      importONNXBytes(toRef(bytes), toRef(baseDir), "<bytes>", unwrap(context),
                      importOptions(options));
  if (failed(module))
    return diagnostics.error(QcErrorKindCompile, "cannot import the model");
  *result = wrap(module->release());
  return noError();
}

QcError qcRunPassPipeline(MlirModule module, MlirStringRef pipeline) {
  if (mlirModuleIsNull(module))
    return makeError(QcErrorKindInvalidArgument,
                     "qcRunPassPipeline: null module");
  ModuleOp op = unwrap(module);
  MLIRContext *context = op.getContext();
  StringRef text = toRef(pipeline).trim();
  // The full form names the anchor; the passes inside it are what a module
  // pass manager takes.
  StringRef anchor = "builtin.module(";
  if (text.starts_with(anchor) && text.ends_with(")"))
    text = text.drop_front(anchor.size()).drop_back();
  PassManager pm(context, ModuleOp::getOperationName());
  std::string parseError;
  llvm::raw_string_ostream parseStream(parseError);
  if (failed(parsePassPipeline(text, pm, parseStream)))
    return makeError(QcErrorKindInvalidArgument,
                     "invalid pass pipeline '" + toRef(pipeline) +
                         "': " + StringRef(parseError).trim());
  DiagnosticCapture diagnostics(context, nullptr);
  if (failed(pm.run(op)))
    return diagnostics.error(QcErrorKindCompile,
                             "pass pipeline '" + toRef(pipeline) + "' failed");
  return noError();
}

QcError qcBuildModule(MlirContext context, QcCompileOptions options,
                      MlirModule *result) {
  if (!result)
    return makeError(QcErrorKindInvalidArgument, "qcBuildModule: null result");
  *result = MlirModule{nullptr};
  const OptionsImpl *impl = unwrap(options);
  if (!impl)
    return makeError(QcErrorKindInvalidArgument, "qcBuildModule: null options");
  if (QcError error = checkContext(context, "qcBuildModule"); error.ptr)
    return error;
  if (QcError error = checkQuantizeOptions(*impl); error.ptr)
    return error;
  PreparedRun run;
  if (QcError error = prepare(*impl, run); error.ptr)
    return error;
  DiagnosticCapture diagnostics(unwrap(context), impl);
  FailureOr<OwningOpRef<ModuleOp>> module =
      buildWithReport(unwrap(context), *impl, run);
  if (failed(module))
    return diagnostics.error(QcErrorKindCompile, "compilation failed");
  *result = wrap(module->release());
  return noError();
}

/// The first op of `module` that is not in the LLVM dialect, if any.
static Operation *findNonLLVMOp(ModuleOp module) {
  Operation *found = nullptr;
  module.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op == module.getOperation() || isa<LLVM::LLVMDialect>(op->getDialect()))
      return WalkResult::advance();
    found = op;
    return WalkResult::interrupt();
  });
  return found;
}

QcError qcEmitObject(MlirModule module, QcCompileOptions options,
                     MlirStringRef objectPath) {
  if (mlirModuleIsNull(module))
    return makeError(QcErrorKindInvalidArgument, "qcEmitObject: null module");
  ModuleOp op = unwrap(module);
  if (Operation *other = findNonLLVMOp(op))
    return makeError(QcErrorKindInvalidArgument,
                     "qcEmitObject needs an LLVM-dialect module, but it holds "
                     "'" +
                         other->getName().getStringRef() +
                         "'; lower it first, e.g. with the pipeline "
                         "'qc-cpu-pipeline{aot=true}'");
  CompileOptions defaults;
  const CompileOptions &compile =
      unwrap(options) ? unwrap(options)->compile : defaults;
  if (QcError error = checkTargetOptions(compile); error.ptr)
    return error;
  std::string error;
  FailureOr<TargetSpec> target =
      resolveTarget(compile.target, compile.cpu, error);
  if (failed(target))
    return makeError(QcErrorKindInvalidArgument, error);
  target->optLevel = compile.optLevel;
  DiagnosticCapture diagnostics(op.getContext(), unwrap(options));
  SmallString<0> objectBytes;
  llvm::raw_svector_ostream objectStream(objectBytes);
  if (failed(emitObject(op, *target, objectStream)))
    return diagnostics.error(QcErrorKindCompile,
                             "code generation failed for the module");
  if (!writeBytes(toRef(objectPath), objectBytes, error))
    return makeError(QcErrorKindIO, error);
  return noError();
}

QcError qcEmitSharedObject(MlirModule module, QcCompileOptions options,
                           MlirStringRef soPath, MlirStringRef headerPath) {
  if (mlirModuleIsNull(module))
    return makeError(QcErrorKindInvalidArgument,
                     "qcEmitSharedObject: null module");
  if (toRef(soPath).empty())
    return makeError(QcErrorKindInvalidArgument,
                     "qcEmitSharedObject: no output path");
  ModuleOp op = unwrap(module);
  CompileOptions compile;
  const OptionsImpl *impl = unwrap(options);
  if (impl)
    compile = impl->compile;
  if (QcError error = checkTargetOptions(compile); error.ptr)
    return error;
  // The C prefix of the header: the options' model name, else the name the
  // importer recorded.
  StringRef name = "model";
  if (impl && !impl->modelName.empty())
    name = impl->modelName;
  else if (auto recorded = op->getAttrOfType<StringAttr>("qc.model_name"))
    name = recorded.getValue();
  compile.symbolName = sanitizeCIdentifier(name);
  DiagnosticCapture diagnostics(op.getContext(), unwrap(options));
  if (failed(emitSharedObject(op, compile, toRef(soPath), toRef(headerPath))))
    return diagnostics.error(QcErrorKindCompile, "compilation failed");
  return noError();
}

QcError qcCompile(QcCompileOptions options, MlirStringRef soPath,
                  MlirStringRef headerPath) {
  const OptionsImpl *impl = unwrap(options);
  if (!impl)
    return makeError(QcErrorKindInvalidArgument, "qcCompile: null options");
  if (toRef(soPath).empty())
    return makeError(QcErrorKindInvalidArgument, "qcCompile: no output path");
  if (QcError error = checkQuantizeOptions(*impl); error.ptr)
    return error;
  PreparedRun run;
  if (QcError error = prepare(*impl, run); error.ptr)
    return error;
  std::unique_ptr<MLIRContext> context = createContext();
  DiagnosticCapture diagnostics(context.get(), impl);
  FailureOr<OwningOpRef<ModuleOp>> module =
      buildWithReport(context.get(), *impl, run);
  if (failed(module) ||
      failed(emitSharedObject(**module, run.options, toRef(soPath),
                              toRef(headerPath))))
    return diagnostics.error(QcErrorKindCompile, "compilation failed");
  return noError();
}

QcError qcCalibrate(QcCompileOptions options, MlirStringCallback callback,
                    void *userData) {
  const OptionsImpl *impl = unwrap(options);
  if (!impl)
    return makeError(QcErrorKindInvalidArgument, "qcCalibrate: null options");
  if (!callback)
    return makeError(QcErrorKindInvalidArgument, "qcCalibrate: null callback");
  if (impl->compile.calibPath.empty() && impl->calibArrays.empty())
    return makeError(QcErrorKindInvalidArgument,
                     "calibration needs data: an .npz path, a folder of "
                     ".npz files, or arrays");
  PreparedRun run;
  if (QcError error = prepare(*impl, run); error.ptr)
    return error;
  // The driver writes the table after calibrating when the file does not
  // exist yet; quantization follows, which is cheap next to calibration.
  std::string error;
  FailureOr<std::string> table =
      run.temporary("qc-calib-table", "json", error, /*reserveOnly=*/true);
  if (failed(table))
    return makeError(QcErrorKindIO, error);
  run.options.calibTable = *table;
  run.options.quantize = "int8";
  run.options.algo = "rtn";
  std::unique_ptr<MLIRContext> context = createContext();
  DiagnosticCapture diagnostics(context.get(), impl);
  // Inputs without a shape are imported at the feeds' shape.
  FailureOr<llvm::StringMap<SmallVector<int64_t>>> feedShapes =
      readCalibrationFeedShapes(
          run.options.calibPath,
          FileLineColLoc::get(context.get(), run.options.calibPath, 0, 0));
  if (failed(feedShapes))
    return diagnostics.error(QcErrorKindCompile, "calibration failed");
  for (const auto &entry : *feedShapes)
    run.options.import.inputShapes.try_emplace(entry.getKey(),
                                               entry.getValue());
  if (failed(buildModule(context.get(), run.options)))
    return diagnostics.error(QcErrorKindCompile, "calibration failed");
  auto buffer = llvm::MemoryBuffer::getFile(*table);
  if (!buffer)
    return makeError(QcErrorKindIO, "cannot read the calibration table: " +
                                        buffer.getError().message());
  StringRef json = (*buffer)->getBuffer();
  callback(mlirStringRefCreate(json.data(), json.size()), userData);
  return noError();
}
